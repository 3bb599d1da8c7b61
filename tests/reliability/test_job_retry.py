"""A background step that meets a transient error retries until it finishes once; a real error stops it for a person.

Real Celery workers against the tests' own PostgreSQL and Redis. The job counts its attempts in Redis
(``tests.reliability.jobs``), so the tests can tell a retry from a redelivery.
"""

from __future__ import annotations

import time

import pytest

from tests.reliability.checks import JOB_MARKER, done_count, markers_per_process, tasks_per_process
from tests.reliability.services import wait_until

pytestmark = [pytest.mark.broker, pytest.mark.postgres]


def _attempts(fault_env, process: int) -> int:
    return int(fault_env.redis.client().get(f"reliability:attempts:{process}") or 0)


def _job_status(fault_env, process: int) -> str:
    return fault_env.sql(
        f"SELECT status FROM viewflow_task WHERE process_id = {int(process)} AND flow_task LIKE '%.job'"
    )


def test_a_step_whose_database_was_away_retries_and_finishes_once(fault_env):
    worker = fault_env.worker("worker-retry", FAULT_JOB_SECONDS="0", FAULT_TRANSIENT_FAILURES="2")
    processes = fault_env.faultctl("jobs", "3")
    assert wait_until(lambda: done_count(fault_env, processes) == 3, timeout=90, interval=0.5), worker.log_tail()
    assert {p: _attempts(fault_env, p) for p in processes} == {p: 3 for p in processes}  # two failures, one success
    assert set(markers_per_process(fault_env, processes, JOB_MARKER).values()) == {1}
    assert set(tasks_per_process(fault_env, processes, "flow_task LIKE '%.job'").values()) == {1}
    assert set(tasks_per_process(fault_env, processes, "status = 'ERROR'").values()) == {0}


def test_a_step_with_a_real_error_stops_in_error_and_is_not_retried(fault_env):
    worker = fault_env.worker("worker-error", FAULT_JOB_SECONDS="0", FAULT_PERMANENT_FAILURE="1")
    (process,) = fault_env.faultctl("jobs", "1")
    assert wait_until(lambda: _job_status(fault_env, process) == "ERROR", timeout=60, interval=0.5), worker.log_tail()
    time.sleep(3)  # a retry would have come by now (backoff starts at 2 s)
    assert _attempts(fault_env, process) == 1
    assert done_count(fault_env, [process]) == 0
    assert markers_per_process(fault_env, [process], JOB_MARKER) == {process: 0}
    # the sweep leaves a step in error alone: it waits for a person
    out = fault_env.manage(
        "shell", "-c", "from workflows.tasks import requeue_stale_jobs; print(requeue_stale_jobs(0, 0))"
    )
    assert out.strip().splitlines()[-1] == "0"


def test_a_step_left_started_by_a_lost_retry_is_enqueued_again_after_its_lease(fault_env):
    # the step ran, failed on a transient error and its retry message was lost: STARTED, and nothing in the queue
    (process,) = fault_env.faultctl("jobs", "1")
    fault_env.redis.client().delete("celery")
    fault_env.sql(
        f"UPDATE viewflow_task SET status = 'STARTED', started = now() - interval '1 hour' "
        f"WHERE process_id = {int(process)} AND flow_task LIKE '%.job'"
    )
    sweep = (
        "from workflows.tasks import requeue_stale_jobs; "
        "print(requeue_stale_jobs(older_than_seconds=1, lease_seconds={}))"
    )
    # within its lease the step is left alone (it may still be running, or its message may still come back)
    assert fault_env.manage("shell", "-c", sweep.format(7200)).strip().splitlines()[-1] == "0"
    assert fault_env.manage("shell", "-c", sweep.format(60)).strip().splitlines()[-1] == "1"
    worker = fault_env.worker("worker-lease", FAULT_JOB_SECONDS="0")
    assert wait_until(lambda: done_count(fault_env, [process]) == 1, timeout=60, interval=0.5), worker.log_tail()
    assert markers_per_process(fault_env, [process], JOB_MARKER) == {process: 1}
