"""The outbox: written with the change that causes it, sent after the commit, retried until sent, sent once."""

import datetime

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.utils import timezone

from portal import outbox
from portal.models import OutboxMessage
from tickets import services as ticket_services

pytestmark = pytest.mark.django_db

FAILURES = {"left": 0}


def flaky_email(*, to: str) -> EmailMessage:
    """A builder whose message fails to build while FAILURES["left"] > 0 (a mail server away, say)."""
    if FAILURES["left"]:
        FAILURES["left"] -= 1
        raise OSError("Connection refused")
    return EmailMessage(subject="Hello", body="Body", to=[to])


def nothing() -> None:
    return None


BUILDER = f"{__name__}.flaky_email"


@pytest.fixture(autouse=True)
def _reset():
    FAILURES["left"] = 0


def test_a_message_is_sent_after_the_commit_and_marked_sent(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = outbox.enqueue(BUILDER, key="hello:1", to="a@example.test")
    assert mail.outbox == [] and message.status == "pending"  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    message.refresh_from_db()
    assert (message.status, message.attempts, message.recipients) == ("sent", 1, ["a@example.test"])
    assert [m.to for m in mail.outbox] == [["a@example.test"]]


def test_a_key_makes_one_message_however_often_it_is_written():
    first = outbox.enqueue(BUILDER, key="hello:2", to="a@example.test")
    again = outbox.enqueue(BUILDER, key="hello:2", to="someone-else@example.test")
    assert first.pk == again.pk and OutboxMessage.objects.count() == 1


def test_a_send_that_fails_twice_then_succeeds_is_delivered_once():
    FAILURES["left"] = 2
    message = outbox.enqueue(BUILDER, key="hello:3", to="a@example.test")
    start = timezone.now()
    assert outbox.deliver(message.pk, now=start) == "pending"
    message.refresh_from_db()
    assert message.attempts == 1 and "Connection refused" in message.last_error
    assert message.next_attempt_at == start + datetime.timedelta(minutes=1)
    assert outbox.flush(now=start) == 0  # not due yet: the retry waits for its backoff
    assert outbox.flush(now=start + datetime.timedelta(minutes=1)) == 0  # fails again
    message.refresh_from_db()
    assert message.attempts == 2 and message.next_attempt_at == start + datetime.timedelta(minutes=3)
    assert outbox.flush(now=start + datetime.timedelta(minutes=3)) == 1
    assert outbox.flush(now=start + datetime.timedelta(hours=1)) == 0
    assert outbox.deliver(message.pk) == "sent"  # delivered twice by mistake: sent once
    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("sent", 3, "")


def test_a_message_that_keeps_failing_waits_for_staff_and_can_be_sent_again(django_capture_on_commit_callbacks):
    FAILURES["left"] = outbox.MAX_ATTEMPTS
    message = outbox.enqueue(BUILDER, to="a@example.test")
    moment = timezone.now()
    for _ in range(outbox.MAX_ATTEMPTS):
        outbox.deliver(message.pk, now=moment)
        moment += outbox.MAX_BACKOFF
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", outbox.MAX_ATTEMPTS)
    assert outbox.pending_summary()["failed"] == 1
    assert outbox.flush(now=moment + outbox.MAX_BACKOFF) == 0  # given up: no more automatic retries
    with django_capture_on_commit_callbacks(execute=True):
        outbox.resend(message)
    message.refresh_from_db()
    assert message.status == "sent" and len(mail.outbox) == 1


def test_nothing_to_send_is_not_an_error():
    message = outbox.enqueue(f"{__name__}.nothing")
    assert outbox.deliver(message.pk) == "sent"
    message.refresh_from_db()
    assert message.recipients == [] and mail.outbox == []


def test_a_crash_between_the_commit_and_the_send_loses_nothing(enterprise):
    """The ticket and its receipt commit together; no task ran (the worker died), the periodic flush sends it."""
    organization, customer = enterprise
    ticket = ticket_services.ticket_open(organization=organization, requester=customer, subject="s", description="d")
    receipt = OutboxMessage.objects.get(key=f"ticket:{ticket.pk}:receipt")
    assert receipt.status == "pending" and mail.outbox == []
    assert outbox.pending_summary()["count"] == 2  # the receipt and the team's notice
    assert outbox.flush() == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([customer.email, "support-team@demo.test"])


def test_a_change_rolled_back_takes_its_message_with_it(enterprise):
    from django.db import transaction

    organization, customer = enterprise
    with pytest.raises(RuntimeError), transaction.atomic():
        ticket_services.ticket_open(organization=organization, requester=customer, subject="s", description="d")
        raise RuntimeError("the request failed after the ticket was written")
    assert not OutboxMessage.objects.exists()
