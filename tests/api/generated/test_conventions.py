"""The integration conventions every endpoint shares, as an integrator relies on them through the generated client:
idempotent POSTs, ``updated_since``, ETag/304, pagination, UTC times, Accept-Language, who acts for a municipality."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone, translation

from projects.models import Case, County, Municipality
from projects.services.screening import round_create

User = get_user_model()

pytestmark = pytest.mark.django_db(transaction=True)


def new_case(client, title="Gemeinsame Poststelle", key=None):
    from ikz_api_client.api.cases import cases_create
    from ikz_api_client.models import CaseCreateRequest
    from ikz_api_client.types import UNSET

    return cases_create.sync_detailed(
        client=client, body=CaseCreateRequest(county="mkk", title=title), idempotency_key=key or UNSET
    )


def test_a_repeated_post_with_the_same_idempotency_key_gets_the_first_answer_and_creates_nothing_twice(
    generated_client, token_for
):
    pm = generated_client(token_for("pm.mkk"))

    first = new_case(pm, "Gemeinsame Poststelle", key="dms-4711")
    again = new_case(pm, "Gemeinsame Poststelle", key="dms-4711")

    assert first.status_code == again.status_code == 201
    assert json.loads(again.content) == json.loads(first.content)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert Case.objects.filter(title="Gemeinsame Poststelle").count() == 1

    # the same key for another request is refused in German and changes nothing
    other = new_case(pm, "Gemeinsamer Bauhof", key="dms-4711")
    assert other.status_code == 422
    assert "andere Anfrage" in other.parsed.detail
    assert not Case.objects.filter(title="Gemeinsamer Bauhof").exists()

    # keys are per user: another person's system may use the same text
    pm_other = generated_client(token_for("foerderung.mkk"))
    assert new_case(pm_other, "Gemeinsame Poststelle", key="dms-4711").status_code in (201, 403)
    # without a key every POST creates
    assert new_case(pm, "Gemeinsame Poststelle").status_code == 201
    assert Case.objects.filter(title="Gemeinsame Poststelle", created_by__username="pm.mkk").count() == 2


def test_lists_give_only_what_changed_since_and_details_answer_304_while_unchanged(generated_client, token_for):
    from ikz_api_client.api.cases import cases_list, cases_retrieve
    from ikz_api_client.api.tasks import tasks_complete_create
    from ikz_api_client.models import TasksCompleteCreateBody

    pm = generated_client(token_for("pm.mkk"))
    changed_later = new_case(pm, "Gemeinsame Vollstreckung").parsed
    untouched = Case.objects.filter(county__slug="mkk").exclude(pk=changed_later.id).order_by("pk").first()
    since = timezone.now()

    created_later = new_case(pm, "Gemeinsame Kasse").parsed
    screening = next(t.id for t in changed_later.open_tasks if t.node == "screening")
    done = tasks_complete_create.sync_detailed(
        screening, client=pm, body=TasksCompleteCreateBody.from_dict({"decision": "pursue", "route": "county_wide"})
    )
    assert done.status_code == 200

    listed = cases_list.sync_detailed(client=pm, updated_since=since, page_size=100)
    assert listed.status_code == 200
    ids = {c.id for c in listed.parsed.results}
    assert {changed_later.id, created_later.id} <= ids
    assert untouched.pk not in ids
    later = cases_list.sync_detailed(client=pm, updated_since=timezone.now() + dt.timedelta(minutes=1))
    assert later.parsed.count == 0

    # a detail carries an ETag; asking with it again answers 304 without a body until the case changes
    first = cases_retrieve.sync_detailed(created_later.id, client=pm)
    etag = first.headers["ETag"]
    unchanged = cases_retrieve.sync_detailed(created_later.id, client=pm, if_none_match=etag)
    assert unchanged.status_code == 304 and unchanged.content == b""
    development = cases_retrieve.sync_detailed(changed_later.id, client=pm).headers["ETag"]
    assert development != etag
    case = Case.objects.get(pk=created_later.id)
    case.title = "Gemeinsame Stadtkasse"
    case.save()
    changed = cases_retrieve.sync_detailed(created_later.id, client=pm, if_none_match=etag)
    assert changed.status_code == 200 and changed.parsed.title == "Gemeinsame Stadtkasse"


def test_screening_rounds_come_in_pages_newest_first_and_only_those_changed_since(generated_client, token_for):
    from ikz_api_client.api.screening import screening_rounds_list

    pm = generated_client(token_for("pm.mkk"))
    seeded = screening_rounds_list.sync_detailed(client=pm, page_size=100)
    assert seeded.status_code == 200 and seeded.parsed.count >= 1
    assert {r.county for r in seeded.parsed.results} == {"mkk"}  # the own county's rounds only

    since = timezone.now()
    today = timezone.localdate()
    newer = round_create(
        county=County.objects.get(slug="mkk"),
        name="MKK Folgerunde",
        starts_on=today,
        ends_on=today + dt.timedelta(days=90),
        survey_partners=[],
        by=User.objects.get(username="pm.mkk"),
    )

    first = screening_rounds_list.sync_detailed(client=pm, page_size=1)
    assert first.parsed.count == seeded.parsed.count + 1
    assert [r.id for r in first.parsed.results] == [newer.pk] and first.parsed.next_
    changed = screening_rounds_list.sync_detailed(client=pm, updated_since=since)
    assert [r.id for r in changed.parsed.results] == [newer.pk]
    later = screening_rounds_list.sync_detailed(client=pm, updated_since=timezone.now() + dt.timedelta(minutes=1))
    assert later.status_code == 200 and later.parsed.count == 0
    refused = pm.get_httpx_client().get("/api/v1/screening/rounds/", params={"updated_since": "gestern"})
    assert refused.status_code == 400 and "ISO 8601" in refused.json()["errors"]["updated_since"][0]


def test_an_unreadable_updated_since_is_refused_in_german(anonymous_client, generated_client, token_for):
    from ikz_api_client.api.cases import cases_list

    pm = generated_client(token_for("pm.mkk"))
    answer = pm.get_httpx_client().get("/api/v1/cases/", params={"updated_since": "gestern"})
    assert answer.status_code == 400
    assert "ISO 8601" in answer.json()["errors"]["updated_since"][0]
    assert cases_list.sync_detailed(client=pm, page_size=1).status_code == 200


def test_lists_honour_page_size_up_to_100_and_times_are_utc(generated_client, token_for):
    from ikz_api_client.api.cases import cases_list
    from ikz_api_client.api.tasks import tasks_list

    pm = generated_client(token_for("pm.mkk"))
    one = cases_list.sync_detailed(client=pm, page_size=1)
    assert len(one.parsed.results) == 1 and one.parsed.count > 1 and one.parsed.next_
    many = tasks_list.sync_detailed(client=pm, page_size=1000)
    assert len(many.parsed.results) == min(100, many.parsed.count)

    raw = json.loads(one.content)["results"][0]["created_at"]
    assert raw.endswith("Z"), raw
    assert one.parsed.results[0].created_at.utcoffset() == dt.timedelta(0)
    task = json.loads(many.content)["results"][0]["created"]
    assert task.endswith("Z"), task


def test_messages_follow_accept_language(generated_client, token_for):
    from ikz_api_client.api.cases import cases_create
    from ikz_api_client.models import CaseCreateRequest

    token = token_for("pm.mkk")
    answers = {}
    for language in ("de", "en"):
        client = generated_client(token).with_headers({"Accept-Language": language})
        answer = cases_create.sync_detailed(client=client, body=CaseCreateRequest(county="nirgendwo", title=""))
        assert answer.status_code == 400
        answers[language] = answer.parsed
    assert answers["de"].errors["title"] == ["Dieses Feld darf nicht leer sein."]
    assert answers["en"].errors["title"] == ["This field may not be blank."]
    assert answers["de"].detail == "Die Eingaben sind ungültig."
    with translation.override("en"):
        assert answers["en"].detail == translation.gettext("Die Eingaben sind ungültig.")
    assert not Case.objects.filter(title="").exists()


def test_me_names_the_municipalities_and_the_people_who_act_for_one_are_listed_to_its_members_and_dkz(
    generated_client, token_for
):
    from ikz_api_client.api.auth import me_retrieve, municipalities_people_retrieve
    from ikz_api_client.models import Error, MunicipalityPeople

    ronneburg = Municipality.objects.get(slug="ronneburg")
    mayor = generated_client(token_for("bm.ronneburg"))
    me = me_retrieve.sync(client=mayor)
    assert me.municipality_ids == [ronneburg.pk]
    assert "mayor" in me.roles or me.roles

    for username in ("bm.ronneburg", "sb.ronneburg", "pm.mkk"):
        answer = municipalities_people_retrieve.sync(ronneburg.pk, client=generated_client(token_for(username)))
        assert isinstance(answer, MunicipalityPeople), (username, answer)
        people = {p.username: p for p in answer.people}
        assert {"bm.ronneburg", "sb.ronneburg"} <= set(people)
        assert people["bm.ronneburg"].role_label
        assert answer.municipality.id == ronneburg.pk

    for outsider in ("bm.neuberg", "pm.gg"):
        answer = municipalities_people_retrieve.sync_detailed(
            ronneburg.pk, client=generated_client(token_for(outsider))
        )
        assert answer.status_code == 404 and isinstance(answer.parsed, Error)
