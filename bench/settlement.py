"""Settlement: annual statements for every member of 20 cost centres from the year's time entries.

The costs app's own settlement service (costs.services.year_settle) settles one cost centre with its agreement,
rates, keys and locks; a nationwide world for it is not generated here. Measured instead, and stated so in the
result: the aggregation the statements rest on, on the real ``costs_timeentry`` table with its real indexes
(time entries generated with SQL over 10,752 municipalities and 20 cost centres, one year), plus the split of each
centre's annual cost over its members by booked hours with the product's largest-remainder allocation
(projects.money), building one statement (20 lines) per member in memory. Not included: writing statements and PDFs.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import connection

from bench.common import log, summary

CENTRES = 20
YEAR = 2025


def _generate(entries: int) -> int:
    from projects.models import Institution

    # through the ORM, so that the institution's defaults (and any column added later) are filled in
    Institution.objects.get_or_create(
        slug="bench-dkz", defaults={"kind": Institution.Kind.DKZ, "name": "Benchmark-DKZ"}
    )
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO costs_costcentre (code, name, created_at, dkz_id)
            SELECT 'bench-' || i, 'Kostenstelle ' || i, now(), (SELECT id FROM projects_institution
                                                                 WHERE slug = 'bench-dkz')
            FROM generate_series(1, %s) i ON CONFLICT DO NOTHING
            """,
            [CENTRES],
        )
        cur.execute("SELECT setseed(0.7)")
        cur.execute(
            """
            INSERT INTO costs_timeentry ("on", hours, activity, source_type, source_id, is_correction, booked_at,
                                         centre_id, municipality_id)
            SELECT %s::date + floor(random() * 365)::int, round((0.25 + random() * 7.75)::numeric, 2), 'Tätigkeit',
                   'bench', g::text, false, now(), c.id, s.muni
            FROM (SELECT g, 1 + floor(random() * %s)::int AS ci,
                         1 + floor(random() * (SELECT count(*) FROM bench_muni_slots))::bigint AS slot
                  FROM generate_series(1, %s) g) t
            JOIN (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM costs_costcentre
                  WHERE code LIKE 'bench-%%') c ON c.rn = t.ci
            JOIN (SELECT slot, municipality_id AS muni FROM bench_muni_slots) s USING (slot)
            """,
            [dt.date(YEAR, 1, 1), CENTRES, entries],
        )
        cur.execute("ANALYZE costs_timeentry")
        cur.execute("SELECT count(*) FROM costs_timeentry")
        return cur.fetchone()[0]


def _ensure_slots() -> None:
    from bench import world

    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass('bench_muni_slots')")
        exists = cur.fetchone()[0]
    if not exists:
        world.generate_tasks(0)  # builds the municipality slot table (no tasks)


def settle_all() -> dict[str, Any]:
    from projects.money import allocate_largest_remainder

    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT t.centre_id, t.municipality_id, sum(t.hours)
            FROM costs_timeentry t JOIN costs_costcentre c ON c.id = t.centre_id
            WHERE c.code LIKE 'bench-%%' AND t."on" >= %s AND t."on" < %s
            GROUP BY t.centre_id, t.municipality_id
            """,
            [dt.date(YEAR, 1, 1), dt.date(YEAR + 1, 1, 1)],
        )
        rows = cur.fetchall()
    t_sql = time.perf_counter() - t0
    hours: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for centre, muni, h in rows:
        hours[centre][muni] = h
    statements: dict[int, list[tuple[int, Decimal, Decimal]]] = defaultdict(list)
    for centre, by_member in hours.items():
        annual_cost = Decimal("1250000.00")
        shares = allocate_largest_remainder(annual_cost, by_member)
        for muni, amount in shares.items():
            statements[muni].append((centre, by_member[muni], amount))
    return {
        "sql_s": t_sql,
        "total_s": time.perf_counter() - t0,
        "members": len(statements),
        "lines": sum(len(v) for v in statements.values()),
    }


def measure(*, entries: int, runs: int = 3) -> dict[str, Any]:
    _ensure_slots()
    t0 = time.time()
    total = _generate(entries)
    log(f"settlement: {total:,} time entries generated in {time.time() - t0:.0f} s")
    results = []
    for _ in range(runs):
        r = settle_all()
        results.append(r)
        log(f"settlement: {r['total_s']:.2f} s ({r['sql_s']:.2f} s SQL), {r['members']} members, {r['lines']} lines")
    return {
        "what": "SQL aggregation of the year's time entries on costs_timeentry plus the per-centre split by hours"
        " (largest remainder) into one statement per member, in memory; not the costs app's year_settle service.",
        "entries": total,
        "members": results[-1]["members"],
        "centres": CENTRES,
        "statement_lines": results[-1]["lines"],
        "seconds": summary([r["total_s"] for r in results]),
        "sql_seconds": summary([r["sql_s"] for r in results]),
    }
