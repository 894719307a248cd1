import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.urls import reverse

from portal import health
from portal.models import Membership, Organization, User

ROOT = Path(__file__).resolve().parents[2]


def _snapshot() -> dict:
    """Every row of every table, as plain values, so two runs can be compared exactly."""
    state = {}
    for model in apps.get_models():
        state[model._meta.label] = sorted(map(repr, model.objects.values_list()))
    return state


@pytest.mark.django_db
def test_seed_demo_creates_the_accounts_and_a_second_run_changes_nothing(capsys):
    call_command("seed_demo")
    printed = capsys.readouterr().out
    for email in [
        "admin@demo.test",
        "agent@demo.test",
        "sa@demo.test",
        "am@demo.test",
        "alice@acme.test",
        "bob@acme.test",
        "gina@globex.test",
        "ian@initech.test",
        "uma@umbrella.test",
    ]:
        assert email in printed
        user = User.objects.get(email=email)
        assert user.check_password("portal-demo-2026")
        assert user.emailaddress_set.get().verified
    assert User.objects.get(email="admin@demo.test").is_superuser
    assert Membership.objects.get(user__email="bob@acme.test").role == "member"
    assert set(Organization.objects.values_list("name", flat=True)) == {
        "Acme Outfitters",
        "Globex Retail",
        "Initech Supply",
        "Umbrella Goods",
    }
    first = _snapshot()
    call_command("seed_demo")
    assert _snapshot() == first


@pytest.mark.django_db
def test_seed_demo_refuses_production(settings):
    settings.IS_PRODUCTION = True
    with pytest.raises(CommandError, match="refuses to run in production"):
        call_command("seed_demo")
    assert not User.objects.exists()


@pytest.mark.django_db
def test_healthz_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "up"
    assert body["broker"] in {"up", "not configured"}


def test_broker_state_reports_a_dead_broker():
    assert health.broker_state("redis://127.0.0.1:1/0") == "down"
    assert health.broker_state("") == "not configured"


@pytest.mark.django_db
def test_home_names_the_organization(client, alice):
    client.force_login(alice)
    page = client.get(reverse("portal:home")).content.decode()
    assert "Acme Outfitters" in page


def test_anonymous_home_redirects_to_sign_in(client):
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_production_settings_pass_check_deploy():
    env = {
        **os.environ,
        "DJANGO_ENV": "production",
        "SECRET_KEY": "x8!kq2#vm9$pz7@wr4^tn6&yb3*hc5(jd1)gf0_le-ua+so=QWERTY",
        "ALLOWED_HOSTS": "support.example.com",
        "DATABASE_URL": "sqlite:////tmp/unused.sqlite3",
        "EMAIL_INBOUND_TOKEN": "a-real-token",
    }
    env.pop("DEBUG", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # the browser tests set it for their own process only
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {**os.environ, "DJANGO_ENV": "production", "ALLOWED_HOSTS": "support.example.com"}
    env.pop("SECRET_KEY", None)
    env.pop("DEBUG", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
