"""One error body everywhere, throttles, and the hardening settings."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_not_found_forbidden_unauthenticated_and_invalid_share_one_body(alice, gina, standard):
    api = APIClient()
    body = api.get("/api/v1/tickets/").json()
    assert body == {"code": "not_authenticated", "detail": "Authentication credentials were not provided."}
    api.force_authenticate(alice)
    assert api.get("/api/v1/tickets/999999/").json() == {
        "code": "not_found",
        "detail": "No Ticket matches the given query.",
    }
    assert api.patch(f"/api/v1/contracts/{standard[0].contracts.get().pk}/", {}, format="json").json()["code"] == (
        "not_found"
    )
    invalid = api.post("/api/v1/tickets/", {"subject": "", "description": "d"}, format="json").json()
    assert invalid["code"] == "invalid" and invalid["errors"]["subject"] == ["This field may not be blank."]
    assert invalid["detail"] == "subject: This field may not be blank."
    malformed = api.generic("POST", "/api/v1/tickets/", "{not json", content_type="application/json").json()
    assert malformed["code"] == "parse_error"


def test_customer_patch_is_forbidden_with_the_shared_body(standard):
    organization, customer = standard
    contract = organization.contracts.get()
    api = APIClient()
    api.force_authenticate(customer)
    body = api.patch(f"/api/v1/contracts/{contract.pk}/", {"plan": "enterprise"}, format="json").json()
    assert body == {"code": "permission_denied", "detail": "Only account managers and admins change contracts."}


@pytest.fixture
def tight_throttles(monkeypatch):
    from django.core.cache import cache

    cache.clear()
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "3/minute")
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "5/minute")
    yield
    cache.clear()


def test_anonymous_callers_are_throttled(tight_throttles):
    # The schema is the API's one anonymous endpoint; everything else answers 401 before any work.
    api = APIClient()
    codes = [api.get("/api/schema/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_authenticated_callers_are_throttled(tight_throttles, alice):
    api = APIClient()
    api.force_authenticate(alice)
    codes = [api.get("/api/v1/tickets/").status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]


def test_pages_carry_a_strict_content_security_policy(client, alice):
    client.force_login(alice)
    policy = client.get(reverse("portal:home"))["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy


def test_sign_in_is_rate_limited(client, alice, settings):
    from django.core.cache import cache

    cache.clear()
    assert settings.ACCOUNT_RATE_LIMITS["login_failed"]
    pages = [
        client.post(reverse("account_login"), {"login": alice.email, "password": "wrong-password"}).content.decode()
        for _ in range(6)
    ]
    assert "Too many failed login attempts" not in pages[0]
    assert "Too many failed login attempts" in pages[-1]
    # Even the right password is refused while the limit holds.
    right = client.post(reverse("account_login"), {"login": alice.email, "password": "a-long-test-password-1"})
    assert "_auth_user_id" not in client.session and right.status_code in (200, 429)
    cache.clear()


def test_production_cookies_and_transport_are_secure():
    env = {**os.environ, "DJANGO_ENV": "production", "SECRET_KEY": "k" * 60, "ALLOWED_HOSTS": "support.example.com"}
    for name in ("DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(name, None)
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; print(json.dumps({"
        "'session': s.SESSION_COOKIE_SECURE, 'csrf': s.CSRF_COOKIE_SECURE, 'ssl': s.SECURE_SSL_REDIRECT, "
        "'hsts': s.SECURE_HSTS_SECONDS, 'debug': s.DEBUG, 'media': s.MEDIA_URL}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
    )
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "session": True,
        "csrf": True,
        "ssl": True,
        "hsts": 31536000,
        "debug": False,
        "media": "/media-not-served/",
    }


def test_uploads_are_not_served_from_a_public_url(client, settings):
    from django.urls import Resolver404, resolve

    with pytest.raises(Resolver404):
        resolve(settings.MEDIA_URL + "attachments/1/x/secret.txt")


def test_a_nul_byte_in_a_slug_is_a_400_not_a_500(account_manager, standard):
    contract = standard[0].contracts.get()
    api = APIClient()
    api.force_authenticate(account_manager)
    response = api.patch(f"/api/v1/contracts/{contract.pk}/", {"connectors": ["shop\x00ify"]}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "connectors" in response.json()["errors"]


@pytest.mark.parametrize("endpoint", ["/api/v1/tickets/", "/api/v1/contracts/", "/api/v1/engagements/"])
def test_another_organizations_id_in_a_filter_answers_like_an_unknown_id(api, alice, gina, endpoint):
    """A customer cannot tell another organization's id from one that does not exist."""
    other = api(alice).get(endpoint, {"organization": gina.organization.pk})
    unknown = api(alice).get(endpoint, {"organization": 987654})
    assert other.status_code == unknown.status_code == 400
    # The same body, but for the id itself that the message repeats.
    assert other.content.decode() == unknown.content.decode().replace("987654", str(gina.organization.pk))
    assert api(alice).get(endpoint, {"organization": alice.organization.pk}).status_code == 200


def test_a_reply_to_a_closed_ticket_names_its_code_and_says_why_once(api, standard, support_engineer):
    from tickets import services

    organization, customer = standard
    ticket = services.ticket_open(organization=organization, requester=customer, subject="s", description="d")
    services.ticket_change_status(ticket=ticket, actor=support_engineer, status="closed")
    response = api(customer).post(f"/api/v1/tickets/{ticket.pk}/comments/", {"body": "Still broken"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "code": "ticket_closed",
        "detail": "This ticket is closed. Please open a new request; you can mention this one.",
    }
    assert ticket.comments.filter(body="Still broken").count() == 0
