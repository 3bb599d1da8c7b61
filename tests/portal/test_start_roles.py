"""A start page per DKZ role (issue 15): "Was ist zu tun" first, then what the role works on."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def _headings(html: str) -> list[str]:
    main = html[html.index("<main") : html.index("</main>")]
    return [re.sub(r"<[^>]+>|\s+\(\d+\)", "", h).strip() for h in re.findall(r"<h2[^>]*>(.*?)</h2>", main, re.S)]


@pytest.mark.parametrize(
    "username, expected",
    [
        ("pm.mkk", ["Überfällig in den Vorgängen", "IKZ-Vorgänge nach Phase"]),
        ("vergabe.mkk", ["Vergabeverfahren nach Stand", "Vergabekalender"]),
        ("foerderung.mkk", ["Förderanträge nach Stand"]),
        ("controlling.mkk", ["Kostenpläne nach Jahr", "Beitrittsanfragen"]),
        ("vorstand.mkk", ["Vorgänge vor einer Entscheidung der Gremien", "Kennzahlen"]),
        ("bm.ronneburg", ["Unsere Vorgänge", "Unsere Kosten"]),
        ("aufsicht.rpda", ["Satzungsänderungen und Vereinbarungen, die auf Sie warten"]),
    ],
)
def test_each_role_starts_with_what_is_to_do_and_sees_its_own_sections(login, username, expected):
    headings = _headings(login(username).get("/portal/").content.decode())
    if username != "aufsicht.rpda":
        assert headings[0] == "Was ist zu tun"
    for heading in expected:
        assert any(h.startswith(heading) for h in headings), (heading, headings)


@pytest.mark.parametrize(
    "username, foreign",
    [
        ("vergabe.mkk", ["Kostenpläne nach Jahr", "Förderanträge nach Stand", "Kennzahlen"]),
        ("foerderung.mkk", ["Vergabekalender", "Kostenpläne nach Jahr", "Überfällig in den Vorgängen"]),
        ("controlling.mkk", ["Vergabekalender", "IKZ-Vorgänge nach Phase"]),
    ],
)
def test_a_role_does_not_see_the_sections_of_the_other_dkz_roles(login, username, foreign):
    headings = _headings(login(username).get("/portal/").content.decode())
    for heading in foreign:
        assert not any(h.startswith(heading) for h in headings), (heading, headings)


def test_every_section_is_reachable_in_one_click_from_each_dkz_start_page(login):
    for username, section in (
        ("vergabe.mkk", "/procurement/"),
        ("foerderung.mkk", "/funding/"),
        ("controlling.mkk", "/costs/"),
        ("pm.mkk", "/screening/"),
    ):
        html = login(username).get("/portal/").content.decode()
        assert f'href="{section}"' in html, (username, section)
