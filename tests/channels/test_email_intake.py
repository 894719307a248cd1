import pytest
from django.core import mail as outbox
from django.db import OperationalError

from contracts.entitlements import Entitlements
from portal import outbox as portal_outbox
from portal.models import OutboxMessage
from portal.refusals import Refusal
from tests.channels import corpus
from tickets.channels import mail, services
from tickets.channels.models import InboundEmail
from tickets.models import Attachment, Comment, Ticket
from tickets.services import channel_refusal_message, ticket_open


def _counts():
    return (
        Ticket.objects.count(),
        Comment.objects.count(),
        Attachment.objects.count(),
        InboundEmail.objects.count(),
    )


@pytest.mark.parametrize("case", corpus.CASES, ids=[c.id for c in corpus.CASES])
def test_corpus_message_ends_with_its_outcome(case, world, settings, django_capture_on_commit_callbacks):
    settings.ATTACHMENT_MAX_BYTES = 4096
    raw = case.build(world)
    with django_capture_on_commit_callbacks() as callbacks:
        intake = services.inbound_email_receive(raw=raw)
    email = InboundEmail.objects.get(pk=intake.email.pk)
    assert (email.status, email.reason_code) == (case.status, case.reason_code), email.reason
    assert intake.duplicate is False
    assert email.raw_bytes == raw  # always kept, byte for byte
    assert email.processed_at is not None
    if case.check:
        case.check(world, email)
    if email.status == InboundEmail.Status.QUARANTINED:
        assert callbacks == []  # quarantined: nobody is mailed, nothing is answered

    # The same message delivered again creates nothing new.
    before = _counts()
    again = services.inbound_email_receive(raw=raw)
    assert again.duplicate is True
    assert again.email.pk == email.pk
    assert _counts() == before


def test_corpus_is_large_enough():
    assert len(corpus.CASES) >= 30


def test_cross_tenant_reply_mails_nobody(world, django_capture_on_commit_callbacks):
    acme_ticket = world["acme_ticket"]
    comments = list(acme_ticket.comments.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        intake = services.inbound_email_receive(raw=corpus.cross_tenant(world))
    assert intake.email.status == "quarantined"
    assert callbacks == []
    assert outbox.outbox == []
    assert list(acme_ticket.comments.values_list("pk", flat=True)) == comments


def test_same_message_id_through_another_relay_is_a_duplicate(world):
    raw = corpus.plain(world)
    services.inbound_email_receive(raw=raw)
    relayed = b"Received: from relay2.acme.test by mx.demo.test\n" + raw
    again = services.inbound_email_receive(raw=relayed)
    assert again.duplicate is True
    assert Ticket.objects.filter(channel="email").count() == 1


def test_a_reply_to_the_customers_own_earlier_mail_lands_on_its_ticket(world):
    first = corpus.message(subject="Returns are not imported")
    created = services.inbound_email_receive(raw=first.as_bytes()).email
    follow = corpus.message(
        subject="Re: Returns are not imported",
        body="Also the refunds.\n\nOn Mon, Alice wrote:\n> Returns are not imported",
        headers={"In-Reply-To": first["Message-ID"]},
    )
    email = services.inbound_email_receive(raw=follow.as_bytes()).email
    assert (email.status, email.reason_code) == ("comment_added", "reply")
    assert email.ticket_id == created.ticket_id
    assert email.comment.body == "Also the refunds."


def test_cc_of_the_ticket_may_reply(world):
    ticket = world["acme_ticket"]
    ticket.ccs.add(world["bob"])
    email = services.inbound_email_receive(raw=corpus.member_not_on_ticket(world)).email
    assert (email.status, email.reason_code) == ("comment_added", "reply")
    assert email.comment.author == world["bob"]
    assert email.comment.body == "Me too."


def test_an_unexpected_error_quarantines_the_message(world, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services, "_email_new_ticket", explode)
    raw = corpus.plain(world)
    email = services.inbound_email_receive(raw=raw).email
    assert (email.status, email.reason_code) == ("quarantined", "processing_error")
    assert email.reason == "Processing failed (RuntimeError: disk on fire)."
    assert email.raw_bytes == raw
    assert not Ticket.objects.filter(channel="email").exists()


def test_a_message_stored_but_never_processed_is_processed_when_delivered_again(world):
    raw = corpus.plain(world)
    stored, created = services.inbound_email_store(raw=raw)
    assert created and stored.status == "received"
    intake = services.inbound_email_receive(raw=raw)
    assert intake.duplicate is True
    assert (intake.email.status, intake.email.reason_code) == ("ticket_created", "new_ticket")


def test_pending_messages_are_processed(world):
    services.inbound_email_store(raw=corpus.plain(world))
    services.inbound_email_store(raw=corpus.unknown_sender(world))
    assert services.inbound_email_process_pending() == 2
    assert sorted(InboundEmail.objects.values_list("status", flat=True)) == ["quarantined", "ticket_created"]


def test_processing_database_failure_leaves_nothing_half_written(world, monkeypatch):
    real = services.ticket_open

    def open_then_lose_the_database(**kwargs):
        real(**kwargs)
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "ticket_open", open_then_lose_the_database)
    before = Ticket.objects.count()
    with pytest.raises(OperationalError):
        services.inbound_email_receive(raw=corpus.plain(world))
    assert Ticket.objects.count() == before
    email = InboundEmail.objects.get()
    assert email.status == "received"  # stored, waiting for the retry


@pytest.mark.parametrize(
    ("raw", "code"),
    [(b"", "empty"), (b"  \n\n", "empty"), (b"x" * 2000, "too_large")],
    ids=["empty", "blank", "too-large"],
)
def test_input_that_is_not_a_message_is_rejected_and_not_stored(db, settings, raw, code):
    settings.EMAIL_INBOUND_MAX_BYTES = 1000
    with pytest.raises(Refusal) as rejected:
        services.inbound_email_receive(raw=raw)
    assert rejected.value.code == code
    assert not InboundEmail.objects.exists()


def _email_not_in_contract(monkeypatch, organization):
    refused = Entitlements(organization=organization, contract=None, tier=None, channels=frozenset({"portal"}))
    monkeypatch.setattr("tickets.services.entitlements_for", lambda org, at=None: refused)
    monkeypatch.setattr(services, "entitlements_for", lambda org, at=None: refused)
    return refused


def test_refused_email_is_kept_and_answered_once(world, monkeypatch, django_capture_on_commit_callbacks):
    refused = _email_not_in_contract(monkeypatch, world["alice"].organization)
    raw = corpus.plain(world)
    with django_capture_on_commit_callbacks(execute=True):
        email = services.inbound_email_receive(raw=raw).email
    email.refresh_from_db()
    assert (email.status, email.reason_code) == ("refused", "channel_refused")
    assert email.reason == channel_refusal_message("email", refused)
    assert email.organization == world["alice"].organization
    assert email.refusal_sent_at is not None
    assert not Ticket.objects.filter(channel="email").exists()
    assert len(outbox.outbox) == 1
    answer = outbox.outbox[0]
    assert answer.to == ["alice@acme.test"]
    assert answer.subject == "Re: Inventory counts are off"
    assert answer.extra_headers["Auto-Submitted"] == "auto-replied"
    assert answer.extra_headers["In-Reply-To"] == f"<{email.message_id}>"
    assert "Acme Outfitters's support contract does not include email" in answer.body
    assert "https://support.example.test/tickets/new/" in answer.body

    # The answer went through the outbox, once; delivering it again, or the same message again, sends nothing more.
    queued = OutboxMessage.objects.get(key=f"inbound-email:{email.pk}:refusal")
    assert (queued.status, queued.recipients) == ("sent", ["alice@acme.test"])
    assert portal_outbox.deliver(queued.pk) == "sent"
    with django_capture_on_commit_callbacks(execute=True):
        services.inbound_email_receive(raw=raw)
    assert len(outbox.outbox) == 1


def test_refused_reply_does_not_reach_the_ticket(world, monkeypatch, django_capture_on_commit_callbacks):
    _email_not_in_contract(monkeypatch, world["alice"].organization)
    with django_capture_on_commit_callbacks(execute=True):
        email = services.inbound_email_receive(raw=corpus.reply_in_reply_to(world)).email
    assert (email.status, email.reason_code) == ("refused", "channel_refused")
    assert not world["acme_ticket"].comments.filter(is_automatic=False).exists()
    assert [m.to for m in outbox.outbox] == [["alice@acme.test"]]


def test_automatic_message_is_never_answered_even_when_refused(world, monkeypatch, django_capture_on_commit_callbacks):
    _email_not_in_contract(monkeypatch, world["alice"].organization)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        email = services.inbound_email_receive(raw=corpus.auto_submitted(world)).email
    assert (email.status, email.reason_code) == ("quarantined", "automatic")
    assert callbacks == []
    assert outbox.outbox == []


def test_our_sending_address_is_a_loop_too(world, settings):
    settings.DEFAULT_FROM_EMAIL = "Support Robot <robot@mailer.demo.test>"
    raw = corpus.message(frm="Support Robot <robot@mailer.demo.test>", subject="We received your request").as_bytes()
    email = services.inbound_email_receive(raw=raw).email
    assert (email.status, email.reason_code) == ("quarantined", "loop")
    assert (
        email.reason
        == "A mail loop: it comes from our own address robot@mailer.demo.test. It is kept and never answered."
    )


def test_attachments_beyond_the_limit_are_noted(world, monkeypatch):
    monkeypatch.setattr(mail, "MAX_ATTACHMENTS", 2)
    msg = corpus.message(body="Three files.")
    for number in range(3):
        msg.add_attachment(b"data", maintype="application", subtype="octet-stream", filename=f"f{number}.bin")
    email = services.inbound_email_receive(raw=msg.as_bytes()).email
    assert sorted(email.ticket.attachments.values_list("filename", flat=True)) == ["f0.bin", "f1.bin"]
    assert email.ticket.description == "Three files.\n\n[1 more attachment(s) are kept with the original email.]"


def test_a_reply_to_a_merged_duplicate_lands_on_the_surviving_ticket(world):
    from tickets.workspace import ticket_merge

    duplicate = ticket_open(
        organization=world["alice"].organization, requester=world["alice"], subject="Same sync", description="Dup."
    )
    ticket_merge(duplicate=duplicate, into=world["acme_ticket"], actor=world["staff"])
    raw = corpus.message(subject=f"Re: [#{duplicate.reference}] Same sync", body="Still stuck.").as_bytes()
    email = services.inbound_email_receive(raw=raw).email
    assert (email.status, email.reason_code, email.ticket_id) == ("comment_added", "reply", world["acme_ticket"].pk)
    assert Comment.objects.get(body="Still stuck.").ticket_id == world["acme_ticket"].pk
