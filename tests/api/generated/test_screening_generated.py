"""Acceptance (issue 18 item 12) with the generated client: the steering group enters a bundle's complexity, the
analysis answers the new score, the complexity's source, both ranks side by side and each route with its reason."""

from __future__ import annotations

from decimal import Decimal

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def _mkk_round(client):
    from ikz_api_client.api.screening import screening_rounds_list

    rounds = screening_rounds_list.sync(client=client, page_size=100).results
    return next(r for r in rounds if r.name == "MKK 2023")


def test_project_management_enters_a_complexity_and_reads_routes_and_both_ranks(generated_client, token_for):
    from ikz_api_client.api.screening import screening_round_bundle_complexity_set, screening_rounds_bundles_retrieve
    from ikz_api_client.models import BundleComplexityInRequest, BundleRow, ComplexitySourceEnum, RouteEnum

    pm = generated_client(token_for("pm.mkk"))
    mkk = _mkk_round(pm)

    before = screening_rounds_bundles_retrieve.sync(mkk.id, client=pm)
    abwasser = next(r for r in before.results if r.bundle.code == "abwasser")
    assert (Decimal(abwasser.complexity), abwasser.complexity_source) == (
        Decimal(2),
        ComplexitySourceEnum.STEERING_GROUP,
    )
    assert Decimal(abwasser.score) == Decimal("4.84")

    answer = screening_round_bundle_complexity_set.sync(
        mkk.id, "abwasser", client=pm, body=BundleComplexityInRequest(complexity=7, note="Lenkungsgruppe 03/2024")
    )
    assert isinstance(answer, BundleRow)
    assert (Decimal(answer.complexity), Decimal(answer.ease), Decimal(answer.score)) == (
        Decimal(7),
        Decimal(4),
        Decimal("4.34"),
    )
    assert answer.complexity_source == ComplexitySourceEnum.STEERING_GROUP

    after = {r.bundle.code: r for r in screening_rounds_bundles_retrieve.sync(mkk.id, client=pm).results}
    assert Decimal(after["abwasser"].score) == Decimal("4.34")
    # computed and decided rank side by side (the demo round carries the seed's decided ranking)
    assert (after["justiziariat"].decided_rank, after["datenschutz"].decided_rank) == (7, 1)
    assert after["justiziariat"].rank != after["justiziariat"].decided_rank
    assert "Schritt 2" in after["justiziariat"].decided_reason
    # the three routes, each with its reason
    assert after["datenschutz"].route == RouteEnum.COUNTY_WIDE
    assert after["abwasser"].route == RouteEnum.BILATERAL and "Wenige, aber dringlich" in after["abwasser"].route_reason
    assert after["abfall"].route == RouteEnum.NOT_PURSUED and "6,57" in after["abfall"].route_reason


def test_a_complexity_outside_1_to_10_or_from_a_clerk_is_refused(generated_client, token_for):
    from ikz_api_client.api.screening import screening_round_bundle_complexity_set, screening_rounds_bundles_retrieve
    from ikz_api_client.models import BundleComplexityInRequest, Error

    pm = generated_client(token_for("pm.mkk"))
    mkk = _mkk_round(pm)
    refused = screening_round_bundle_complexity_set.sync_detailed(
        mkk.id, "abwasser", client=pm, body=BundleComplexityInRequest(complexity=11)
    )
    assert refused.status_code == 400 and isinstance(refused.parsed, Error)
    assert "complexity" in refused.parsed.errors.additional_properties

    clerk = generated_client(token_for("sb.ronneburg"))
    forbidden = screening_round_bundle_complexity_set.sync_detailed(
        mkk.id, "abwasser", client=clerk, body=BundleComplexityInRequest(complexity=3)
    )
    assert forbidden.status_code == 403

    rows = {r.bundle.code: r for r in screening_rounds_bundles_retrieve.sync(mkk.id, client=pm).results}
    assert Decimal(rows["abwasser"].complexity) == Decimal(2)  # unchanged
