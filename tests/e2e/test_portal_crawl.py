"""Every page a role reaches by clicking works (issue 15): a breadth-first link crawler per role.

From the start page each role follows the internal links (GET only; not logout, admin, API, downloads), bounded to
CRAWL_PAGES pages per role, and every page it reaches answers without 4xx/5xx, shows exactly one <main>, the main
menu and the logout button, and has no serious or critical axe-core violation. After the crawl the role logs out
from the last page it reached, and a protected page then redirects to the login.
"""

from __future__ import annotations

import os
import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest

from tests.e2e.conftest import axe_check, login, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROLES = [
    "pm.mkk",
    "vergabe.mkk",
    "foerderung.mkk",
    "controlling.mkk",
    "vorstand.mkk",
    "bm.ronneburg",
    "sb.ronneburg",
    "aufsicht.rpda",
]
PAGES_PER_ROLE = int(os.environ.get("CRAWL_PAGES", "14"))
SKIP = re.compile(
    r"^/(admin|api|accounts|i18n|static|media)/|/logout|\.(pdf|xlsx|csv|zip)$|/dokumente/\d+/$|/export|/vergabevermerk"
)


def _internal(base: str, current: str, href: str) -> str | None:
    if not href or href.startswith(("#", "mailto:", "tel:", "javascript:")):
        return None
    url = urlsplit(urljoin(current, href))
    if f"{url.scheme}://{url.netloc}" != base.rstrip("/"):
        return None
    path = url.path + (f"?{url.query}" if url.query else "")
    return None if SKIP.search(url.path) else path


def _crawl(page, axe_source: str, base: str, username: str) -> tuple[dict, list[str]]:
    problems: dict[str, list[str]] = {}
    queue, seen = deque(["/portal/"]), []
    while queue and len(seen) < PAGES_PER_ROLE:
        path = queue.popleft()
        if path in seen:
            continue
        seen.append(path)
        response = page.goto(path)
        found = []
        if response is None or response.status >= 400:
            found.append(f"HTTP {response.status if response else '–'}")
        if page.locator("main").count() != 1:
            found.append("not exactly one <main>")
        if page.locator("nav.ikz-menu").count() != 1:
            found.append("no main menu")
        if page.get_by_role("button", name="Abmelden").count() != 1:
            found.append("no logout button")
        serious = axe_check(page, axe_source, f"{username} {path}")
        found += [f"axe {v['id']} ({v['impact']})" for v in serious]
        if found:
            problems[path] = found
        hrefs = page.eval_on_selector_all("a[href]:not([download])", "els => els.map(e => e.getAttribute('href'))")
        for href in hrefs:
            target = _internal(base, page.url, href)
            if target and target not in seen and target not in queue:
                queue.append(target)
    return problems, seen


def _decision_pages(page, axe_source: str, username: str) -> dict:
    """The inbox, a case page and the decision pages of the role (screenshots for the README)."""
    from viewflow.workflow import STATUS
    from viewflow.workflow.models import Task

    from projects.models import Case, Membership
    from workflows.case import CaseFlow

    problems = {}
    slug = username.replace(".", "-")
    case = Case.objects.get(county__slug="mkk", title="Gemeinsamer Datenschutzbeauftragter")
    pages = [
        ("/portal/aufgaben/", f"aufgaben-{slug}", "Aufgaben"),
        (f"/portal/vorgaenge/{case.pk}/", f"vorgang-{slug}", None),
    ]
    mine = {m.municipality_id for m in Membership.objects.filter(user__username=username) if m.municipality_id}
    for node, name, heading in (
        (CaseFlow.approve_project_order, "entscheidung-projektauftrag", "Projektauftrag"),
        (CaseFlow.consent_statute_amendment, "entscheidung-satzungsaenderung", "Satzungsänderung"),
        (CaseFlow.record_resolution, "entscheidung-gremienbeschluss", "Projektauftrag"),
    ):
        task = next(
            (t for t in Task.objects.filter(status=STATUS.NEW, flow_task=node) if t.data["municipality_id"] in mine),
            None,
        )
        if task is not None:
            pages.append((f"/portal/aufgaben/{task.pk}/", name, heading))
    if username == "pm.mkk":  # the project management's own decision: the screening of an idea
        screening = Task.objects.filter(status=STATUS.NEW, flow_task=CaseFlow.screening).first()
        assert screening is not None, "the demo has an idea waiting for its screening"
        pages.append((f"/portal/aufgaben/{screening.pk}/", "entscheidung-screening", "Screening"))
    for path, name, heading in pages:
        response = page.goto(path)
        found = [] if response and response.status < 400 else [f"HTTP {response.status if response else '–'}"]
        if heading and not page.get_by_text(heading).count():
            found.append(f"does not show {heading}")
        found += [f"axe {v['id']}" for v in axe_check(page, axe_source, f"{username} {path}")]
        screenshot(page, name)
        if found:
            problems[path] = found
    if username == "bm.ronneburg":
        assert len(pages) >= 4, "the demo gives the mayor of Ronneburg decisions to take"
    return problems


def test_every_page_each_role_reaches_by_links_works_has_the_menu_and_logout_and_is_accessible(page, axe_source, world):
    problems, reached = {}, {}
    for username in ROLES:
        login(page, username)
        screenshot(page, f"start-{username.replace('.', '-')}")
        found, seen = _crawl(page, axe_source, world.url, username)
        if username in ("pm.mkk", "bm.ronneburg"):
            found.update(_decision_pages(page, axe_source, username))
        reached[username] = len(seen)
        problems.update({f"{username} {path}": issues for path, issues in found.items()})
        # logout from the last page reached; afterwards a protected page asks for the login again
        page.get_by_role("button", name="Abmelden").click()
        page.wait_for_url("**/accounts/login/**")
        page.goto("/portal/aufgaben/")
        assert "/accounts/login/" in page.url, f"{username}: the inbox is still open after logout"
    print(f"\npages reached per role: {reached}")
    assert all(n >= 5 for n in reached.values()), reached
    assert not problems, "\n".join(f"{where}: {', '.join(issues)}" for where, issues in problems.items())
