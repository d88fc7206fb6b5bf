"""Several threads put, remove, cancel and clear while the worker runs hundreds of short jobs."""

from __future__ import annotations

import random
import threading

from labqueue.manager import ExpStatus


def test_concurrent_put_remove_clear_while_worker_runs(make_manager):
    manager = make_manager(pause_on_failure=False)
    q = manager.job_queue
    created: list = []
    created_lock = threading.Lock()
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def job(i):
        if i % 50 == 0:
            raise ValueError(f"planned failure {i}")
        return i

    def producer(seed):
        rng = random.Random(seed)
        start.wait()
        for i in range(250):
            exp = manager.queued_exec(job)(i)
            with created_lock:
                created.append(exp)
            if rng.random() < 0.05:
                exp.cancel()

    def remover(seed):
        rng = random.Random(seed)
        start.wait()
        for _ in range(300):
            try:
                first = q.first_queued_index
                n = q.qsize()
                if n > first:
                    i = rng.randrange(first, n)
                    q.remove_items(i, min(n - 1, i + rng.randrange(3)))
                if rng.random() < 0.02:
                    q.clear()
            except (IndexError, ValueError):
                pass  # the queue moved on between reading and removing: a documented refusal
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

    threads = [threading.Thread(target=producer, args=(s,)) for s in (1, 2)]
    threads += [threading.Thread(target=remover, args=(s,)) for s in (3, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    assert not errors

    last = manager.queued_exec(lambda: "last")()
    assert last.result(timeout=30) == "last"
    created.append(last)

    assert all(exp.done() for exp in created)
    statuses = [exp.status for exp in created]
    counts = {s: statuses.count(s) for s in ExpStatus}
    snapshot = q.queue
    assert counts[ExpStatus.QUEUED] == counts[ExpStatus.RUNNING] == 0
    assert counts[ExpStatus.FINISHED] + counts[ExpStatus.FAILED] == len(snapshot) == q.qsize()
    assert counts[ExpStatus.CANCELLED] == len(created) - len(snapshot)
    assert counts[ExpStatus.CANCELLED] > 0 and counts[ExpStatus.FINISHED] > 0
    assert q.qsize("history") == len(snapshot) and q.qsize("queued") == q.qsize("running") == 0
    assert set(map(id, snapshot)) <= set(map(id, created))
    assert all(exp.status is not ExpStatus.CANCELLED for exp in snapshot)
    # results of finished jobs are the right ones
    assert all(exp.result() == exp.args[0] for exp in snapshot if exp.status is ExpStatus.FINISHED
               and exp is not last)
