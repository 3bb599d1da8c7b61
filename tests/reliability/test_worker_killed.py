"""A Celery worker killed with SIGKILL in the middle of a job: every job still finishes exactly once.

Real worker subprocesses (``celery -A config worker``) against the tests' own Redis and PostgreSQL. Runs alternate
between killing the pool process that executes the job (reject on worker lost → redelivered at once) and killing
the whole worker (late acknowledgement → the message comes back after the visibility timeout to a new worker).
The job step is :class:`workflows.nodes.CeleryJob` + :func:`workflows.nodes.run_job`; its effect is one marker row.

FAULT_KILLS sets the number of kills (3 in the normal suite, 20 with ``make test-faults-full``).
"""

from __future__ import annotations

import json
import os
import random
import signal
import time

import pytest

from tests.reliability.checks import JOB_MARKER, done_count, markers_per_process, tasks_per_process
from tests.reliability.services import wait_until

pytestmark = [pytest.mark.broker, pytest.mark.postgres]

KILLS = int(os.environ.get("FAULT_KILLS", "3"))
UNDISTURBED = 2
STARTED_KEY = "reliability:started"


def test_worker_killed_in_the_middle_of_jobs_every_job_finishes_exactly_once(fault_env):
    rnd = random.Random(int(os.environ.get("FAULT_SEED", "11")))
    redis = fault_env.redis.client()
    worker = fault_env.worker("worker-0")
    processes = fault_env.faultctl("jobs", str(KILLS + UNDISTURBED))
    killed: dict[int, str] = {}
    kill_kinds = {"pool process": 0, "whole worker": 0}

    for run in range(KILLS):
        info = None
        deadline = time.monotonic() + 90
        while info is None and time.monotonic() < deadline:  # the next job that begins its first attempt
            entry = redis.blpop(STARTED_KEY, timeout=5)
            if entry is not None:
                candidate = json.loads(entry[1])
                if candidate["attempt"] == 1 and candidate["process"] not in killed:
                    info = candidate
        assert info is not None, f"run {run}: no job started\n{worker.log_tail()}"
        time.sleep(rnd.uniform(0.2, 1.0))  # inside the 1.5 s work window, before the marker is written
        if run % 2 == 0:
            os.kill(info["pid"], signal.SIGKILL)
            killed[info["process"]] = "pool process"
        else:
            worker.kill_group(signal.SIGKILL)
            worker.proc.wait(timeout=10)
            killed[info["process"]] = "whole worker"
            worker = fault_env.worker(f"worker-{run}")
        kill_kinds[killed[info["process"]]] += 1

    finished = wait_until(
        lambda: done_count(fault_env, processes) == len(processes), timeout=60 + 15 * KILLS, interval=0.5
    )
    assert finished, f"{done_count(fault_env, processes)}/{len(processes)} jobs finished\n{worker.log_tail()}"

    assert len(killed) == KILLS
    attempts = {p: int(redis.get(f"reliability:attempts:{p}") or 0) for p in processes}
    # every killed job really ran again after the kill (the kill hit it mid-job)
    assert all(attempts[p] >= 2 for p in killed), attempts
    # ... and yet its effect exists exactly once, and the flow went through the step and the end exactly once
    assert set(markers_per_process(fault_env, processes, JOB_MARKER).values()) == {1}
    assert set(tasks_per_process(fault_env, processes, "flow_task LIKE '%.job' AND status = 'DONE'").values()) == {1}
    assert set(tasks_per_process(fault_env, processes, "flow_task LIKE '%.job'").values()) == {1}
    assert set(tasks_per_process(fault_env, processes, "flow_task LIKE '%.end'").values()) == {1}
    # nothing left behind in the broker
    assert wait_until(lambda: redis.llen("celery") == 0 and redis.hlen("unacked") == 0, timeout=15)
    print(
        f"\nSIGKILL runs: {KILLS} ({kill_kinds}), jobs: {len(processes)}, each finished once; "
        f"attempts: {sum(attempts.values())}"
    )
