"""German throughout for municipality users; English switchable; German dates and amounts."""

from __future__ import annotations

import datetime as dt
import gettext
import html
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from tests.portal.conftest import demo_case

pytestmark = pytest.mark.django_db

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.mo"


def english_strings() -> set[str]:
    """The English texts of the project's own catalogue that differ from their German source and are words."""
    with CATALOGUE.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    english = set()
    for key, text in catalogue.items():
        source = key[0] if isinstance(key, tuple) else key
        if not source or not text or text == source:
            continue
        text = re.sub(r"%\([a-z_]+\)[sd]", "", text).strip(" .:,")
        # whole phrases only: at least two words or one long word, so that "Status" or "Text" (the same in both
        # languages) never count as English
        if len(text) >= 8 and (" " in text or len(text) >= 10):
            english.add(text)
    return english


def visible_text(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<svg\b.*?</svg>", " ", page, flags=re.S)
    attributes = " ".join(re.findall(r'(?:aria-label|title|alt|placeholder)="([^"]*)"', page))
    return html.unescape(re.sub(r"<[^>]+>", " ", page) + " " + attributes)


def municipality_pages(client) -> list[str]:
    case = demo_case()
    return [
        "/portal/",
        "/portal/aufgaben/",
        "/portal/vorgaenge/",
        f"/portal/vorgaenge/{case.pk}/",
        "/portal/vorgaenge/neu/",
        "/portal/benachrichtigungen/",
        "/portal/benachrichtigungen/einstellungen/",
    ] + [f"/portal/aufgaben/{row.pk}/" for row in client.get("/portal/aufgaben/").context["rows"][:2]]


def test_the_catalogue_has_english_translations():
    strings = english_strings()
    assert "What to do" in strings and "Approve the project order" in strings and len(strings) > 200


@pytest.mark.parametrize("username", ["bm.ronneburg", "sb.ronneburg"])
def test_municipality_users_see_no_english_from_our_catalogue(client, username):
    english = english_strings()
    client.force_login(get_user_model().objects.get(username=username))
    found = {}
    for path in municipality_pages(client):
        response = client.get(path, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
        assert response.status_code == 200, path
        assert '<html lang="de"' in response.content.decode()
        text = visible_text(response.content.decode())
        hits = sorted(s for s in english if re.search(r"(?<![\w-])" + re.escape(s) + r"(?![\w-])", text))
        if hits:
            found[path] = hits
    assert not found, f"English on German pages: {found}"


def test_the_login_page_is_german(client):
    text = visible_text(client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="de").content.decode())
    assert "Anmelden" in text and "Benutzername" in text and "Log in" not in text and "Django" not in text


def test_language_switch_to_english_and_back(client, users):
    client.force_login(users["bm.ronneburg"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/portal/"})
    page = client.get("/portal/").content.decode()
    assert '<html lang="en"' in page and "What to do" in page and "Was ist zu tun" not in page
    client.post("/i18n/setlang/", {"language": "de", "next": "/portal/"})
    assert "Was ist zu tun" in client.get("/portal/").content.decode()


def test_dates_and_amounts_in_german_format(client, users):
    from django.template import Context, Template
    from django.utils import translation

    with translation.override("de"):
        rendered = Template("{% load portal_tags %}{{ a|euro }} {{ d|day }}").render(
            Context({"a": Decimal("1140"), "d": dt.date(2026, 11, 22)})
        )
    assert rendered == "1.140,00\u00a0€ 22.11.2026"
    client.force_login(users["pm.mkk"])
    page = client.get(f"/portal/vorgaenge/{demo_case().pk}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert re.search(r"\d{2}\.\d{2}\.\d{4}", page) and "95.000,00\u00a0€" in page
