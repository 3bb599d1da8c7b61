"""Timers that fell due while the beat was down all fire once when it returns (real beat and worker).

The processes wait on timers due minutes ago (no dispatcher ran); then ``celery beat`` (database scheduler) and a
worker start, the beat sends ``fire_due_timers``; every timer fires exactly once, also when the dispatcher runs
again and a second dispatcher runs at the same time.
"""

from __future__ import annotations

import pytest

from tests.reliability.checks import TIMER_MARKER, done_count, markers_per_process, tasks_per_process
from tests.reliability.services import python, wait_until

pytestmark = [pytest.mark.broker, pytest.mark.postgres]

TIMERS = 12


def test_timers_due_while_the_beat_was_down_all_fire_once_after_it_returns(fault_env):
    processes = fault_env.faultctl("timers", str(TIMERS))
    scheduled = tasks_per_process(fault_env, processes, "flow_task LIKE '%.wait' AND status = 'SCHEDULED'")
    assert set(scheduled.values()) == {1}, "every process waits on its timer while no dispatcher runs"
    assert done_count(fault_env, processes) == 0

    worker = fault_env.worker("worker-timers", FAULT_JOB_SECONDS="0")
    second = fault_env.worker("worker-timers-2", FAULT_JOB_SECONDS="0")
    beat = fault_env.spawn(
        [
            python(),
            "-m",
            "celery",
            "-A",
            "config",
            "beat",
            "-l",
            "info",
            "-s",
            str(fault_env.workdir / "beat-schedule"),
        ],
        "beat",
        TIMER_DISPATCH_SECONDS="2",
    )
    finished = wait_until(lambda: done_count(fault_env, processes) == TIMERS, timeout=90, interval=0.5)
    assert finished, f"{done_count(fault_env, processes)}/{TIMERS} fired\n{beat.log_tail()}\n{worker.log_tail()}"

    # the dispatcher again, twice at once (a second beat by mistake): nothing fires twice
    fault_env.manage(
        "shell", "-c", "from workflows.tasks import fire_due_timers; fire_due_timers.delay(); fire_due_timers.delay()"
    )
    fault_env.manage("shell", "-c", "from workflows.tasks import fire_due_timers; print(fire_due_timers())")
    assert wait_until(lambda: fault_env.redis.client().llen("celery") == 0, timeout=30)
    assert worker.alive() and second.alive() and beat.alive()

    assert set(markers_per_process(fault_env, processes, TIMER_MARKER).values()) == {1}
    assert set(tasks_per_process(fault_env, processes, "flow_task LIKE '%.wait' AND status = 'DONE'").values()) == {1}
    assert set(tasks_per_process(fault_env, processes, "flow_task LIKE '%.record'").values()) == {1}
    assert set(tasks_per_process(fault_env, processes, "flow_task LIKE '%.end'").values()) == {1}
