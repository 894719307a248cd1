import pytest
from django.urls import reverse

from tests.channels import corpus
from tests.channels.helpers import database_down
from tickets.channels.models import InboundEmail

URL = "/integrations/email/inbound/"
AUTH = {"Authorization": "Bearer inbound-test-token"}


def post(client, raw: bytes, *, headers=AUTH, content_type="message/rfc822"):
    return client.post(URL, data=raw, content_type=content_type, headers=headers)


def test_url_name():
    assert reverse("integrations:email_inbound") == URL
    assert reverse("integrations:slack_events") == "/integrations/slack/events/"


def test_inbound_stores_and_answers_the_outcome(client, world):
    response = post(client, corpus.plain(world))
    assert response.status_code == 200
    email = InboundEmail.objects.get()
    assert response.json() == {
        "id": email.pk,
        "message_id": email.message_id,
        "status": "ticket_created",
        "reason_code": "new_ticket",
        "reason": f"Opened ticket #{email.ticket_id}.",
        "ticket": email.ticket_id,
        "duplicate": False,
    }
    assert email.source == "http"


def test_inbound_duplicate_creates_nothing(client, world):
    raw = corpus.plain(world)
    post(client, raw)
    response = post(client, raw)
    assert response.status_code == 200
    assert response.json()["duplicate"] is True
    assert InboundEmail.objects.count() == 1


def test_inbound_quarantine_outcome(client, world):
    response = post(client, corpus.unknown_sender(world))
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["reason_code"]) == ("quarantined", "unknown_sender")


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Token inbound-test-token"}, {"Authorization": "Bearer"}],
    ids=["missing", "wrong", "other-scheme", "empty"],
)
def test_inbound_without_the_token_is_401_and_stores_nothing(client, world, headers):
    response = post(client, corpus.plain(world), headers=headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="inbound-email"'
    assert not InboundEmail.objects.exists()


def test_inbound_not_configured_is_503(client, world, settings):
    settings.EMAIL_INBOUND_TOKEN = ""
    response = post(client, corpus.plain(world), headers={"Authorization": "Bearer "})
    assert response.status_code == 503
    assert not InboundEmail.objects.exists()


def test_inbound_accepts_post_only(client, db):
    assert client.get(URL, headers=AUTH).status_code == 405


def test_inbound_wants_the_raw_message(client, world):
    response = post(client, b'{"from": "alice@acme.test"}', content_type="application/json")
    assert response.status_code == 415
    assert not InboundEmail.objects.exists()


def test_inbound_too_large_is_413_and_stores_nothing(client, world, settings):
    settings.EMAIL_INBOUND_MAX_BYTES = 2048
    response = post(client, corpus.plain(world) + b"x" * 4096)
    assert response.status_code == 413
    assert response.json() == {"error": "The message is over the 2.0 KB limit."}
    assert not InboundEmail.objects.exists()


def test_inbound_reads_past_djangos_upload_limit(client, world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024  # the message's own limit applies, not Django's form limit
    response = post(client, corpus.huge_body(world)[: 8 * 1024])
    assert response.status_code == 200
    assert response.json()["status"] == "ticket_created"


def test_inbound_empty_body_is_400(client, db):
    response = post(client, b"")
    assert response.status_code == 400
    assert not InboundEmail.objects.exists()


def test_inbound_database_down_is_503_with_retry_after(client, world):
    raw = corpus.plain(world)
    with database_down():
        response = post(client, raw)
    assert response.status_code == 503
    assert response["Retry-After"] == "300"
    assert not InboundEmail.objects.exists()
