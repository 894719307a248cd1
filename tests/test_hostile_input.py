"""Hostile input answers 4xx with a clear message, never 500, and loses nothing."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tickets import services
from tickets.channels import services as intake
from tickets.channels.models import InboundEmail
from tickets.models import Comment, Ticket


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


def nested_mime(depth: int) -> bytes:
    head = "From: Dana <dana@newco.test>\nTo: support@demo.test\nSubject: deep\nMessage-ID: <deep@newco.test>\n"
    opening = "".join(f'Content-Type: multipart/mixed; boundary="b{i}"\n\n--b{i}\n' for i in range(depth))
    closing = "".join(f"--b{i}--\n" for i in reversed(range(depth)))
    return (head + "MIME-Version: 1.0\n" + opening + "Content-Type: text/plain\n\nhello\n" + closing).encode()


@pytest.mark.parametrize("url", ["/kb/?category=%00", "/kb/?q=a%00b", "/kb/?%00=1", "/tickets/?status=%00"])
def test_a_nul_in_the_query_string_is_400(client, db, url):
    response = client.get(url)
    assert response.status_code == 400
    assert response.content.decode() == "The address contains a NUL character, which no field accepts."


def test_a_nul_in_a_form_field_is_400_and_changes_nothing(client, enterprise):
    organization, customer = enterprise
    client.force_login(customer)
    response = client.post(reverse("tickets:create"), {"subject": "a\x00b", "description": "d", "kind": "question"})
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()
    assert not Ticket.objects.exists()


def test_a_nul_in_the_api_query_string_is_a_json_400(client, alice):
    client.force_login(alice)
    response = client.get("/api/v1/tickets/?status=%00")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_input"


@pytest.mark.parametrize("url", ["/api/v1/tickets/", "/api/v1/me/"])
def test_deeply_nested_json_is_400(client, alice, url):
    client.force_login(alice)
    body = "[" * 100_000 + "]" * 100_000
    send = client.patch if url.endswith("/me/") else client.post
    response = send(url, data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"code": "parse_error", "detail": "JSON parse error - the JSON is nested too deeply."}


def test_json_past_the_depth_limit_is_400(client, alice):
    client.force_login(alice)
    body = json.dumps({"subject": "x", "description": "d", "tags": [[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]] * 1})
    deeper = body.replace("[]", "[" * 80 + "]" * 80)
    response = client.post("/api/v1/tickets/", data=deeper, content_type="application/json")
    assert response.status_code == 400
    assert not Ticket.objects.exists()


def test_deeply_nested_slack_events_are_400(client, db, settings):
    from tests.channels.test_slack import send

    settings.SLACK_SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
    settings.SLACK_TEAM_ID = "T0ACME0001"
    response = send(client, ("[" * 100_000 + "]" * 100_000).encode())
    assert response.status_code == 400


def test_an_email_of_3000_nested_parts_is_kept_quarantined_and_readable(client, support_engineer, enterprise):
    raw = nested_mime(3000)
    email = intake.inbound_email_receive(raw=raw).email
    assert (email.status, email.reason_code) == ("quarantined", "malformed")
    assert email.reason == "Its MIME parts nest more than 50 levels deep: it is kept and shown as plain text."
    assert email.raw_bytes == raw
    client.force_login(support_engineer)
    assert client.get(reverse("channels:email_detail", args=[email.pk])).status_code == 200
    assert client.get(f"/api/v1/inbound-emails/{email.pk}/").status_code == 200
    organization, _ = enterprise
    response = client.post(
        reverse("channels:email_accept", args=[email.pk]), {"organization": organization.pk, "subject": "deep"}
    )
    assert response.status_code == 302
    email.refresh_from_db()
    assert email.status == InboundEmail.Status.ACCEPTED
    assert email.ticket.subject == "deep"


def test_too_long_a_comment_is_refused_with_a_clear_message(api, enterprise, settings):
    settings.TEXT_MAX_CHARS = 1000
    organization, customer = enterprise
    ticket = services.ticket_open(organization=organization, requester=customer, subject="s", description="d")
    response = api(customer).post(f"/api/v1/tickets/{ticket.pk}/comments/", {"body": "x" * 1001}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "too_long"
    assert response.json()["detail"] == (
        "The text is 1,001 characters long; the limit is 1,000. Attach long logs as files."
    )
    assert not Comment.objects.filter(ticket=ticket, author=customer).exists()


def test_a_request_over_the_size_limit_is_413(client, enterprise, settings):
    settings.REQUEST_MAX_BYTES = 1024
    organization, customer = enterprise
    client.force_login(customer)
    upload = SimpleUploadedFile("big.log", b"x" * 2048)
    response = client.post(reverse("tickets:create"), {"subject": "s", "description": "d", "attachments": [upload]})
    assert response.status_code == 413
    assert response.content.decode().endswith(", over the 1.0 KB limit for one submission.")
    assert not Ticket.objects.exists()


def test_too_many_files_in_one_request_is_400(client, enterprise, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    organization, customer = enterprise
    client.force_login(customer)
    files = [SimpleUploadedFile(f"f{i}.txt", b"x") for i in range(4)]
    response = client.post(reverse("tickets:create"), {"subject": "s", "description": "d", "attachments": files})
    assert response.status_code == 400
    assert not Ticket.objects.exists()
