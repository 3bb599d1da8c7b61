"""Redis restarted during a burst of jobs: the worker reconnects and every job finishes exactly once.

The tests' own redis-server keeps its queue in an append-only file (as production must: see docs/operations.md);
it is killed with SIGKILL while a producer is still enqueueing and the worker is working, and started again.
A message popped by the worker in the very moment of the crash is lost by Redis; its step stays SCHEDULED until
the periodic sweep ``workflows.tasks.requeue_stale_jobs`` enqueues it again (safe: ``run_job`` runs a step once).
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

    # the queue drains; a message Redis lost in the crash leaves its step SCHEDULED, and the periodic sweep (beat)
    # enqueues such steps again: run it as the beat would, then every job has finished
    wait_until(lambda: done_count(fault_env, processes) == BURST, timeout=45, interval=0.5)
    requeued = (
        fault_env.manage(
            "shell",
            "-c",
            "from workflows.tasks import requeue_stale_jobs; print(requeue_stale_jobs(older_than_seconds=5))",
        )
        .strip()
        .splitlines()[-1]
    )
    finished = wait_until(lambda: done_count(fault_env, processes) == BURST, timeout=60, interval=0.5)
    ids = ",".join(map(str, processes))
    stuck = "" if finished else fault_env.sql(
        "SELECT t.process_id, t.flow_task, t.status FROM viewflow_task t JOIN viewflow_process p ON p.id = t.process_id "
        f"WHERE p.id IN ({ids}) AND p.status <> 'DONE'"
    )
    assert finished, f"{done_count(fault_env, processes)}/{BURST} finished; sweep: {requeued}; stuck: {stuck}"
    print(f"\nRedis restart: {BURST} jobs, {produced_at_restart} enqueued before it, requeued by the sweep: {requeued}")
    assert worker.alive(), "the worker must survive a broker restart"
    assert set(markers_per_process(fault_env, processes, JOB_MARKER).values()) == {1}
    assert set(tasks_per_process(fault_env, processes, "flow_task LIKE '%.job'").values()) == {1}
    assert set(tasks_per_process(fault_env, processes, "flow_task LIKE '%.end'").values()) == {1}
