"""Read models of the portal pages, built only on the domain and workflow selectors (visibility lives there).

Every function here issues a constant number of queries, whatever the number of tasks or cases: lists are
paginated or limited, and the records a row needs (its case, its municipality) are fetched in one query per page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Page, Paginator
from django.db.models import CharField, Count, Q, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.functional import cached_property
from viewflow.workflow import STATUS
from viewflow.workflow.flow import Flow
from viewflow.workflow.models import Task

from projects.models import Case, Municipality
from projects.roles import ROLE_CAPABILITIES
from projects.selectors import case_list_for_user, memberships_of
from workflows.case import CaseFlow
from workflows.funding import FundingFlow
from workflows.procurement import ProcurementFlow
from workflows.selectors import next_due_by_case, task_list_for_user

OPEN = (STATUS.NEW, STATUS.ASSIGNED)

# The flows whose tasks appear in the inbox, with the key used in the filter form.
FLOWS: dict[str, type[Flow]] = {"case": CaseFlow, "procurement": ProcurementFlow, "funding": FundingFlow}


def _case_ct() -> ContentType:
    return ContentType.objects.get_for_model(Case)


def due_expression():
    """The due date a task carries in its data (ISO text, so it compares and sorts as a date on every database)."""
    return Cast(KT("data__due"), output_field=CharField(max_length=10))


def _today() -> dt.date:
    return timezone.localdate()


# --- rows -----------------------------------------------------------------------------------------------------
@dataclass
class TaskRow:
    task: Task
    case: Case | None
    municipality: Municipality | None
    due: dt.date | None
    subject: Any = None  # the record of a procurement or funding flow (its artifact)
    title: str = ""
    overdue: bool = False
    mine: bool = False
    actions: list[Any] = field(default_factory=list)  # the case page fills in what the viewer may do

    @property
    def pk(self) -> int:
        return self.task.pk


def _due_of(task: Task) -> dt.date | None:
    value = (task.data or {}).get("due")
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def task_rows(*, tasks: list[Task], user: Any) -> list[TaskRow]:
    """Attach each task's record (case, procedure, application) and municipality: one query per kind of record."""
    wanted: dict[int, set[int]] = {}
    for t in tasks:
        if t.process.artifact_content_type_id and t.process.artifact_object_id:
            wanted.setdefault(t.process.artifact_content_type_id, set()).add(t.process.artifact_object_id)
    case_ct = _case_ct()
    records: dict[tuple[int, int], Any] = {}
    for ct_id, ids in wanted.items():
        model = ContentType.objects.get_for_id(ct_id).model_class()
        if model is None:
            continue
        records_of_model = model._default_manager.all()
        if model is Case:
            records_of_model = records_of_model.select_related("county", "proposing_municipality")
        records.update({(ct_id, pk): obj for pk, obj in records_of_model.in_bulk(ids).items()})
    municipality_ids = {t.data.get("municipality_id") for t in tasks if (t.data or {}).get("municipality_id")}
    municipalities = Municipality.objects.in_bulk(municipality_ids)
    today = _today()
    titles: dict[Any, str] = {}  # per node: a page holds few kinds of task, each title is translated once
    rows = []
    for task in tasks:
        due = _due_of(task)
        node = task.flow_task
        if node not in titles:
            titles[node] = str(getattr(node, "task_title", "") or node)
        record = records.get((task.process.artifact_content_type_id, task.process.artifact_object_id))
        rows.append(
            TaskRow(
                task=task,
                case=record if task.process.artifact_content_type_id == case_ct.pk else None,
                subject=record,
                municipality=municipalities.get((task.data or {}).get("municipality_id")),
                due=due,
                title=titles[node],
                overdue=bool(due and due < today),
                mine=task.owner_id == getattr(user, "pk", None),
            )
        )
    return rows


# --- inbox ----------------------------------------------------------------------------------------------------
@dataclass
class InboxFilter:
    flow: str = ""
    stage: str = ""
    municipality: int | None = None
    due: str = ""  # overdue / week / none
    assigned: str = ""  # mine / open
    q: str = ""
    sort: str = "due"  # due / -due / new

    @classmethod
    def from_query(cls, params) -> InboxFilter:
        municipality = params.get("municipality") or ""
        return cls(
            flow=params.get("flow", "") if params.get("flow", "") in FLOWS else "",
            stage=params.get("stage", "") if params.get("stage", "") in Case.Stage.values else "",
            # an id beyond the database's integer range cannot exist (and would overflow the query)
            municipality=int(municipality) if municipality.isdigit() and len(municipality) <= 18 else None,
            due=params.get("due", "") if params.get("due", "") in ("overdue", "week", "none") else "",
            assigned=params.get("assigned", "") if params.get("assigned", "") in ("mine", "open") else "",
            q=(params.get("q") or "").strip()[:100],
            sort=params.get("sort", "due") if params.get("sort", "due") in ("due", "-due", "new") else "due",
        )


def _cases_matching(q: str) -> QuerySet[Case, Any]:
    return Case.objects.filter(Q(title__icontains=q) | Q(number__icontains=q)).values("pk")


def _nodes_titled(q: str) -> list[Any]:
    needle = q.casefold()
    return [
        node
        for flow_class in FLOWS.values()
        for node in flow_class.instance.nodes()
        if needle in str(getattr(node, "task_title", "") or "").casefold()
    ]


def inbox_for_user(*, user: Any, filters: InboxFilter) -> QuerySet[Task]:
    """The user's actionable tasks (task_list_for_user), filtered and sorted; paginate the result."""
    tasks = task_list_for_user(user=user).annotate(due_text=due_expression())
    ct = _case_ct()
    if filters.flow:
        tasks = tasks.filter(process__flow_class=FLOWS[filters.flow])
    if filters.stage:
        tasks = tasks.filter(
            process__artifact_content_type=ct,
            process__artifact_object_id__in=Case.objects.filter(stage=filters.stage).values("pk"),
        )
    if filters.municipality:
        involved = Case.objects.filter(
            Q(participants__municipality_id=filters.municipality) | Q(proposing_municipality_id=filters.municipality)
        ).values("pk")
        tasks = tasks.filter(
            Q(data__municipality_id=filters.municipality)
            | Q(process__artifact_content_type=ct, process__artifact_object_id__in=involved)
        )
    today = _today()
    if filters.due == "overdue":
        tasks = tasks.filter(due_text__lt=today.isoformat())
    elif filters.due == "week":
        tasks = tasks.filter(due_text__gte=today.isoformat(), due_text__lte=(today + dt.timedelta(days=7)).isoformat())
    elif filters.due == "none":
        tasks = tasks.filter(due_text__isnull=True)
    if filters.assigned == "mine":
        tasks = tasks.filter(owner=user)
    elif filters.assigned == "open":
        tasks = tasks.filter(owner__isnull=True)
    if filters.q:
        condition = Q(process__artifact_content_type=ct, process__artifact_object_id__in=_cases_matching(filters.q))
        nodes = _nodes_titled(filters.q)
        if nodes:
            condition |= Q(flow_task__in=nodes)
        tasks = tasks.filter(condition)
    from django.db.models import F

    if filters.sort == "new":
        return tasks.order_by("-created", "-pk")
    if filters.sort == "-due":
        return tasks.order_by(F("due_text").desc(nulls_last=True), "-pk")
    return tasks.order_by(F("due_text").asc(nulls_last=True), "pk")


class InboxPaginator(Paginator):
    """Pages of ``inbox_for_user``; for large inboxes the page's tasks are chosen by id before they are joined.

    Sorting by due date needs every matching task, and PostgreSQL joined each of them with its process and owner
    before sorting (thousands of rows for a user with 421 municipalities) where the page needs 25. From
    ``CHOOSE_FIRST_FROM`` matching tasks the page is read as ``id IN (the filtered tasks, sorted, cut to the page)``,
    sorted again, still one query (421 municipalities, 2,729 tasks: 21 -> 11 ms in PostgreSQL). Below, the second
    compilation of the filter costs more Python than the join costs PostgreSQL (a county's DKZ with 409 tasks: about
    1.5 ms more Python for 1.1 ms less in PostgreSQL).
    """

    CHOOSE_FIRST_FROM = 1000
    # The inbox lists at most this many tasks (40 pages of 25) and says "more than" beyond: counting every visible
    # task cost 196 ms in PostgreSQL for a user with 421 municipalities at 10^7 tasks (27,744 visible), counting up
    # to the limit 24 ms (docs/benchmarks.md). Nobody pages through more; the filters narrow the list.
    COUNT_UP_TO = 1000

    @cached_property
    def _found(self) -> int:
        """The matching tasks, counted up to one more than COUNT_UP_TO."""
        tasks = cast(QuerySet[Task], self.object_list)
        return tasks.order_by().values("pk")[: self.COUNT_UP_TO + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._found, self.COUNT_UP_TO)

    @property
    def more(self) -> bool:
        """Whether more tasks match than the inbox lists (``count`` is then COUNT_UP_TO)."""
        return self._found > self.COUNT_UP_TO

    def page(self, number):
        if self.count < self.CHOOSE_FIRST_FROM:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        tasks = cast(QuerySet[Task], self.object_list)
        chosen = (
            Task.objects.filter(pk__in=tasks.values("pk")[bottom:top])
            .select_related("process", "owner")
            .annotate(due_text=due_expression())
            .order_by(*tasks.query.order_by)
        )
        return Page(chosen, number, self)


def flow_choices() -> list[tuple[str, str]]:
    return [(key, str(flow_class.process_title)) for key, flow_class in FLOWS.items()]


def team_of(*, user: Any) -> QuerySet:
    """Colleagues a task may be handed to: people of the user's organisations whose role shares a task capability
    with one of the user's roles (projects.roles), so the list never offers someone who could take none of the
    user's kinds of task (one query). Whether the chosen person may take a particular task is checked on hand-over.
    """
    memberships = memberships_of(user=user)
    mine = {c for m in memberships for c in ROLE_CAPABILITIES.get(m.role, ())} - {"view_municipality_records"}
    roles = [role for role, capabilities in ROLE_CAPABILITIES.items() if mine & set(capabilities)]
    municipality_ids = {m.municipality_id for m in memberships if m.municipality_id}
    institution_ids = {m.institution_id for m in memberships if m.institution_id}
    if not roles or (not municipality_ids and not institution_ids):
        return get_user_model().objects.none()
    return (
        get_user_model()
        .objects.filter(
            Q(memberships__municipality_id__in=municipality_ids) | Q(memberships__institution_id__in=institution_ids),
            memberships__role__in=roles,
            is_active=True,
        )
        .exclude(pk=user.pk)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def substitutes_of(*, user: Any) -> list[Any]:
    """The people named as the user's substitute in any of their memberships (no query beyond memberships)."""
    ids = {m.substitute_id for m in memberships_of(user=user) if m.substitute_id}
    if not ids:
        return []
    return list(get_user_model().objects.filter(pk__in=ids, is_active=True))


# --- cases ----------------------------------------------------------------------------------------------------
def case_tasks_for_user(*, user: Any) -> QuerySet[Task]:
    """Open human tasks of every case the user may see (for overviews: overdue items, deadlines)."""
    return Task.objects.filter(
        flow_task_type="HUMAN",
        status__in=OPEN,
        process__artifact_content_type=_case_ct(),
        process__artifact_object_id__in=case_list_for_user(user=user).values("pk"),
    ).annotate(due_text=due_expression())


def next_due_of(*, case: Case) -> dt.date | None:
    """The earliest due date of the case's open tasks (or the case's own next deadline)."""
    return next_due_by_case(cases=[case])[case.pk]


# --- dashboards -----------------------------------------------------------------------------------------------
PIPELINE_STAGES = [
    Case.Stage.IDEA,
    Case.Stage.SCREENING,
    Case.Stage.DEVELOPMENT,
    Case.Stage.APPROVAL,
    Case.Stage.RESOLUTIONS,
    Case.Stage.FUNDING,
    Case.Stage.STATUTE,
    Case.Stage.AGREEMENT,
    Case.Stage.SUPERVISION,
    Case.Stage.TRANSFER,
    Case.Stage.TRANSFERRED,
]


@dataclass
class PipelineBar:
    stage: str
    label: str
    count: int
    width: int = 0
    y: int = 0


@dataclass
class Pipeline:
    bars: list[PipelineBar] = field(default_factory=list)
    parked: int = 0
    rejected: int = 0
    total: int = 0
    height: int = 0


def pipeline_for_user(*, user: Any) -> Pipeline:
    """Cases per stage (one grouped query), laid out as a funnel chart."""
    counts = dict(
        case_list_for_user(user=user).order_by().values_list("stage").annotate(n=Count("pk")).values_list("stage", "n")
    )
    labels = dict(Case.Stage.choices)
    largest = max([counts.get(s, 0) for s in PIPELINE_STAGES] + [1])
    bars = []
    for index, stage in enumerate(PIPELINE_STAGES):
        count = counts.get(stage, 0)
        bars.append(
            PipelineBar(
                stage=stage,
                label=str(labels[stage]),
                count=count,
                width=max(4, round(360 * count / largest)) if count else 4,
                y=index * 30,
            )
        )
    return Pipeline(
        bars=bars,
        parked=counts.get(Case.Stage.PARKED, 0),
        rejected=counts.get(Case.Stage.REJECTED, 0),
        total=sum(counts.values()),
        height=len(bars) * 30,
    )
