"""A message acts as a person only when it proves it is theirs: a signed reply address, or our mail server's verdict."""

import json
import time

import pytest
from django.core import mail as sent
from django.urls import reverse

from portal import outbox
from portal.models import OutboxMessage
from tests.channels import corpus
from tests.channels.helpers import AUTHSERV, passed
from tests.channels.test_slack import payload, send
from tickets.channels import authenticity, services
from tickets.channels.models import InboundEmail, SlackEvent
from tickets.models import Attachment, Comment, Ticket, TicketEvent
from tickets.services import comment_add


def deliver(raw: bytes) -> InboundEmail:
    email = services.inbound_email_receive(raw=raw).email
    email.refresh_from_db()
    return email


def snapshot(ticket):
    ticket.refresh_from_db()
    comments = list(Comment.objects.filter(ticket=ticket).values_list("pk", flat=True))
    return comments, ticket.status, ticket.first_response_at, ticket.waiting_on


def test_forged_staff_reply_with_a_valid_reference_changes_nothing_and_is_quarantined(world):
    ticket, staff = world["acme_ticket"], world["staff"]
    before = snapshot(ticket)
    raw = corpus.message(
        frm=f"Sam Agent <{staff.email}>",
        subject=f"Re: [#{ticket.reference}] Orders stuck in sync",
        body="We fixed it, closing.",
        headers={"In-Reply-To": corpus.notification_id(ticket, "customer_reply")},
        verified=False,
    ).as_bytes()
    email = deliver(raw)
    assert (email.status, email.reason_code, email.authentication) == ("quarantined", "staff_unverified", "")
    assert email.reason == (
        f"{staff.email} is a staff address, and staff act by email only through their own signed reply address; "
        "this message did not come through it (it may be forged). Nothing was posted."
    )
    assert snapshot(ticket) == before
    assert ticket.first_response_at is None
    assert email in InboundEmail.objects.filter(status__in=InboundEmail.NEEDS_REVIEW)


def test_staff_address_with_a_passing_dmarc_verdict_still_needs_its_reply_address(world):
    ticket, staff = world["acme_ticket"], world["staff"]
    before = snapshot(ticket)
    raw = corpus.message(frm=staff.email, subject=f"Re: [#{ticket.reference}]", body="Done.").as_bytes()
    email = deliver(raw)
    assert (email.status, email.reason_code, email.authentication) == ("quarantined", "staff_unverified", "dmarc")
    assert snapshot(ticket) == before


def test_a_reply_through_the_signed_reply_address_is_accepted(world):
    ticket, alice = world["acme_ticket"], world["alice"]
    to = authenticity.reply_address_for(ticket_id=ticket.pk, user_id=alice.pk)
    assert to.startswith(f"support+t{ticket.pk}.u{alice.pk}.k") and to.endswith("@demo.test")
    email = deliver(corpus.message(to=to, subject="Re: the sync", body="It works now.", verified=False).as_bytes())
    assert (email.status, email.reason_code, email.authentication) == ("comment_added", "reply", "reply_address")
    assert email.comment.body == "It works now." and email.comment.author == alice


def test_a_signed_address_authenticates_only_its_own_person(world):
    ticket = world["acme_ticket"]
    alices = authenticity.reply_address_for(ticket_id=ticket.pk, user_id=world["alice"].pk)
    before = snapshot(ticket)
    raw = corpus.message(frm="Bob Acme <bob@acme.test>", to=alices, subject="Re: x", body="Me.", verified=False)
    email = deliver(raw.as_bytes())
    assert (email.status, email.reason_code, email.authentication) == ("quarantined", "unverified_reply", "")
    assert snapshot(ticket) == before


def test_a_tampered_signature_authenticates_nobody(world):
    ticket, alice = world["acme_ticket"], world["alice"]
    good = authenticity.reply_address_for(ticket_id=ticket.pk, user_id=alice.pk)
    local, _, domain = good.partition("@")
    tampered = f"{local[:-1]}{'0' if local[-1] != '0' else '1'}@{domain}"
    email = deliver(corpus.message(to=tampered, subject="Re: x", body="Hi.", verified=False).as_bytes())
    assert email.authentication == ""
    assert email.status == "ticket_created" and email.reason_code == "new_ticket_unverified"
    assert email.ticket.pk != ticket.pk


def test_authentication_results_of_a_foreign_authserv_id_are_ignored(world):
    ticket = world["acme_ticket"]
    before = snapshot(ticket)
    raw = corpus.message(
        subject=f"Re: [#{ticket.reference}]",
        body="Forged verdict.",
        headers={"Authentication-Results": passed("acme.test", authserv="mx.attacker.test")},
        verified=False,
    ).as_bytes()
    email = deliver(raw)
    assert (email.status, email.reason_code, email.authentication) == ("quarantined", "unverified_reply", "")
    assert f"No Authentication-Results header from {AUTHSERV}" in email.reason
    assert snapshot(ticket) == before


def test_only_the_topmost_header_of_our_server_counts(world):
    ticket = world["acme_ticket"]
    msg = corpus.message(subject=f"Re: [#{ticket.reference}]", body="Hi.", verified=False)
    # Our server prepends its verdict above one that came with the message (and may be forged).
    del msg["Authentication-Results"]
    raw = (
        f"Authentication-Results: {AUTHSERV}; dkim=fail header.d=acme.test; dmarc=fail header.from=acme.test\n"
        f"Authentication-Results: {passed('acme.test')}\n"
    ).encode() + msg.as_bytes()
    email = deliver(raw)
    assert (email.status, email.reason_code) == ("quarantined", "unverified_reply")


@pytest.mark.parametrize(
    ("verdict", "authenticated"),
    [
        ("dkim=pass header.d=acme.test", "dkim"),
        ("dkim=pass header.d=mail.acme.test", ""),  # a subdomain signs for itself, not for its parent
        ("dkim=pass header.d=acme-mailer.test", ""),
        ("dkim=pass header.d=test", ""),
        ("dkim=fail header.d=acme.test; dmarc=fail", ""),
        ("dmarc=pass header.from=acme.test", "dmarc"),
        ("none", ""),
    ],
)
def test_the_server_verdict(world, verdict, authenticated):
    raw = corpus.message(headers={"Authentication-Results": f"{AUTHSERV}; {verdict}"}, verified=False)
    email = deliver(raw.as_bytes())
    assert email.authentication == authenticated
    assert email.reason_code == ("new_ticket" if authenticated else "new_ticket_unverified")


def test_an_unreadable_authentication_results_header_proves_nothing(world):
    raw = corpus.message(headers={"Authentication-Results": f"{AUTHSERV}; ;;; ===="}, verified=False)
    assert deliver(raw.as_bytes()).reason_code == "new_ticket_unverified"


def test_no_authserv_id_configured_trusts_no_header(world, settings):
    settings.EMAIL_AUTHSERV_ID = ""
    email = deliver(corpus.message().as_bytes())  # carries a passing verdict of AUTHSERV
    assert (email.reason_code, email.authentication) == ("new_ticket_unverified", "")


def test_an_unverified_new_request_opens_a_ticket_for_the_address_on_record_only(
    world, django_capture_on_commit_callbacks
):
    raw = corpus.message(
        frm="Alice Acme <alice@acme.test>",
        subject="Please call me",
        headers={"Cc": "Bob Acme <bob@acme.test>", "Reply-To": "mallory@evil.test"},
        verified=False,
    ).as_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        email = deliver(raw)
    ticket = email.ticket
    assert (email.status, email.reason_code) == ("ticket_created", "new_ticket_unverified")
    assert ticket.sender_verified is False
    assert list(ticket.ccs.all()) == []  # nobody added from an unproven message
    receipt = OutboxMessage.objects.get(key=f"ticket:{ticket.pk}:receipt")
    assert (receipt.status, receipt.recipients) == ("sent", ["alice@acme.test"])
    assert not any("mallory@evil.test" in m.to or "bob@acme.test" in m.to for m in sent.outbox)


def test_staff_see_that_the_sender_is_not_verified(client, world):
    email = deliver(corpus.message(verified=False).as_bytes())
    client.force_login(world["staff"])
    page = client.get(reverse("tickets:staff_detail", args=[email.ticket.pk])).content.decode()
    assert "Sender not verified" in page


def test_accepting_a_held_reply_posts_it_as_its_sender(client, world):
    ticket, alice = world["acme_ticket"], world["alice"]
    email = deliver(corpus.message(subject=f"Re: [#{ticket.reference}]", body="Thanks!", verified=False).as_bytes())
    assert email.reason_code == "unverified_reply"
    client.force_login(world["staff"])
    page = client.get(reverse("channels:email_detail", args=[email.pk])).content.decode()
    assert f"Post as a reply from {alice.email} on #{ticket.pk}" in page
    response = client.post(reverse("channels:email_accept_reply", args=[email.pk]))
    assert response.status_code == 302
    email.refresh_from_db()
    assert (email.status, email.ticket, email.comment.author, email.comment.body) == (
        "accepted",
        ticket,
        alice,
        "Thanks!",
    )
    assert TicketEvent.objects.filter(ticket=ticket, kind="email_accepted").count() == 1
    again = client.post(reverse("channels:email_accept_reply", args=[email.pk]))
    assert again.status_code == 302
    assert Comment.objects.filter(ticket=ticket, author=alice).count() == 1


def test_a_staff_message_is_never_posted_as_a_reply(client, world):
    ticket, staff = world["acme_ticket"], world["staff"]
    email = deliver(corpus.message(frm=staff.email, subject=f"Re: [#{ticket.reference}]", verified=False).as_bytes())
    assert services.reply_target(email) is None
    client.force_login(staff)
    client.post(reverse("channels:email_accept_reply", args=[email.pk]))
    email.refresh_from_db()
    assert email.status == "quarantined"
    assert not Comment.objects.filter(ticket=ticket, author=staff).exists()


def test_each_person_gets_a_notice_with_their_own_reply_address(world, django_capture_on_commit_callbacks):
    ticket, alice, bob, staff = world["acme_ticket"], world["alice"], world["bob"], world["staff"]
    ticket.ccs.add(bob)
    sent.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        comment_add(ticket=ticket, author=staff, body="We are on it.", public=True)
    by_address = {m.to[0]: m for m in sent.outbox}
    assert set(by_address) == {alice.email, bob.email}
    for person in (alice, bob):
        message = by_address[person.email]
        assert message.reply_to == [authenticity.reply_address_for(ticket_id=ticket.pk, user_id=person.pk)]
        assert message.cc == []
    # A reply from each, through their own address, is theirs.
    for person in (alice, bob):
        raw = corpus.message(
            frm=person.email, to=by_address[person.email].reply_to[0], body=f"From {person.email}", verified=False
        )
        email = deliver(raw.as_bytes())
        assert (email.reason_code, email.comment.author) == ("reply", person)


def test_a_partly_sent_notice_is_retried_only_for_those_not_reached(world, monkeypatch):
    ticket, alice, bob = world["acme_ticket"], world["alice"], world["bob"]
    ticket.ccs.add(bob)
    comment = comment_add(ticket=ticket, author=world["staff"], body="Update.", public=True)
    row = OutboxMessage.objects.get(key=f"comment:{comment.pk}")
    sent.outbox.clear()
    from django.core.mail.backends.locmem import EmailBackend

    real = EmailBackend.send_messages

    def fail_for_bob(self, messages):
        if any(bob.email in m.to for m in messages):
            raise OSError("mailbox server away")
        return real(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", fail_for_bob)
    assert outbox.deliver(row.pk) == "pending"
    row.refresh_from_db()
    assert row.recipients == [alice.email]
    monkeypatch.setattr(EmailBackend, "send_messages", real)
    assert outbox.deliver(row.pk) == "sent"
    assert sorted(m.to[0] for m in sent.outbox) == [alice.email, bob.email]  # Alice got it once


# Slack ------------------------------------------------------------------------------------------------------


def test_slack_events_of_another_workspace_are_refused_and_not_stored(client, world):
    foreign = payload("message_in_channel")
    foreign["team_id"] = "T0OTHER999"
    response = send(client, foreign)
    assert response.status_code == 403
    assert response.json() == {"error": "Events are accepted only from the workspace the app is installed in."}
    assert not SlackEvent.objects.exists()


def test_slack_without_a_team_id_configured_accepts_nothing(client, world, settings):
    settings.SLACK_TEAM_ID = ""
    response = send(client, payload("message_in_channel"))
    assert response.status_code == 503
    assert not SlackEvent.objects.exists()


def _with_files(*file_ids):
    data = payload("thread_reply", subtype="file_share")
    data["event"]["files"] = [{"id": fid, "name": f"{fid}.txt", "permalink": f"https://x/{fid}"} for fid in file_ids]
    return data


def test_files_shared_in_a_thread_are_downloaded_and_attached(
    client, world, fake_slack, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send(client, payload("message_in_channel"))
    fake_slack.files["F0LOG00001"] = ("connector.log", "text/plain", b"line 1\nline 2\n")
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, _with_files("F0LOG00001"))
    assert response.json()["status"] == "comment_added"
    event = SlackEvent.objects.get(event_id="Ev0ACME00002")
    [attachment] = Attachment.objects.filter(ticket=event.ticket)
    assert (attachment.filename, attachment.content_type, attachment.comment) == (
        "connector.log",
        "text/plain",
        event.comment,
    )
    assert attachment.file.read() == b"line 1\nline 2\n"
    downloads = [c for c in fake_slack.calls if c["path"].startswith("/files-pri/")]
    assert downloads[0]["headers"]["Authorization"] == "Bearer xoxb-test-token"
    # The task run again stores nothing twice.
    assert services.slack_files_store(event_id=event.pk) == 0
    assert Attachment.objects.filter(ticket=event.ticket).count() == 1


def test_a_shared_file_over_the_limit_is_noted_not_stored(
    client, world, fake_slack, settings, django_capture_on_commit_callbacks
):
    settings.SLACK_FILE_MAX_BYTES = 10
    with django_capture_on_commit_callbacks(execute=True):
        send(client, payload("message_in_channel"))
    fake_slack.files["F0BIG00001"] = ("dump.bin", "application/octet-stream", b"x" * 11)
    with django_capture_on_commit_callbacks(execute=True):
        send(client, _with_files("F0BIG00001"))
    event = SlackEvent.objects.get(event_id="Ev0ACME00002")
    assert not Attachment.objects.filter(ticket=event.ticket).exists()
    note = TicketEvent.objects.get(ticket=event.ticket, kind="attachment_refused")
    assert note.message == "A file shared in Slack was not attached: dump.bin is 11 bytes, over the 10 bytes limit."
    assert not [c for c in fake_slack.calls if c["path"].startswith("/files-pri/")]


def test_a_slack_event_with_nul_characters_is_kept_without_them(client, world, fake_slack):
    data = payload("message_in_channel")
    data["event"]["text"] = "orders\u0000 down"
    body = json.dumps(data).encode()
    assert b"\\u0000" in body
    response = send(client, body, timestamp=int(time.time()))
    assert response.status_code == 200
    event = SlackEvent.objects.get()
    assert event.payload["event"]["text"] == "orders down"
    assert Ticket.objects.get(pk=event.ticket_id).description == "orders down"


def test_the_api_posts_a_held_reply_as_its_sender_for_staff_only(api, world):
    ticket, alice = world["acme_ticket"], world["alice"]
    email = deliver(corpus.message(subject=f"Re: [#{ticket.reference}]", body="Via API.", verified=False).as_bytes())
    url = f"/api/v1/inbound-emails/{email.pk}/accept-reply/"
    assert api(alice).post(url).status_code in (403, 404)  # customers never review the quarantine
    email.refresh_from_db()
    assert email.status == "quarantined"
    response = api(world["staff"]).post(url)
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["ticket"]) == ("accepted", ticket.pk)
    assert Comment.objects.get(ticket=ticket, author=alice).body == "Via API."
    again = api(world["staff"]).post(url)
    assert again.status_code == 400
