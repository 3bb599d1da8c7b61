"""Redis restarted during a burst of jobs: the worker reconnects and every job finishes exactly once.

The tests' own redis-server keeps its queue in an append-only file (as production must: see docs/operations.md);
it is killed with SIGKILL while a producer is still enqueueing and the worker is working, and started again.
A message popped by the worker in the very moment of the crash is lost by Redis; its step stays SCHEDULED until
the periodic sweep ``workflows.tasks.requeue_stale_jobs`` enqueues it again (safe: ``run_job`` runs a step once).
"""

from __future__ import annotations

import json
import os
import time

import pytest

from tests.reliability.checks import JOB_MARKER, done_count, markers_per_process, tasks_per_process
from tests.reliability.services import python, wait_until

pytestmark = [pytest.mark.broker, pytest.mark.postgres]

BURST = 40


def _produced(producer) -> list[int]:
    lines = producer.log_path.read_text(errors="replace").splitlines()
    return [json.loads(line)["process"] for line in lines if line.startswith('{"process"')]


# The suite runs the harder variant (Redis dies while the producer is still enqueueing and the worker working);
# `make test-faults-full` (FAULT_FULL=1) adds the variant with the whole burst queued beforehand. The harder variant
# once lost a job in about one run of five, probably a step that began as Redis died and stopped in ERROR on its
# broker error (not reproduced since). Steps now retry on transient errors (workflows.nodes.run_job): 12 runs of 12.
PRODUCER_DURING_RESTART = [True, False] if os.environ.get("FAULT_FULL") == "1" else [True]


@pytest.mark.parametrize("producer_during_restart", PRODUCER_DURING_RESTART)
def test_redis_restarted_during_a_burst_jobs_continue_and_each_finishes_once(fault_env, producer_during_restart):
    if producer_during_restart:
        worker = fault_env.worker("worker-burst", FAULT_JOB_SECONDS="0.1")
        producer = fault_env.spawn(
            [python(), "-m", "tests.reliability.faultctl", "jobs", str(BURST), "0.1"], "producer"
        )
        assert wait_until(lambda: len(_produced(producer)) >= BURST // 3, timeout=60), producer.log_tail()
    else:  # the whole burst is queued, the worker is working through it when Redis dies
        producer = fault_env.spawn([python(), "-m", "tests.reliability.faultctl", "jobs", str(BURST)], "producer")
        assert wait_until(lambda: not producer.alive(), timeout=90), producer.log_tail()
        worker = fault_env.worker("worker-burst", FAULT_JOB_SECONDS="0.1")
    assert wait_until(lambda: fault_env.redis.client().llen("reliability:started") >= 3, timeout=60), worker.log_tail()

    fault_env.redis.kill()  # mid-burst: the worker is working (and, in the full variant, the producer enqueueing)
    done_at_restart = int(
        fault_env.sql("SELECT count(*) FROM viewflow_process WHERE flow_class LIKE '%FaultJobFlow' AND status = 'DONE'")
    )
    time.sleep(1.0)
    fault_env.redis.start()
    produced_at_restart = len(_produced(producer))

    assert wait_until(lambda: not producer.alive(), timeout=90), producer.log_tail()
    assert producer.proc.returncode == 0, producer.log_tail()
    processes = _produced(producer)
    assert len(processes) == BURST
    if producer_during_restart:
        assert produced_at_restart < BURST, "the restart came after the burst; the test proved nothing"
    assert done_at_restart < BURST, "the restart came after the work; the test proved nothing"

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
    stuck = (
        ""
        if finished
        else fault_env.sql(
            "SELECT t.process_id, t.flow_task, t.status FROM viewflow_task t "
            "JOIN viewflow_process p ON p.id = t.process_id "
            f"WHERE p.id IN ({ids}) AND p.status <> 'DONE'"
        )
    )
    assert finished, f"{done_count(fault_env, processes)}/{BURST} finished; sweep: {requeued}; stuck: {stuck}"
    print(
        f"\nRedis restart: {BURST} jobs, {produced_at_restart} enqueued and {done_at_restart} done before it, "
        f"requeued by the sweep: {requeued}"
    )
    assert worker.alive(), "the worker must survive a broker restart"
    assert set(markers_per_process(fault_env, processes, JOB_MARKER).values()) == {1}
    assert set(tasks_per_process(fault_env, processes, "flow_task LIKE '%.job'").values()) == {1}
    assert set(tasks_per_process(fault_env, processes, "flow_task LIKE '%.end'").values()) == {1}


def test_steps_whose_messages_the_broker_lost_are_enqueued_again_by_the_sweep_and_run_once(fault_env):
    processes = fault_env.faultctl("jobs", "5")  # no worker yet: the messages wait in Redis
    redis = fault_env.redis.client()
    assert redis.llen("celery") == 5
    redis.delete("celery")  # the broker loses them (a crash between pop and delivery, a flushed instance)
    worker = fault_env.worker("worker-sweep", FAULT_JOB_SECONDS="0")
    time.sleep(3)
    assert done_count(fault_env, processes) == 0, "nothing can run without its message"
    out = fault_env.manage(
        "shell", "-c", "from workflows.tasks import requeue_stale_jobs; print(requeue_stale_jobs(older_than_seconds=1))"
    )
    assert out.strip().splitlines()[-1] == "5"
    # a second sweep while they run or after they ran: no step runs twice
    fault_env.manage("shell", "-c", "from workflows.tasks import requeue_stale_jobs; requeue_stale_jobs(0)")
    assert wait_until(lambda: done_count(fault_env, processes) == 5, timeout=60, interval=0.5), worker.log_tail()
    assert set(markers_per_process(fault_env, processes, JOB_MARKER).values()) == {1}
    assert set(tasks_per_process(fault_env, processes, "flow_task LIKE '%.job'").values()) == {1}
