import copy
import hashlib
import hmac
import json
import logging
import time
from pathlib import Path

import pytest

from contracts.entitlements import entitlements_for
from portal import outbox
from portal.models import OutboxMessage
from tests.channels.helpers import SLACK_SECRET
from tickets.channels import slack
from tickets.channels.models import SlackEvent, SlackThread
from tickets.models import Comment, Status, Ticket
from tickets.services import channel_refusal_message, ticket_change_status

URL = "/integrations/slack/events/"
PAYLOADS = Path(__file__).parent / "payloads"


def payload(name: str, **event_changes) -> dict:
    data = json.loads((PAYLOADS / f"{name}.json").read_text())
    if "event_id" in event_changes:
        data["event_id"] = event_changes.pop("event_id")
    data.get("event", {}).update(event_changes)
    return data


def sign(body: bytes, timestamp: int, secret: str = SLACK_SECRET) -> str:
    base = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def send(client, data, *, timestamp: int | None = None, signature: str | None = None, headers: dict | None = None):
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    timestamp = int(time.time()) if timestamp is None else timestamp
    all_headers = {
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": signature or sign(body, timestamp),
        **(headers or {}),
    }
    return client.post(URL, data=body, content_type="application/json", headers=all_headers)


def test_url_verification_answers_the_challenge(client, db):
    response = send(client, payload("url_verification"))
    assert response.status_code == 200
    assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


def test_entitled_message_opens_a_ticket_without_target(client, world, fake_slack):
    response = send(client, payload("message_in_channel"))
    assert response.status_code == 200
    assert response.json() == {"ok": True, "status": "ticket_created", "duplicate": False}
    event = SlackEvent.objects.get()
    ticket = event.ticket
    assert (event.status, event.organization, event.channel, event.user) == (
        "ticket_created",
        world["alice"].organization,
        "C0ACME0001",
        "U0ALICE001",
    )
    assert ticket.organization == world["alice"].organization
    assert ticket.channel == "slack"
    assert ticket.requester is None
    assert ticket.requester_label == "Slack user U0ALICE001"
    assert ticket.subject == "Orders from our shop (https://shop.acme.test) stopped syncing"
    assert ticket.description == (
        "Orders from our shop (https://shop.acme.test) stopped syncing\n"
        "Since 9:00 no order reached the ERP & @U0SUPPORT1 knows."
    )
    assert ticket.first_response_due_at is None
    assert ticket.sla_note == "Messages that arrive through Slack are tracked without a response target."
    assert SlackThread.objects.get().ticket == ticket
    assert fake_slack.calls == []  # an accepted message gets no refusal


def test_thread_reply_becomes_a_comment_on_the_same_ticket(client, world):
    send(client, payload("message_in_channel"))
    response = send(client, payload("thread_reply"))
    assert response.json()["status"] == "comment_added"
    ticket = Ticket.objects.get(channel="slack")
    comment = Comment.objects.get(ticket=ticket, is_automatic=False)
    assert comment.author is None
    assert comment.author_label == "Slack user U0BOB00002"
    assert comment.body == "Same here, the returns are stuck too."
    assert (comment.channel, comment.external_id, comment.public, comment.is_staff_reply) == (
        "slack",
        "1764201660.000200",
        True,
        False,
    )
    assert SlackEvent.objects.get(event_id="Ev0ACME00002").comment == comment


def test_reply_in_a_thread_whose_ticket_is_closed_opens_a_follow_up(client, world):
    send(client, payload("message_in_channel"))
    first = Ticket.objects.get(channel="slack")
    ticket_change_status(ticket=first, actor=world["staff"], status=Status.CLOSED)
    send(client, payload("thread_reply"))
    follow_up = Ticket.objects.filter(channel="slack").exclude(pk=first.pk).get()
    assert follow_up.description.startswith(f"This Slack message follows up ticket #{first.pk}, which is closed.")
    assert SlackThread.objects.get().ticket == follow_up
    assert not Comment.objects.filter(ticket=first, is_automatic=False).exists()


def test_reply_in_a_thread_whose_ticket_was_merged_lands_on_the_surviving_ticket(client, world):
    from tickets.services import ticket_open
    from tickets.workspace import ticket_merge

    send(client, payload("message_in_channel"))
    first = Ticket.objects.get(channel="slack")
    survivor = ticket_open(organization=first.organization, requester=None, subject="Returns", description="d")
    ticket_merge(duplicate=first, into=survivor, actor=world["staff"])
    assert send(client, payload("thread_reply")).json()["status"] == "comment_added"
    assert Comment.objects.get(body="Same here, the returns are stuck too.").ticket == survivor
    assert SlackThread.objects.get().ticket == survivor


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Slack-Signature": "v0=" + "0" * 64},
        {"X-Slack-Signature": sign(b"another body", int(time.time()))},
        {"X-Slack-Signature": "v0=abc", "X-Slack-Request-Timestamp": "not-a-number"},
        {"X-Slack-Request-Timestamp": ""},
    ],
    ids=["zero-signature", "signature-of-another-body", "bad-timestamp", "empty-timestamp"],
)
def test_invalid_signature_is_401_and_stores_nothing(client, world, headers):
    response = send(client, payload("message_in_channel"), headers=headers)
    assert response.status_code == 401
    assert not SlackEvent.objects.exists()
    assert not Ticket.objects.filter(channel="slack").exists()


def test_signature_with_another_secret_is_401(client, world):
    body = json.dumps(payload("message_in_channel")).encode()
    now = int(time.time())
    response = send(client, body, timestamp=now, signature=sign(body, now, secret="someone-elses-secret"))
    assert response.status_code == 401
    assert not SlackEvent.objects.exists()


@pytest.mark.parametrize("offset", [-301, -3600, 301], ids=["just-stale", "an-hour-old", "from-the-future"])
def test_stale_signature_is_401(client, world, offset):
    response = send(client, payload("message_in_channel"), timestamp=int(time.time()) + offset)
    assert response.status_code == 401
    assert not SlackEvent.objects.exists()


def test_replayed_request_creates_nothing_new(client, world):
    body = json.dumps(payload("message_in_channel")).encode()
    now = int(time.time())
    signature = sign(body, now)
    first = send(client, body, timestamp=now, signature=signature)
    replay = send(client, body, timestamp=now, signature=signature)
    assert first.json()["duplicate"] is False
    assert replay.status_code == 200
    assert replay.json() == {"ok": True, "status": "ticket_created", "duplicate": True}
    assert SlackEvent.objects.count() == 1
    assert Ticket.objects.filter(channel="slack").count() == 1


def test_replay_after_the_window_is_refused(client, world, monkeypatch):
    body = json.dumps(payload("message_in_channel")).encode()
    signed_at = int(time.time())
    signature = sign(body, signed_at)
    assert send(client, body, timestamp=signed_at, signature=signature).status_code == 200

    class Later:
        def now(self) -> float:
            return signed_at + 5 * 60 + 1

    monkeypatch.setattr(slack, "clock", Later())
    assert send(client, body, timestamp=signed_at, signature=signature).status_code == 401


def test_slack_retries_create_nothing_new(client, world):
    send(client, payload("message_in_channel"))
    retry = send(
        client,
        payload("message_in_channel"),
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    assert retry.status_code == 200
    assert retry.json()["duplicate"] is True
    assert Ticket.objects.filter(channel="slack").count() == 1


def test_refused_organization_is_kept_and_answered_once_in_its_thread(
    client, world, fake_slack, django_capture_on_commit_callbacks
):
    globex = world["gina"].organization
    message = payload("message_in_channel", channel="C0GLOBEX01", user="U0GINA0001", event_id="Ev0GLOBEX001")
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, message)
    assert response.json()["status"] == "refused"
    event = SlackEvent.objects.get()
    expected = channel_refusal_message("slack", entitlements_for(globex))
    assert expected == (
        "Globex Retail's support contract does not include Slack. You can reach us through the portal and API "
        "and email: open a request at https://support.example.test/tickets/new/ or write to support@demo.test."
    )
    assert (event.status, event.reason, event.organization) == ("refused", expected, globex)
    assert event.refusal_replied_at is not None
    assert event.payload == message  # kept as it came
    assert not Ticket.objects.filter(channel="slack").exists()
    [call] = fake_slack.posts()
    assert call["headers"]["Authorization"] == "Bearer xoxb-test-token"
    assert call["body"] == {"channel": "C0GLOBEX01", "thread_ts": "1764201600.000100", "text": expected}

    # Slack's retry, the outbox delivering again, and a second message in the same thread: kept, no second answer.
    reply = payload("thread_reply", channel="C0GLOBEX01", user="U0GINA0001", event_id="Ev0GLOBEX002")
    with django_capture_on_commit_callbacks(execute=True):
        send(client, message, headers={"X-Slack-Retry-Num": "1"})
        send(client, reply)
    [queued] = OutboxMessage.objects.filter(builder="portal.outbox.SlackPost")
    assert outbox.deliver(queued.pk) == "sent"
    assert len(fake_slack.posts()) == 1
    assert SlackEvent.objects.get(event_id="Ev0GLOBEX002").status == "refused"


def test_refusal_reply_is_retried_when_slack_is_down(client, world, fake_slack, django_capture_on_commit_callbacks):
    fake_slack.fail_with = 503
    message = payload("message_in_channel", channel="C0GLOBEX01", event_id="Ev0GLOBEX001")
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, message)
    assert response.status_code == 200  # Slack's own delivery succeeded; our answer is retried
    event = SlackEvent.objects.get()
    assert event.status == "refused"
    assert len(fake_slack.posts()) == 1
    queued = OutboxMessage.objects.get(builder="portal.outbox.SlackPost")
    assert (queued.status, queued.attempts) == ("pending", 1)  # waits for its backoff

    fake_slack.fail_with = None
    fake_slack.calls.clear()
    assert outbox.flush(now=queued.next_attempt_at) >= 1  # the retry is due (the world's emails go too)
    assert len(fake_slack.posts()) == 1
    queued.refresh_from_db()
    assert (queued.status, queued.recipients) == ("sent", ["slack:C0GLOBEX01"])


def test_refusal_reply_rejected_by_slack_is_visible_to_staff(
    world, fake_slack, client, django_capture_on_commit_callbacks
):
    fake_slack.error = "channel_not_found"
    message = payload("message_in_channel", channel="C0GLOBEX01", event_id="Ev0GLOBEX001")
    with django_capture_on_commit_callbacks(execute=True):
        send(client, message)
    queued = OutboxMessage.objects.get(builder="portal.outbox.SlackPost")
    assert queued.status == "pending" and "channel_not_found" in queued.last_error
    assert len(fake_slack.posts()) == 1


def test_unknown_channel_is_logged_and_ignored(client, world, caplog):
    with caplog.at_level(logging.WARNING, logger="tickets.channels.services"):
        response = send(client, payload("message_in_channel", channel="C0UNKNOWN1"))
    assert response.json()["status"] == "ignored"
    event = SlackEvent.objects.get()
    assert event.reason == "Channel C0UNKNOWN1 is not mapped to an organization."
    assert "unknown channel C0UNKNOWN1" in caplog.text
    assert not Ticket.objects.filter(channel="slack").exists()


@pytest.mark.parametrize(
    ("name", "changes", "reason"),
    [
        ("bot_message", {}, "A bot's message (our own replies come back this way)."),
        ("message_in_channel", {"subtype": "bot_message"}, "A bot's message (our own replies come back this way)."),
        ("message_changed", {}, "Message subtype message_changed is not handled."),
        ("message_in_channel", {"subtype": "channel_join"}, "Message subtype channel_join is not handled."),
        ("message_in_channel", {"type": "app_mention"}, "Event type app_mention is not handled."),
    ],
    ids=["bot", "bot-subtype", "message-changed", "channel-join", "app-mention"],
)
def test_messages_that_are_not_a_customer_writing_are_ignored(client, world, fake_slack, name, changes, reason):
    response = send(client, payload(name, **changes))
    assert response.status_code == 200
    event = SlackEvent.objects.get()
    assert (event.status, event.reason) == ("ignored", reason)
    assert not Ticket.objects.filter(channel="slack").exists()
    assert fake_slack.calls == []


def test_slack_not_configured_is_503(client, db, settings):
    settings.SLACK_SIGNING_SECRET = ""
    assert send(client, payload("message_in_channel")).status_code == 503


def test_signed_garbage_is_400(client, db):
    assert send(client, b"not json").status_code == 400
    assert send(client, b"[1, 2]").status_code == 400
    no_id = copy.deepcopy(payload("message_in_channel"))
    del no_id["event_id"]
    assert send(client, no_id).status_code == 400
    assert not SlackEvent.objects.exists()


def test_an_error_while_processing_is_kept_for_staff(client, world, monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("tickets.channels.services.ticket_open", explode)
    response = send(client, payload("message_in_channel"))
    assert response.status_code == 200
    event = SlackEvent.objects.get()
    assert (event.status, event.reason) == ("error", "Processing failed (RuntimeError: boom).")


def test_slack_message_with_files_lists_them():
    text = slack.message_text(
        {
            "text": "See <#C0ACME0001|acme-support> and <!here>",
            "files": [{"name": "log.txt", "permalink": "https://acme.slack.test/files/F1"}],
        }
    )
    assert text == "See #acme-support and @here\n\n[Slack file: log.txt <https://acme.slack.test/files/F1>]"
