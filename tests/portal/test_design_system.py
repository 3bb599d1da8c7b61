"""The KERN UX design system is served by the product, every form renders the same way, one format helper."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django import forms
from django.conf import settings
from django.contrib.staticfiles import finders
from django.utils import translation

from projects import formats

ROOT = Path(settings.BASE_DIR)


def test_the_served_kern_ux_files_are_the_version_pinned_in_package_lock():
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    pinned = lock["packages"]["node_modules/@kern-ux/native"]["version"]
    assert json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["dependencies"]["@kern-ux/native"] == pinned
    assert (ROOT / "portal/static/kern/VERSION").read_text(encoding="utf-8").strip() == pinned
    css = finders.find("kern/kern.min.css")
    assert css and Path(css).stat().st_size > 100_000
    fonts_css = Path(finders.find("kern/fonts/fira-sans.css")).read_text(encoding="utf-8")
    for name in re.findall(r'url\("\./fira-sans/([^"]+)"\)', fonts_css):
        assert finders.find(f"kern/fonts/fira-sans/{name}"), f"font file {name} is referenced but not served"


def test_the_served_bpmn_js_viewer_is_the_version_pinned_in_package_lock():
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    pinned = lock["packages"]["node_modules/bpmn-js"]["version"]
    assert json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["dependencies"]["bpmn-js"] == pinned
    assert (ROOT / "portal/static/bpmn-js/VERSION").read_text(encoding="utf-8").strip() == pinned
    for name in ("bpmn-navigated-viewer.production.min.js", "assets/diagram-js.css", "assets/bpmn-js.css"):
        assert finders.find(f"bpmn-js/{name}"), f"{name} is not served"


class _ExampleForm(forms.Form):
    title = forms.CharField(label="Titel", help_text="Kurz und verständlich.")
    kind = forms.ChoiceField(label="Art", choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)


@pytest.mark.parametrize("render", [lambda f: f.as_div(), lambda f: str(f)])
def test_every_form_renders_labels_hints_and_an_error_summary_through_the_portal_templates(render):
    html = render(_ExampleForm(data={}))
    assert "Bitte prüfen Sie Ihre Eingaben" in html
    assert '<label for="id_title">Titel' in html
    assert 'id="id_title_help"' in html and 'aria-describedby="id_title_help id_title_errors"' in html
    assert "kern-form-input__input" in html and "kern-form-check__radio" in html
    assert '<legend class="kern-label">Art' in html


def test_money_numbers_and_dates_follow_the_active_language():
    import datetime as dt

    with translation.override("de"):
        assert formats.money(Decimal("180000")) == "180.000,00\u00a0€"
        assert formats.money(Decimal("75000"), trim=True) == "75.000\u00a0€"
        assert formats.number(Decimal("7.3")) == "7,30"
        assert formats.number(Decimal("1234.999")) == "1.235,00"  # rounded, not cut off
        assert formats.day(dt.date(2026, 11, 22)) == "22.11.2026"
    with translation.override("en"):
        assert formats.money(Decimal("180000")) == "180,000.00\u00a0€"
        assert formats.number(Decimal("7.3")) == "7.30"


def test_the_funding_and_cost_texts_use_the_same_helper():
    from costs.exports import _german
    from costs.keys import fmt
    from funding.services.eligibility import euro

    with translation.override("de"):
        assert euro(Decimal("1234.5")) == formats.money(Decimal("1234.50"), space=" ") == "1.234,50 €"
        assert fmt(Decimal("1234.56")) == "1.234,56" and fmt(Decimal("1234")) == "1.234"
        assert _german(Decimal("1234.5")) == "1234,50"
