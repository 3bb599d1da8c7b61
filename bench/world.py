"""The benchmark world, generated with SQL: 400 counties, 10,752 municipalities (Hessen: 26 counties, 421
municipalities), benchmark users with guardian capabilities, and viewflow tasks at 10^5 .. 10^7 with a Zipf skew."""

from __future__ import annotations

from typing import Any

from django.db import connection

COUNTIES = 400
MUNICIPALITIES = 10_752
HESSEN_COUNTIES = 26
HESSEN_MUNICIPALITIES = 421
# Capabilities that inbox tasks carry (municipal ones); every benchmark user holds all of them on its municipalities.
TASK_CAPABILITIES = [
    "approve_project_order",
    "record_council_resolution",
    "consent_statute_amendment",
    "sign_agreement",
    "request_procurement",
    "write_specification",
    "evaluate_offers",
    "decide_award",
]
TASK_NODES = [
    "approve_project_order",
    "record_resolution",
    "consent_statute_amendment",
    "sign_agreement",
    "request_procurement",
    "write_specification",
    "evaluate_offers",
    "decide_award",
]
ZIPF_S = 0.9
OPEN_SHARE = 0.15
HUMAN_SHARE = 0.6
TASKS_PER_PROCESS = 30
# the share of human tasks with a due date in their data (the inbox sorts by it), spread from 60 days ago to 120 days
# ahead of the day the world is generated
DUE_SHARE = 0.8
DUE_DAYS_BEFORE = 60
DUE_DAYS_AFTER = 120
ENGINE_USER = "bench.engine"


def _exec(sql: str, params: Any = None) -> None:
    with connection.cursor() as cur:
        cur.execute(sql, params)


def _one(sql: str, params: Any = None):
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()


def create_geography() -> None:
    """Counties, their county member records (kind landkreis) and 10,752 municipalities with a Zipf weight."""
    _exec("SELECT setseed(0.42)")
    _exec(
        """
        INSERT INTO projects_county (slug, name, ags, population, population_year)
        SELECT 'bk-' || i, CASE WHEN i <= %s THEN 'Hessen-Kreis ' ELSE 'Kreis ' END || i,
               lpad(i::text, 5, '0'), 0, 2024
        FROM generate_series(1, %s) i
        """,
        [HESSEN_COUNTIES, COUNTIES],
    )
    _exec(
        """
        INSERT INTO projects_municipality (county_id, name, slug, ags, kind, population, population_is_estimate,
                                           staff_count, rp_supervised)
        SELECT c.id, 'Landkreis ' || c.name, 'bk-lk-' || c.slug, 'L' || c.ags, 'landkreis', 0, true, 0, false
        FROM projects_county c WHERE c.slug LIKE 'bk-%%'
        """
    )
    # municipality i: the first 421 in Hessen's 26 counties, the rest over the other 374 counties
    _exec(
        """
        INSERT INTO projects_municipality (county_id, name, slug, ags, kind, population, population_is_estimate,
                                           staff_count, rp_supervised)
        SELECT c.id, 'Gemeinde ' || i, 'bk-m-' || i, lpad(i::text, 8, '0'),
               CASE WHEN i %% 5 = 0 THEN 'stadt' ELSE 'gemeinde' END, 1000, true, 10, false
        FROM generate_series(1, %s) i
        JOIN projects_county c ON c.slug = 'bk-' || (CASE WHEN i <= %s THEN 1 + (i - 1) %% %s
                                                          ELSE %s + 1 + (i - %s - 1) %% %s END)
        """,
        [
            MUNICIPALITIES,
            HESSEN_MUNICIPALITIES,
            HESSEN_COUNTIES,
            HESSEN_COUNTIES,
            HESSEN_MUNICIPALITIES,
            COUNTIES - HESSEN_COUNTIES,
        ],
    )
    # Zipf weights over a random ranking (so Hessen gets big and small ones); population follows the weight
    _exec("DROP TABLE IF EXISTS bench_muni_weight")
    _exec(
        f"""
        CREATE TABLE bench_muni_weight AS
        SELECT id, rank, 1.0 / power(rank, {ZIPF_S}) AS w
        FROM (SELECT id, row_number() OVER (ORDER BY random()) AS rank
              FROM projects_municipality WHERE slug LIKE 'bk-m-%%') r
        """
    )
    _exec(
        """
        UPDATE projects_municipality m SET population = greatest(300, (4000000 * w)::int)
        FROM bench_muni_weight b WHERE b.id = m.id
        """
    )
    _exec("ANALYZE projects_county; ANALYZE projects_municipality")


def hessen_municipality_ids() -> list[int]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT m.id FROM projects_municipality m JOIN projects_county c ON c.id = m.county_id"
            " WHERE m.slug LIKE 'bk-m-%%' AND c.slug IN (SELECT 'bk-' || i FROM generate_series(1, %s) i)"
            " ORDER BY m.id",
            [HESSEN_COUNTIES],
        )
        return [r[0] for r in cur.fetchall()]


def make_user(username: str, municipality_ids: list[int], capabilities: list[str]) -> Any:
    """A user whose group holds ``capabilities`` on each of ``municipality_ids`` (guardian rows, bulk SQL)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    from projects.models import Municipality

    user_model = get_user_model()
    user, _ = user_model.objects.get_or_create(username=username, defaults={"is_active": True})
    group, _ = Group.objects.get_or_create(name=f"bench {username}")
    user.groups.add(group)
    ct = ContentType.objects.get_for_model(Municipality)
    perm_ids = list(Permission.objects.filter(content_type=ct, codename__in=capabilities).values_list("id", flat=True))
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO guardian_groupobjectpermission (object_pk, content_type_id, group_id, permission_id)
            SELECT m::text, %s, %s, p FROM unnest(%s::bigint[]) m, unnest(%s::int[]) p
            ON CONFLICT DO NOTHING
            """,
            [ct.pk, group.pk, municipality_ids, perm_ids],
        )
    return user


def municipality_ids_of(user: Any) -> list[int]:
    """The municipalities a benchmark user's group holds any capability on (see make_user)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT DISTINCT g.object_pk::bigint FROM guardian_groupobjectpermission g"
            " JOIN auth_group a ON a.id = g.group_id WHERE a.name = %s ORDER BY 1",
            [f"bench {user.username}"],
        )
        return [r[0] for r in cur.fetchall()]


def create_engine_user() -> tuple[int, str]:
    municipality_id = hessen_municipality_ids()[0]
    make_user(ENGINE_USER, [municipality_id], ["approve_project_order"])
    return municipality_id, ENGINE_USER


def generate_tasks(total: int) -> dict[str, Any]:
    """``total`` viewflow task rows (``total / 30`` processes) spread over the municipalities by Zipf weight.

    15 % of the human tasks are open (NEW), a few are ASSIGNED, the rest DONE; ``created`` is spread over five years;
    80 % of the human tasks carry a due date (``data.due``, ISO text as the engine writes it) around today.
    Deterministic (setseed). Appends to what is there; call with the increment to grow the table.
    """
    from django.contrib.contenttypes.models import ContentType

    from projects.models import Municipality

    ct = ContentType.objects.get_for_model(Municipality).pk
    _exec("SELECT setseed(0.4242)")
    # a slot table: each municipality gets slots in proportion to its weight (at least one)
    _exec("DROP TABLE IF EXISTS bench_muni_slots")
    _exec(
        """
        CREATE TABLE bench_muni_slots AS
        SELECT row_number() OVER () AS slot, id AS municipality_id
        FROM (SELECT id, generate_series(1, greatest(1, round(w / s.total * 200000)::int)) g
              FROM bench_muni_weight, (SELECT sum(w) AS total FROM bench_muni_weight) s) x
        """
    )
    _exec("CREATE UNIQUE INDEX ON bench_muni_slots (slot)")
    slots = _one("SELECT count(*) FROM bench_muni_slots")[0]
    processes = max(1, total // TASKS_PER_PROCESS)
    _exec(
        """
        INSERT INTO viewflow_process (flow_class, status, created, finished, data)
        SELECT 'workflows/case.CaseFlow', CASE WHEN random() < 0.3 THEN 'NEW' ELSE 'DONE' END,
               now() - random() * interval '5 years', NULL, '{}'::jsonb
        FROM generate_series(1, %s)
        """,
        [processes],
    )
    # the ids the one INSERT above drew from the sequence (contiguous; the table's max + 1 is not where the sequence
    # stands after rows were deleted)
    last_process = _one("SELECT max(id) FROM viewflow_process")[0]
    first_process = last_process - processes + 1
    nodes = "ARRAY[" + ",".join(f"'workflows/case.CaseFlow.{n}'" for n in TASK_NODES) + "]"
    perms = "ARRAY[" + ",".join(f"'projects.{c}'" for c in TASK_CAPABILITIES) + "]"
    _exec(
        f"""
        INSERT INTO viewflow_task (flow_task, flow_task_type, status, created, assigned, started, finished,
                                   token, process_id, owner_id, owner_permission, owner_permission_content_type_id,
                                   owner_permission_obj_pk, external_task_id, data)
        SELECT
            CASE WHEN human THEN ({nodes})[k] ELSE 'workflows/case.CaseFlow.conclude_approvals' END,
            CASE WHEN human THEN 'HUMAN' ELSE 'FUNCTION' END,
            CASE WHEN human AND r < %(open)s THEN 'NEW' ELSE 'DONE' END,
            created, NULL, NULL, CASE WHEN human AND r < %(open)s THEN NULL ELSE created END,
            'start', pid, NULL,
            CASE WHEN human THEN ({perms})[k] ELSE NULL END,
            CASE WHEN human THEN %(ct)s ELSE NULL END,
            CASE WHEN human THEN muni::text ELSE NULL END,
            NULL,
            CASE WHEN human AND d < %(due)s
                 THEN jsonb_build_object('municipality_id', muni, 'due', to_char(current_date + dd, 'YYYY-MM-DD'))
                 ELSE jsonb_build_object('municipality_id', muni) END
        FROM (
            SELECT random() < %(human)s AS human, random() AS r, 1 + floor(random() * 8)::int AS k,
                   random() AS d, floor(random() * (%(due_after)s + %(due_before)s + 1))::int - %(due_before)s AS dd,
                   now() - random() * interval '5 years' AS created,
                   %(p0)s + floor(random() * (%(p1)s - %(p0)s + 1))::bigint AS pid,
                   1 + floor(random() * %(slots)s)::bigint AS slot
            FROM generate_series(1, %(total)s) g
        ) t
        JOIN (SELECT slot, municipality_id AS muni FROM bench_muni_slots) s USING (slot)
        """,
        {
            "open": OPEN_SHARE,
            "due": DUE_SHARE,
            "due_before": DUE_DAYS_BEFORE,
            "due_after": DUE_DAYS_AFTER,
            "human": HUMAN_SHARE,
            "ct": ct,
            "p0": first_process,
            "p1": last_process,
            "slots": slots,
            "total": total,
        },
    )
    _exec("VACUUM ANALYZE viewflow_task" if connection.get_autocommit() else "ANALYZE viewflow_task")
    _exec("ANALYZE viewflow_process")
    return {
        "tasks": _one("SELECT count(*) FROM viewflow_task")[0],
        "open_human": _one("SELECT count(*) FROM viewflow_task WHERE status = 'NEW' AND flow_task_type = 'HUMAN'")[0],
    }
