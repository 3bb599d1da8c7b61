"""Queries of the fault tests against their own database (psql, so the test process needs no second Django DB)."""

from __future__ import annotations

JOB_MARKER = "reliability.job_done"
TIMER_MARKER = "reliability.timer_fired"


def _ids(processes) -> str:
    return ",".join(str(int(p)) for p in processes)


def done_count(env, processes) -> int:
    return int(env.sql(f"SELECT count(*) FROM viewflow_process WHERE id IN ({_ids(processes)}) AND status = 'DONE'"))


def tasks_per_process(env, processes, where: str) -> dict[int, int]:
    rows = env.sql(
        f"SELECT process_id, count(*) FROM viewflow_task WHERE process_id IN ({_ids(processes)}) AND {where} "
        "GROUP BY process_id"
    )
    counts = {p: 0 for p in processes}
    for line in rows.splitlines():
        pid, n = line.split("|")
        counts[int(pid)] = int(n)
    return counts


def markers_per_process(env, processes, action: str) -> dict[int, int]:
    rows = env.sql(
        f"SELECT subject_id, count(*) FROM projects_auditentry WHERE action = '{action}' "
        f"AND subject_id IN ({','.join(repr(str(p)) for p in processes)}) GROUP BY subject_id"
    )
    counts = {p: 0 for p in processes}
    for line in rows.splitlines():
        sid, n = line.split("|")
        counts[int(sid)] = int(n)
    return counts
