"""The outbox: every message the portal sends leaves through here, and none is lost.

A service that causes a message calls `enqueue()` inside its own transaction: the row commits with the
change or not at all. After the commit, `deliver()` builds the message (the builder named by dotted path,
given the row's `args`) and sends it; a failure to build or to send is recorded on the row and retried with
backoff by the periodic `flush()`, until the message is sent or MAX_ATTEMPTS is reached; then it waits,
visible to staff, for someone to resend it. A row is sent once: delivery takes a row lock and sends only a
pending row, so two workers never send the same message.

A builder returns a django `EmailMessage`, a `Webhook`, a `SlackPost`, a list of them (one email per recipient,
each with its own reply address), or None when there is nothing to send (the ticket has no requester, say). The
row records each recipient as it is reached, so a retry after a partial failure sends only to those not reached.
"""

import datetime
import json
import logging
import urllib.request
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from portal.models import OutboxMessage

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
MAX_BACKOFF = datetime.timedelta(hours=1)


@dataclass(frozen=True)
class Webhook:
    """A JSON POST to an http(s) URL (the on-call page's webhook)."""

    url: str
    payload: dict
    timeout: float = 5.0

    def send(self) -> list[str]:
        if not self.url.startswith(("https://", "http://")):
            raise ValueError("A webhook must be an http(s) URL.")
        request = urllib.request.Request(  # noqa: S310 -- the scheme is checked just above
            self.url,
            data=json.dumps(self.payload).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=self.timeout):  # noqa: S310 -- scheme checked above
            return [self.url]


@dataclass(frozen=True)
class SlackPost:
    """A message posted in a Slack thread through the Web API."""

    channel: str
    thread_ts: str
    text: str

    def send(self) -> list[str]:
        from tickets.channels import slack

        slack.client().chat_postMessage(channel=self.channel, thread_ts=self.thread_ts, text=self.text)
        return [f"slack:{self.channel}"]


def _targets(outgoing) -> list[str]:
    """Whom (or where) one outgoing item reaches: what the row records once it is sent."""
    if isinstance(outgoing, Webhook):
        return [outgoing.url]
    if isinstance(outgoing, SlackPost):
        return [f"slack:{outgoing.channel}"]
    return [*outgoing.to, *outgoing.cc]


def _send(outgoing) -> list[str]:
    if isinstance(outgoing, Webhook | SlackPost):
        return outgoing.send()
    outgoing.send(fail_silently=False)
    return _targets(outgoing)


def _send_all(message: OutboxMessage, outgoing) -> None:
    """Sends each item (a builder may return one per recipient), skipping those a failed attempt already sent."""
    items = [] if outgoing is None else list(outgoing) if isinstance(outgoing, list | tuple) else [outgoing]
    for item in items:
        targets = _targets(item)
        if targets and all(target in message.recipients for target in targets):
            continue  # sent by an earlier attempt that failed on a later item
        message.recipients = [*message.recipients, *_send(item)]


def enqueue(builder: str, *, key: str | None = None, summary: str = "", ticket=None, **args) -> OutboxMessage:
    """Writes a message to send once the caller's transaction commits; with a `key`, at most one such message.

    `args` must be JSON (ids, not objects): the builder reads the rows again when it runs. An arg named `secret_*`
    is blanked once the message is sent.
    """
    number = ticket.pk if ticket is not None else None
    if key is not None:
        message, created = OutboxMessage.objects.get_or_create(
            key=key, defaults={"builder": builder, "args": args, "summary": summary[:300], "ticket_number": number}
        )
        if not created:
            return message
    else:
        message = OutboxMessage.objects.create(builder=builder, args=args, summary=summary[:300], ticket_number=number)
    message_id = message.pk
    transaction.on_commit(lambda: _deliver_soon(message_id), robust=True)
    return message


def _deliver_soon(message_id: int) -> None:
    from portal import tasks

    try:
        tasks.outbox_deliver.delay(message_id)
    except Exception:  # the broker is away: the periodic flush sends it
        logger.warning("Could not queue outbox message %s; the periodic flush will send it", message_id, exc_info=True)


def deliver(message_id: int, *, now: datetime.datetime | None = None) -> str:
    """Builds and sends one pending message; returns its status. Never raises for a failed send."""
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, status=OutboxMessage.Status.PENDING)
            .first()
        )
        if message is None:  # sent already, given up, or being sent by another worker right now
            return OutboxMessage.objects.filter(pk=message_id).values_list("status", flat=True).first() or "missing"
        try:
            _send_all(message, import_string(message.builder)(**message.args))
        except Exception as exc:
            _failed(message, exc, now=now or timezone.now())
            return message.status
        message.status = OutboxMessage.Status.SENT
        message.sent_at = now or timezone.now()
        message.attempts += 1
        message.last_error = ""
        # One-time secrets (an invitation's key) are kept only until the message is sent.
        message.args = {name: ("" if name.startswith("secret_") else value) for name, value in message.args.items()}
        message.save(update_fields=["status", "sent_at", "recipients", "attempts", "last_error", "args"])
        return message.status


def _failed(message: OutboxMessage, exc: Exception, *, now: datetime.datetime) -> None:
    message.attempts += 1
    message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    if message.attempts >= MAX_ATTEMPTS:
        message.status = OutboxMessage.Status.FAILED
        logger.error("Outbox message %s (%s) failed %s times: %s", message.pk, message.builder, message.attempts, exc)
    else:
        message.next_attempt_at = now + min(datetime.timedelta(minutes=2 ** (message.attempts - 1)), MAX_BACKOFF)
        logger.warning("Outbox message %s (%s) failed, retrying: %s", message.pk, message.builder, exc)
    message.save(update_fields=["attempts", "last_error", "status", "next_attempt_at", "recipients"])


def flush(*, now: datetime.datetime | None = None, batch: int = 200) -> int:
    """Sends the pending messages that are due (new ones a lost task missed, and retries); returns how many sent."""
    now = now or timezone.now()
    due = list(
        OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:batch]
    )
    return sum(deliver(message_id, now=now) == OutboxMessage.Status.SENT for message_id in due)


def resend(message: OutboxMessage) -> OutboxMessage:
    """Puts a failed (or sent) message back in line: it is built again from current data and sent."""
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().get(pk=message.pk)
        message.status = OutboxMessage.Status.PENDING
        message.attempts = 0
        message.recipients = []  # sent again to everyone: staff asked for it
        message.next_attempt_at = timezone.now()
        message.save(update_fields=["status", "attempts", "recipients", "next_attempt_at"])
        message_id = message.pk
        transaction.on_commit(lambda: _deliver_soon(message_id), robust=True)
    return message


def pending_summary(*, now: datetime.datetime | None = None) -> dict:
    """How many messages wait to be sent, and how old the oldest is (in seconds): for health checks."""
    now = now or timezone.now()
    oldest = (
        OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return {
        "count": OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).count(),
        "oldest_age_seconds": int((now - oldest).total_seconds()) if oldest else 0,
        "failed": OutboxMessage.objects.filter(status=OutboxMessage.Status.FAILED).count(),
    }
