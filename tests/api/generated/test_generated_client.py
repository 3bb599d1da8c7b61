"""The generated client is usable as an integrator gets it: log in, read who one is."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_integrator_logs_in_and_reads_who_they_are_with_the_generated_client(generated_client, token_for):
    from ikz_api_client.api.auth import me_retrieve
    from ikz_api_client.models import Me

    me = me_retrieve.sync(client=generated_client(token_for("pm.mkk")))

    assert isinstance(me, Me)
    assert me.username == "pm.mkk"
    assert me.county == "mkk"
