"""ExperimentQueue + Worker + Manager against a plain reference model, with hypothesis' state machine.

Rules put jobs that return, raise or check ``manager.abort``; remove them (remove_item, remove_items,
remove_jobs, cancel), move them (move_item, move_jobs, move_jobs_to_top), clear, pause, resume and
abort; release the running job, also racing the worker (see tests/queue_machine_support.py).
After every step: the queue's order, statuses, sizes, pause state and results equal the reference's.
"""

from __future__ import annotations

from queue_machine_support import QueueMachine, machine_settings

TestQueueStateMachine = QueueMachine.TestCase
TestQueueStateMachine.settings = machine_settings(max_examples=150)
