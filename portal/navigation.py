"""The main menu of every portal page: which sections a person's roles may use, and the open-task count.

Built lazily by the context processor, so that pages which do not draw the menu (PDFs, e-mails) run no query for it.
The menu costs a constant number of queries: the memberships (cached on the user for the request) and one count
of the open tasks, capped at ``COUNT_CAP`` so that a very full inbox does not make every page slow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import get_script_prefix, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from projects.roles import Role
from projects.selectors import memberships_of, roles_of

COUNT_CAP = 99

MUNICIPAL = {Role.MAYOR, Role.CLERK}
EVERYONE = None  # every signed-in person

# (key, label, URL name, roles that may use the section or EVERYONE)
SECTIONS: list[tuple[str, Any, str, set[str] | None]] = [
    ("start", _("Startseite"), "portal:index", EVERYONE),
    ("tasks", _("Aufgaben"), "portal:inbox", EVERYONE),
    ("cases", _("Vorgänge"), "portal:cases", EVERYONE),
    ("screening", _("Screening"), "screening:index", MUNICIPAL | {Role.PROJECT_MANAGER, Role.BOARD}),
    (
        "procurement",
        _("Vergabe"),
        "procurement:index",
        MUNICIPAL | {Role.PROCUREMENT, Role.PROJECT_MANAGER, Role.BOARD},
    ),
    (
        "funding",
        _("Förderung"),
        "funding:index",
        MUNICIPAL | {Role.FUNDING, Role.PROJECT_MANAGER, Role.CONTROLLING, Role.BOARD},
    ),
    ("costs", _("Kosten"), "costs:index", MUNICIPAL | {Role.CONTROLLING, Role.FUNDING, Role.BOARD}),
    ("notifications", _("Benachrichtigungen"), "portal:notifications", EVERYONE),
    ("profile", _("Profil"), "portal:profile", EVERYONE),
]


@dataclass(frozen=True)
class MenuItem:
    key: str
    label: str
    url: str
    current: bool
    count: int | None = None
    more: bool = False  # the count is capped


def may_use(*, user: Any, key: str) -> bool:
    """Whether the person's roles may use the section ``key`` (menu entries and links to sections)."""
    for item_key, _label, _url_name, roles in SECTIONS:
        if item_key == key:
            return roles is EVERYONE or bool(roles_of(user=user) & roles)
    raise KeyError(key)


def open_task_count(*, user: Any) -> tuple[int, bool]:
    """The number of the person's open tasks, at most COUNT_CAP (and whether there are more).

    No query if the page counted the person's whole task list already (the inbox, the start page)."""
    from workflows.selectors import task_count_cached, task_list_for_user

    found = task_count_cached(user=user)
    if found is None:
        found = task_list_for_user(user=user).order_by().values("pk")[: COUNT_CAP + 1].count()
    return min(found, COUNT_CAP), found > COUNT_CAP


# (roles, language, script prefix) -> the menu's (key, label, URL) and the start URL: alike for every such request
_ENTRIES: dict[tuple[frozenset[str], str, str], tuple[list[tuple[str, str, str]], str]] = {}


def _entries(*, user: Any) -> tuple[list[tuple[str, str, str]], str]:
    cache_key = (frozenset(roles_of(user=user)), get_language() or "", get_script_prefix())
    cached = _ENTRIES.get(cache_key)
    if cached is None:
        entries = [
            (key, str(label), reverse(url_name))
            for key, label, url_name, _roles in SECTIONS
            if may_use(user=user, key=key)
        ]
        cached = _ENTRIES[cache_key] = (entries, reverse("portal:index"))
    return cached


def main_menu(*, user: Any, path: str) -> list[MenuItem]:
    entries, start = _entries(user=user)
    # the current section: the longest menu URL the path starts with (the start page only by its own URL)
    matching = [url for _key, _label, url in entries if path == url or (url != start and path.startswith(url))]
    current = max(matching, key=len, default="")
    menu = []
    for key, label, url in entries:
        count, more = open_task_count(user=user) if key == "tasks" else (None, False)
        menu.append(MenuItem(key=key, label=label, url=url, current=url == current, count=count, more=more))
    return menu


def organisations(*, user: Any) -> list[str]:
    """The person's organisations (municipality or institution) with the role, for the page header."""
    rows = []
    for membership in memberships_of(user=user):
        organisation = membership.municipality or membership.institution
        rows.append(f"{membership.get_role_display()}, {organisation}")
    return rows


def navigation(request) -> dict:
    """Context processor: ``nav`` with the menu, the person's name and organisations (evaluated when used)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def build() -> dict:
        return {
            "items": list(main_menu(user=user, path=request.path)),
            "name": user.get_full_name() or user.username,
            "organisations": organisations(user=user),
        }

    return {"nav": SimpleLazyObject(build)}
