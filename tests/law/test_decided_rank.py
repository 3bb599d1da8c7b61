"""The steering group fixes a decided rank per bundle with its reason; the page shows the computed and the decided
rank side by side (seed 000 "Schritt 2" cannot follow from its visible columns: it was a steering decision)."""

import pytest

from projects.models import AuditEntry, BundleRankDecision, ScreeningRound
from projects.services.reference import read_fixture
from projects.services.screening_analysis import bundle_analysis

pytestmark = pytest.mark.django_db


@pytest.fixture
def mkk_round():
    return ScreeningRound.objects.get(county__slug="mkk", name="MKK 2023")


def test_the_demo_round_carries_the_seeds_decided_ranking_beside_the_computed_one(mkk_round):
    seed = {b["bundle"]: b["seed_rank"] for b in read_fixture("screening_demo_targets.json")["mkk"]["bundles"]}
    rows = bundle_analysis(screening_round=mkk_round)
    assert {r.code: r.decided_rank for r in rows if r.code in seed} == seed
    assert all("Schritt 2" in r.decided_reason for r in rows if r.code in seed)
    # the seed's order does not follow from the visible columns: computed and decided ranks differ
    assert any(r.rank != r.decided_rank for r in rows if r.code in seed)


def test_project_management_fixes_a_decided_rank_with_its_reason_beside_the_computed_one(client, users, mkk_round):
    rows = bundle_analysis(screening_round=mkk_round)
    fifth = rows[4]
    assert fifth.rank == 5
    seed_rank = fifth.decided_rank
    client.force_login(users["pm.mkk"])
    url = f"/screening/rounds/{mkk_round.pk}/bundles/{fifth.code}/rank/"
    response = client.post(url, {"decided_rank": "1", "reason": "Lenkungsgruppe 12.03.2024: hohe Komplexität"})
    assert response.status_code == 302

    decision = BundleRankDecision.objects.get(round=mkk_round, code=fifth.code)
    assert (decision.decided_rank, decision.decided_by) == (1, users["pm.mkk"])
    row = next(r for r in bundle_analysis(screening_round=mkk_round) if r.code == fifth.code)
    assert (row.rank, row.decided_rank) == (5, 1)  # the computed rank stays, the decision stands beside it
    audit = AuditEntry.objects.filter(action="screening.rank_decided").latest("pk")
    assert audit.changes["decided_rank"] == {"old": seed_rank, "new": 1}
    assert audit.changes["computed_rank"]["new"] == 5

    page = client.get(f"/screening/rounds/{mkk_round.pk}/").content.decode()
    assert "Rang (berechnet)" in page and "Rang (entschieden)" in page
    assert "Lenkungsgruppe 12.03.2024: hohe Komplexität" in page


def test_a_decided_rank_without_reason_is_refused_in_german_and_changes_nothing(client, users, mkk_round):
    code = bundle_analysis(screening_round=mkk_round)[0].code
    client.force_login(users["pm.mkk"])
    before = AuditEntry.objects.count()
    decisions = list(BundleRankDecision.objects.filter(round=mkk_round).values_list("code", "decided_rank", "reason"))
    response = client.post(
        f"/screening/rounds/{mkk_round.pk}/bundles/{code}/rank/", {"decided_rank": "2", "reason": " "}, follow=True
    )
    assert "Bitte den entschiedenen Rang begründen" in response.content.decode()
    after = list(BundleRankDecision.objects.filter(round=mkk_round).values_list("code", "decided_rank", "reason"))
    assert after == decisions
    assert AuditEntry.objects.count() == before


def test_only_the_project_management_decides_the_rank(client, users, mkk_round):
    code = bundle_analysis(screening_round=mkk_round)[0].code
    before = list(BundleRankDecision.objects.filter(round=mkk_round).values_list("code", "decided_rank", "reason"))
    client.force_login(users["vergabe.mkk"])
    url = f"/screening/rounds/{mkk_round.pk}/bundles/{code}/rank/"
    assert client.post(url, {"decided_rank": "99", "reason": "x"}).status_code == 403
    after = list(BundleRankDecision.objects.filter(round=mkk_round).values_list("code", "decided_rank", "reason"))
    assert after == before


def test_round_defaults_and_the_complexity_to_ease_mapping_are_dated_data_with_their_source(users):
    import datetime as dt

    from django.core.exceptions import ValidationError

    from projects.models import County
    from projects.services.screening import default_criteria, round_create

    defaults = default_criteria(on=dt.date(2026, 3, 1))
    assert defaults.ease_offset == 11 and defaults.weights == {"reach": 50, "urgency": 40, "ease": 10}
    assert "[U]" in defaults.source and "Lenkungsgruppe" in defaults.source
    with pytest.raises(ValidationError):
        default_criteria(on=dt.date(2000, 1, 1))  # before the first version: no silent literal
    new_round = round_create(
        county=County.objects.get(slug="mkk"),
        name="MKK 2026",
        starts_on=dt.date(2026, 3, 1),
        ends_on=dt.date(2026, 6, 30),
        survey_partners=[],
        by=users["pm.mkk"],
    )
    assert new_round.ease_offset == 11
    assert {c.key: c.weight for c in new_round.criteria.all()} == defaults.weights
