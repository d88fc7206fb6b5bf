"""manager.save_queue(path) / manager.load_queue(path): the queued jobs, to a readable JSON file and back."""

from __future__ import annotations

import json
import math

import pytest


def sweep(start, stop, *, steps=10, label=""):
    return [start + (stop - start) * i / steps for i in range(steps + 1)]


def echo(*args, **kwargs):
    return args, kwargs


def test_queued_jobs_round_trip_with_their_arguments(make_manager, tmp_path):
    first = make_manager()
    first.pause_worker()
    run = first.queued_exec
    originals = [run(sweep)(0, 1.5, steps=3, label="B-field"), run(echo)((1, 2), {"a": [1, 2]}),
                 run(math.hypot)(3, 4)]
    path = tmp_path / "night.json"
    assert first.save_queue(path) == 3
    document = json.loads(path.read_text())
    assert [job["call"] for job in document["jobs"]] == [e.call_text for e in originals]
    assert document["jobs"][0]["func"] == f"{__name__}:sweep"
    assert document["jobs"][0]["kwargs"] == {"steps": "3", "label": "'B-field'"}

    second = make_manager()
    second.pause_worker()
    loaded = second.load_queue(path)
    assert [(e.func, e.args, e.kwargs) for e in loaded] == [(e.func, e.args, e.kwargs) for e in originals]
    assert second.job_queue.queue == loaded
    second.resume_worker()
    assert loaded[2].result(timeout=10) == 5.0
    assert loaded[0].result(timeout=10) == [0.0, 0.5, 1.0, 1.5]


def test_only_queued_jobs_are_saved(make_manager, tmp_path):
    manager = make_manager()
    manager.queued_exec(sweep)(0, 1).result(timeout=10)
    manager.pause_worker()
    manager.queued_exec(sweep)(2, 3)
    assert manager.save_queue(tmp_path / "q.json") == 1


def test_a_job_that_cannot_be_saved_is_named_and_nothing_is_written(make_manager, tmp_path):
    manager = make_manager()
    manager.pause_worker()
    manager.queued_exec(sweep)(0, 1)
    manager.queued_exec(lambda x: x)(5)
    path = tmp_path / "q.json"
    with pytest.raises(ValueError, match=r"<lambda>\(5\).*lambda"):
        manager.save_queue(path)
    assert not path.exists()


def test_a_file_that_is_not_a_saved_queue_or_names_a_missing_function_queues_nothing(make_manager, tmp_path):
    manager = make_manager()
    manager.pause_worker()
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2")
    with pytest.raises(ValueError, match="not a saved labqueue queue"):
        manager.load_queue(bad)
    manager.queued_exec(sweep)(0, 1)
    good = tmp_path / "q.json"
    manager.save_queue(good)
    manager.clear_all_jobs()
    document = json.loads(good.read_text())
    document["jobs"].append(dict(document["jobs"][0], call="gone(1)", func="no_such_module_xyz:gone"))
    import base64
    import pickle
    document["jobs"][1]["pickle"] = base64.b64encode(pickle.dumps((None, (1,), {}))).decode()
    good.write_text(json.dumps(document))
    with pytest.raises(ValueError, match=r"gone\(1\).*no_such_module_xyz"):
        manager.load_queue(good)
    assert manager.job_queue.qsize("queued") == 0
