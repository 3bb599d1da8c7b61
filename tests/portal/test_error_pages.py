"""The server error page is German and inside the page frame, even without a request context (issue 15)."""

from __future__ import annotations

from django.test import RequestFactory
from django.views.defaults import server_error


def test_a_server_error_shows_the_german_500_page_in_the_layout():
    response = server_error(RequestFactory().get("/portal/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert "Technischer Fehler" in html and "Ihre Eingabe wurde nicht gespeichert" in html
    assert html.count("<main") == 1 and "kern/kern.min.css" in html
