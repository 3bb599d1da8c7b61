"""The foundation: organisation, capabilities, settings, health and the demo world."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from guardian.models import GroupObjectPermission, UserObjectPermission

from projects.models import Anstaltstraeger, BoardSeat, County, Institution, Membership, Municipality
from projects.selectors import has_capability, municipality_list_for_user
from projects.text import german_slug
from tests.conftest import services_required

ROOT = Path(settings.BASE_DIR)
pytestmark = pytest.mark.django_db


def test_ci_runs_against_postgresql_and_redis():
    if not services_required():
        pytest.skip("only enforced in CI (CI_REQUIRE_SERVICES=1)")
    import redis

    assert connection.vendor == "postgresql", "CI must test against PostgreSQL"
    assert redis.Redis.from_url(settings.CELERY_BROKER_URL).ping() is True
    print(f"database={connection.vendor} broker={settings.CELERY_BROKER_URL}")


def test_reference_data_holds_both_counties_with_ags():
    mkk = County.objects.get(slug="mkk")
    gg = County.objects.get(slug="gg")
    assert mkk.municipalities.exclude(kind=Municipality.Kind.LANDKREIS).count() == 28
    assert gg.municipalities.exclude(kind=Municipality.Kind.LANDKREIS).count() == 14
    assert Municipality.objects.get(name="Ronneburg").ags == "06435024"
    assert Municipality.objects.get(name="Wächtersbach").ags == "06435029"
    assert Municipality.objects.get(name="Trebur").ags == "06433014"
    hanau = Municipality.objects.get(name="Hanau")
    assert (hanau.kind, hanau.county, hanau.ags) == (Municipality.Kind.KREISFREIE_STADT, None, "06415000")


def test_dkz_main_kinzig_has_every_municipality_and_the_county_as_anstaltstraeger():
    dkz = Institution.objects.get(slug="dkz-mkk")
    members = Anstaltstraeger.objects.filter(dkz=dkz)
    assert members.count() == 29  # 28 municipalities + the county itself
    assert not members.filter(municipality__name="Hanau").exists()
    assert members.filter(municipality__name="Main-Kinzig-Kreis").exists()
    assert {m.stammkapital for m in members} == {dkz.stammkapital_per_member}
    assert BoardSeat.objects.filter(dkz=dkz, body=BoardSeat.Body.VERWALTUNGSRAT).count() == 29


def test_clerk_of_ronneburg_holds_no_capability_on_neuberg(users):
    clerk = users["sb.ronneburg"]
    ronneburg = Municipality.objects.get(slug="ronneburg")
    neuberg = Municipality.objects.get(slug="neuberg")
    assert has_capability(user=clerk, capability="declare_interest", municipality=ronneburg)
    assert not has_capability(user=clerk, capability="approve_project_order", municipality=ronneburg)
    for codename, _label in Municipality._meta.permissions:
        assert not has_capability(user=clerk, capability=codename, municipality=neuberg), codename
    assert list(municipality_list_for_user(user=clerk)) == [ronneburg]


def test_mayor_approves_only_for_own_municipality(users):
    mayor = users["bm.ronneburg"]
    assert has_capability(
        user=mayor, capability="approve_project_order", municipality=Municipality.objects.get(slug="ronneburg")
    )
    assert not has_capability(
        user=mayor, capability="approve_project_order", municipality=Municipality.objects.get(slug="neuberg")
    )


@pytest.mark.parametrize("username", ["pm.mkk", "vergabe.mkk", "foerderung.mkk", "controlling.mkk", "vorstand.mkk"])
def test_dkz_staff_of_one_county_hold_nothing_in_the_other(users, username):
    user = users[username]
    for municipality in Municipality.objects.filter(county__slug="gg"):
        for codename, _label in Municipality._meta.permissions:
            assert not has_capability(user=user, capability=codename, municipality=municipality)
    visible = municipality_list_for_user(user=user)
    assert not visible.filter(county__slug="gg").exists()
    assert visible.count() == Municipality.objects.filter(county__slug="mkk").count()


def test_dkz_staff_cannot_approve_for_a_municipality(users):
    ronneburg = Municipality.objects.get(slug="ronneburg")
    assert has_capability(user=users["pm.mkk"], capability="manage_case", municipality=ronneburg)
    assert not has_capability(user=users["pm.mkk"], capability="approve_project_order", municipality=ronneburg)


def test_capabilities_are_never_granted_globally():
    from django.contrib.auth.models import Permission

    capability_perms = Permission.objects.filter(content_type__app_label="projects", content_type__model="municipality")
    assert not capability_perms.filter(user__isnull=False).exists()
    assert not capability_perms.filter(group__isnull=False).exists()
    assert GroupObjectPermission.objects.exists()


def test_inactive_user_holds_no_capability(users):
    mayor = users["bm.neuberg"]
    mayor.is_active = False
    mayor.save()
    assert not has_capability(
        user=mayor, capability="approve_project_order", municipality=Municipality.objects.get(slug="neuberg")
    )
    assert municipality_list_for_user(user=mayor).count() == 0


def test_supervisor_sees_both_supervised_counties(users):
    visible = municipality_list_for_user(user=users["aufsicht.rpda"])
    assert set(visible.values_list("county__slug", flat=True)) == {"mkk", "gg"}


def test_seed_demo_twice_leaves_the_same_data():
    def snapshot():
        return {
            "municipalities": sorted(Municipality.objects.values_list("ags", "name", "slug", "county__slug")),
            "memberships": sorted(
                Membership.objects.values_list("user__username", "role", "municipality__slug", "institution__slug")
            ),
            "groups": sorted(Group.objects.values_list("name", flat=True)),
            "group_perms": GroupObjectPermission.objects.count(),
            "user_perms": UserObjectPermission.objects.count(),
            "members": Anstaltstraeger.objects.count(),
            "seats": BoardSeat.objects.count(),
        }

    before = snapshot()
    call_command("seed_demo", quiet_logins=True, verbosity=0)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Ronneburg", "ronneburg"),
        ("Bad Soden-Salmünster", "bad-soden-salmuenster"),
        ("Main-Kinzig-Kreis", "main-kinzig-kreis"),
        ("Groß-Gerau", "gross-gerau"),
        ("Steinau an der Straße", "steinau-an-der-strasse"),
        ("Mörfelden-Walldorf", "moerfelden-walldorf"),
    ],
)
def test_demo_logins_use_the_german_ascii_slug(name, slug, users):
    assert german_slug(name) == slug
    assert users[f"bm.{slug}"].memberships.get().municipality.name == name


def test_pm_mkk_logs_in_and_sees_the_start_page(client):
    response = client.post("/accounts/login/", {"username": "pm.mkk", "password": "demo"})
    assert response.status_code == 302
    page = client.get("/", follow=True)
    assert page.status_code == 200
    assert "DKZ-Projektmanagement" in page.content.decode()


def test_wrong_password_is_refused_in_german(client):
    response = client.post("/accounts/login/", {"username": "pm.mkk", "password": "falsch"})
    assert response.status_code == 200
    assert "Bitte Benutzername und Passwort eingeben" in response.content.decode()


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get("/portal/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"]["status"] == "ok"
    assert body["broker"]["status"] == "ok"


def test_healthz_answers_503_when_the_broker_is_down(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"]["status"] == "error"


def _production_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DEBUG"}}
    env.update({"DEBUG": "0", **extra})
    return env


def test_production_start_without_secret_key_fails_naming_it():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=_production_env(ALLOWED_HOSTS="ikz.example.org"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert "ALLOWED_HOSTS" not in result.stderr.split("SECRET_KEY")[-1]


def test_production_start_without_allowed_hosts_fails_naming_it():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=_production_env(SECRET_KEY="x" * 60),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_check_deploy_is_clean_in_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(SECRET_KEY="k3y-" + "z9" * 30, ALLOWED_HOSTS="ikz.example.org"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_collectstatic_works_in_production_settings(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env=_production_env(SECRET_KEY="k3y-" + "z9" * 30, ALLOWED_HOSTS="ikz.example.org", STATIC_ROOT=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert (tmp_path / "viewflow").is_dir()
