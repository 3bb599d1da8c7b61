"""Celery step: from the commit of a step to the start of the following background job.

A real worker process (prefork, concurrency 2, the product's Celery settings) against the local Redis, on a Redis
database of the benchmark's own. Each probe starts a :class:`workflows.bench_flows.BenchJobFlow` case: its start
transaction schedules the job (``transaction.on_commit``, as every CeleryJob does); t0 is taken by an on_commit
callback registered before the job's, t1 is stamped by the job as its first action. Idle: one probe every 50 ms.
Burst: the same probes right after 5,000 no-op jobs were put in the queue (FIFO: they wait behind the burst).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, log, percentile


def _redis():
    import redis
    from django.conf import settings

    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


def _probe(municipality_id: int) -> tuple[int, float]:
    from django.db import transaction

    from workflows.bench_flows import BenchJobFlow

    stamp: dict[str, float] = {}
    with transaction.atomic():
        transaction.on_commit(lambda: stamp.setdefault("t0", time.time()))
        process = BenchJobFlow.start.run(municipality_id=municipality_id)
    return process.pk, stamp["t0"]


def _collect(probes: dict[int, float], timeout: float) -> list[float]:
    from viewflow.workflow.models import Task

    from workflows.bench_flows import CELERY_TIMESTAMPS_KEY

    r = _redis()
    deadline = time.time() + timeout
    started: dict[int, float] = {}
    while time.time() < deadline:
        for raw in r.lrange(CELERY_TIMESTAMPS_KEY, 0, -1):
            item = json.loads(raw)
            started[item["task"]] = item["started"]
        task_process = dict(
            Task.objects.filter(pk__in=list(started), process_id__in=list(probes)).values_list("pk", "process_id")
        )
        if len(task_process) >= len(probes):
            break
        time.sleep(0.2)
    return [1000 * (started[t] - probes[p]) for t, p in task_process.items()]


def _stats(lat: list[float], jobs: int) -> dict[str, Any]:
    return {
        "jobs": jobs,
        "measured": len(lat),
        "p50_ms": percentile(lat, 50) or 0.0,
        "p95_ms": percentile(lat, 95) or 0.0,
        "max_ms": max(lat) if lat else 0.0,
    }


def measure(env: dict[str, str], municipality_id: int, *, idle: int, burst: int, probes: int) -> dict[str, Any]:
    from workflows.bench_flows import CELERY_TIMESTAMPS_KEY, bench_noop

    r = _redis()
    r.flushdb()  # the benchmark's own Redis database
    worker = subprocess.Popen(
        [
            str(Path(os.sys.executable).parent / "celery"),
            "-A",
            "config",
            "worker",
            "-I",
            "workflows.bench_flows",
            "--pool",
            "prefork",
            "--concurrency",
            "2",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "WARNING",
        ],
        cwd=ROOT,
        env=dict(os.environ, **env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        # ready when a first probe went through
        pid, t0 = _probe(municipality_id)
        if not _collect({pid: t0}, 90):
            raise RuntimeError("the Celery worker did not run the first job within 90 s")
        r.delete(CELERY_TIMESTAMPS_KEY)

        sent = {}
        for _ in range(idle):
            pid, t0 = _probe(municipality_id)
            sent[pid] = t0
            time.sleep(0.05)
        idle_lat = _collect(sent, 60)
        log(f"celery idle: p50 {percentile(idle_lat, 50) or 0:.1f} ms, p95 {percentile(idle_lat, 95) or 0:.1f} ms")
        r.delete(CELERY_TIMESTAMPS_KEY)

        b0 = time.time()
        for i in range(burst):
            bench_noop.delay(i)
        published = time.time() - b0
        sent = {}
        for _ in range(probes):
            pid, t0 = _probe(municipality_id)
            sent[pid] = t0
            time.sleep(0.05)
        burst_lat = _collect(sent, 600)
        drained = time.time()
        while r.llen("celery") > 0 and time.time() - b0 < 600:
            time.sleep(0.1)
            drained = time.time()
        log(f"celery burst: p50 {percentile(burst_lat, 50) or 0:.1f} ms, p95 {percentile(burst_lat, 95) or 0:.1f} ms")
        return {
            "worker": "celery prefork, concurrency 2, acks_late, prefetch 1 (product settings), Redis",
            "idle": _stats(idle_lat, idle),
            "burst": _stats(burst_lat, probes),
            "burst_size": burst,
            "burst_publish_s": round(published, 2),
            "burst_drain_jobs_per_s": (burst + probes) / max(drained - b0, 1e-6),
        }
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        r.flushdb()
