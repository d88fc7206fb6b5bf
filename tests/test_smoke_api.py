"""The public names import from labqueue.manager and a queued call returns its result."""

from labqueue.manager import Experiment, ExperimentQueue, ExpStatus, Manager, Worker


def test_public_names():
    assert {Manager, Experiment, ExpStatus, ExperimentQueue, Worker}


def test_queue_a_call_and_get_its_result(manager):
    exp = manager.queued_exec(pow)(2, 10)
    assert exp.result(timeout=5) == 1024
    assert exp.status is ExpStatus.FINISHED
    assert manager.result_queue.get(timeout=1) == 1024
