"""The benchmark keeps working: one case of the smallest engine run per engine, and the result file's structure.

Benchmarks are not timed tests; nothing here checks a speed. ``make bench-quick`` runs the whole benchmark.
"""

from __future__ import annotations

import json

import pytest
from django.db import connection

from bench import engine, report
from bench.common import summary
from projects.models import Municipality

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def bench_user():
    from bench.world import make_user

    if connection.vendor != "postgresql":
        pytest.skip("the benchmark runs on PostgreSQL")
    municipality = Municipality.objects.filter(kind=Municipality.Kind.GEMEINDE).order_by("pk").first()
    make_user("bench.smoke", [municipality.pk], ["approve_project_order"])
    return municipality.pk, "bench.smoke"


def test_smallest_engine_run_and_result_structure(bench_user, tmp_path):
    from bench import spiff

    municipality_id, username = bench_user
    spiff.create_schema()
    ctx = engine._Context(municipality_id, username)
    runs = {}
    for name in engine.ENGINES:
        for flow in ("human", "auto"):
            raw = engine.run_cases(ctx, name, flow, 1)
            assert len(raw["step_lat"]) == (engine.STEPS if flow == "human" else 1)
            runs.setdefault(flow, {})[name] = [engine.combine([raw])]
    results = {
        "issue": 10,
        "size": "smoke",
        "machine": {"cpu_count": 1, "postgresql": {"server_version": "x"}},
        "components": {
            "engine": {f"{flow}_p1": engine.block(flow, 1, 1, r) for flow, r in runs.items()},
            "settlement": {"what": "smoke", "entries": 0, "members": 0, "centres": 0, "seconds": summary([0.1])},
        },
        "errors": {},
    }
    path = tmp_path / "result.json"
    path.write_text(json.dumps(results))
    loaded = json.loads(path.read_text())
    human = loaded["components"]["engine"]["human_p1"]
    assert set(human["engines"]) == set(engine.ENGINES)
    for figures in human["engines"].values():
        assert set(figures) == {"cases_per_s", "steps_per_s", "step_p50_ms", "step_p95_ms", "cpu_ms_per_step"}
        assert figures["steps_per_s"]["median"] > 0
        assert {"median", "min", "max", "n"} <= set(figures["steps_per_s"])
    assert set(human["ratio_viewflow_to"]) == {"spiff", "spiff_cached"}
    text = report.markdown(loaded)
    assert "Engine throughput" in text and "spiff_cached" in text
    assert "## Targets" in text and "engine human, P=1: viewflow ≥ 2× Spiff" in text


def test_lstep_script_replaces_ids_also_inside_strings():
    from bench.lstep import _substitute

    sql = "INSERT INTO x (a, b, c) VALUES (123, 'new:123', '1234')"
    assert (
        _substitute(sql, "123", "new_id")
        == "INSERT INTO x (a, b, c) VALUES (:new_id, ('new:' || :new_id || ''), '1234')"
    )


def test_generated_world_fits_the_current_schema_and_gives_the_http_benchmark_a_case_page():
    """The benchmark writes its world with SQL: a new NOT NULL column must not break it (nor silently degrade a page).

    Runs the generators at their smallest size: the geography (10,752 municipalities), one process of tasks,
    a few hundred time entries for the settlement, and the case the HTTP benchmark opens as the DKZ of a county.
    """
    from django.test import Client

    from bench import http, settlement, world
    from projects.models import Case

    if connection.vendor != "postgresql":
        pytest.skip("the benchmark runs on PostgreSQL")
    world.create_geography()
    assert Municipality.objects.filter(slug__startswith="bk-m-").count() == world.MUNICIPALITIES
    world.generate_tasks(world.TASKS_PER_PROCESS)
    assert settlement._generate(200) >= 200
    county_members = list(
        Municipality.objects.filter(slug__startswith="bk-m-", county__slug="bk-1").values_list("pk", flat=True)
    )
    user = world.make_user("bench.dkz", county_members, world.TASK_CAPABILITIES)
    case_pk = http._case_for(user)
    assert case_pk is not None
    assert Case.objects.get(pk=case_pk).county.slug == "bk-1"
    client = Client()
    client.force_login(user)
    assert client.get(f"/portal/vorgaenge/{case_pk}/").status_code == 200
