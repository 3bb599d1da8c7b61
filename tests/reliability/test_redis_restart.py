"""Redis restarted during a burst of jobs: the worker reconnects and every job finishes exactly once.

The tests' own redis-server keeps its queue in an append-only file (as production must: see docs/operations.md);
it is killed with SIGKILL while a producer is still enqueueing and the worker is working, and started again.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.reliability.checks import JOB_MARKER, done_count, markers_per_process, tasks_per_process
from tests.reliability.services import python, wait_until

pytestmark = [pytest.mark.broker, pytest.mark.postgres]

BURST = 40


def _produced(producer) -> list[int]:
    lines = producer.log_path.read_text(errors="replace").splitlines()
    return [json.loads(line)["process"] for line in lines if line.startswith('{"process"')]


def test_redis_restarted_during_a_burst_jobs_continue_and_each_finishes_once(fault_env):
    worker = fault_env.worker("worker-burst", FAULT_JOB_SECONDS="0.1")
    producer = fault_env.spawn([python(), "-m", "tests.reliability.faultctl", "jobs", str(BURST), "0.1"], "producer")
    assert wait_until(lambda: len(_produced(producer)) >= BURST // 3, timeout=60), producer.log_tail()
    assert wait_until(lambda: fault_env.redis.client().llen("reliability:started") >= 3, timeout=60), worker.log_tail()

    fault_env.redis.kill()  # mid-burst: the producer is enqueueing, the worker is working
    time.sleep(1.0)
    fault_env.redis.start()
    produced_at_restart = len(_produced(producer))

    assert wait_until(lambda: not producer.alive(), timeout=90), producer.log_tail()
    assert producer.proc.returncode == 0, producer.log_tail()
    processes = _produced(producer)
    assert len(processes) == BURST
    assert produced_at_restart < BURST, "the restart came after the burst; the test proved nothing"

    finished = wait_until(lambda: done_count(fault_env, processes) == BURST, timeout=90, interval=0.5)
    assert finished, f"{done_count(fault_env, processes)}/{BURST} jobs finished after the restart\n{worker.log_tail()}"
    assert worker.alive(), "the worker must survive a broker restart"
    assert set(markers_per_process(fault_env, processes, JOB_MARKER).values()) == {1}
    assert set(tasks_per_process(fault_env, processes, "flow_task LIKE '%.job'").values()) == {1}
    assert set(tasks_per_process(fault_env, processes, "flow_task LIKE '%.end'").values()) == {1}
