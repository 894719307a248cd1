"""Intake of email and Slack messages: keep the message first, then decide what it becomes.

Every message ends in one of: a ticket, a comment, a refusal (kept and answered once) or the
quarantine that staff review. The contract's channels come from `entitlements_for()` only.
"""

import datetime
import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.utils import timezone

from contracts.entitlements import entitlements_for
from contracts.models import SlackChannel
from portal import outbox, roles
from portal.models import Organization, OutboxMessage, User
from portal.refusals import Refusal, messages_of
from portal.text import one_line
from tickets.channels import authenticity, mail, slack
from tickets.channels.models import InboundEmail, SlackEvent, SlackThread
from tickets.models import Status, Ticket, TicketChannel, TicketEvent, ticket_pk_from_reference
from tickets.services import CHANNEL_REFUSED, can_reply, channel_refusal, comment_add, ticket_open

logger = logging.getLogger(__name__)

# The database being away is worth a retry (the mail server tries again later); anything else is not.
TRANSIENT_DB_ERRORS = (OperationalError, InterfaceError)
DEFAULT_MAX_MESSAGE_BYTES = 25 * 1024 * 1024
NO_TEXT = "(The message had no text.)"
NO_TEXT_ATTACHMENTS = "(The message had no text; see the attachments.)"
# A reply whose sender no proof authenticated: staff may post it as the sender (inbound_email_accept_reply).
UNVERIFIED_REPLY = "unverified_reply"


class SlackUnavailable(OSError):
    """Slack answered 429 or 5xx: worth retrying later (the task retries on OSError)."""


def max_message_bytes() -> int:
    return int(getattr(settings, "EMAIL_INBOUND_MAX_BYTES", DEFAULT_MAX_MESSAGE_BYTES))


@dataclass(frozen=True)
class Intake:
    email: InboundEmail
    duplicate: bool

    def as_json(self) -> dict:
        email = self.email
        return {
            "id": email.pk,
            "message_id": email.message_id,
            "status": email.status,
            "reason_code": email.reason_code,
            "reason": email.reason,
            "ticket": email.ticket_id,
            "duplicate": self.duplicate,
        }


# Email: store, then process ---------------------------------------------------------------------


def inbound_email_receive(*, raw: bytes, source: str = InboundEmail.Source.MAILGATE, now=None) -> Intake:
    """Stores the message (its own transaction), then processes it; a message seen before creates nothing new.

    Raises a Refusal (`empty`, `too_large`) for input that is not a message, and the database's OperationalError when it
    is away (the message was then not stored, or stored and left for the retry to process).
    """
    email, created = inbound_email_store(raw=raw, source=source, now=now)
    if not created and email.status != InboundEmail.Status.RECEIVED:
        return Intake(email=email, duplicate=True)
    # A message stored before but never processed (the database went away in between) is processed now.
    return Intake(email=inbound_email_process(email_id=email.pk), duplicate=not created)


def inbound_email_store(
    *, raw: bytes, source: str = InboundEmail.Source.MAILGATE, now=None
) -> tuple[InboundEmail, bool]:
    """Keeps the raw message with its Message-ID in its own transaction: (row, created)."""
    if not raw or not raw.strip():
        raise Refusal("empty", "The input is empty: there is no message to store.")
    limit = max_message_bytes()
    if len(raw) > limit:
        raise Refusal(
            "too_large", f"The message is {mail.size_text(len(raw))}, over the {mail.size_text(limit)} limit."
        )
    try:
        message = mail.parse(raw)
        message_id, derived = mail.message_id_of(message, raw)
        sender = mail.sender_address(message)
        subject = mail.header(message, "Subject")[:300]
    except Exception:  # an unreadable message is still stored; processing quarantines it
        logger.warning("Inbound email headers could not be read; storing it under its hash", exc_info=True)
        message_id, derived = mail.derived_message_id(raw), True
        sender, subject = "", ""
    with transaction.atomic():
        existing = InboundEmail.objects.filter(message_id=message_id).first()
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                email = InboundEmail.objects.create(
                    raw=raw,
                    raw_size=len(raw),
                    raw_sha256=hashlib.sha256(raw).hexdigest(),
                    message_id=message_id,
                    message_id_derived=derived,
                    source=source,
                    sender=sender[:254],
                    subject=subject,
                    received_at=now or timezone.now(),
                )
        except IntegrityError:
            # The same message delivered twice at the same moment: the other delivery stored it.
            return InboundEmail.objects.get(message_id=message_id), False
    return email, True


def inbound_email_process(*, email_id: int) -> InboundEmail:
    """Decides what a stored message becomes; an unexpected error quarantines it rather than losing it."""
    try:
        with transaction.atomic():
            email = InboundEmail.objects.select_for_update().get(pk=email_id)
            if email.status != InboundEmail.Status.RECEIVED:
                return email
            _email_decide(email)
            email.processed_at = timezone.now()
            email.save()
            return email
    except TRANSIENT_DB_ERRORS:
        raise
    except Exception as exc:  # whatever went wrong, the message ends in the quarantine
        logger.exception("Processing inbound email %s failed; it goes to the quarantine", email_id)
        with transaction.atomic():
            email = InboundEmail.objects.select_for_update().get(pk=email_id)
            if email.status == InboundEmail.Status.RECEIVED:
                _quarantine(email, "processing_error", f"Processing failed ({type(exc).__name__}: {exc}).")
                email.processed_at = timezone.now()
                email.save()
            return email


def inbound_email_process_pending(*, older_than: datetime.timedelta = datetime.timedelta(0)) -> int:
    """Processes stored messages that were never processed (the database went away after storing them)."""
    cutoff = timezone.now() - older_than
    ids = list(
        InboundEmail.objects.filter(status=InboundEmail.Status.RECEIVED, received_at__lte=cutoff)
        .order_by("received_at")
        .values_list("pk", flat=True)
    )
    for email_id in ids:
        inbound_email_process(email_id=email_id)
    return len(ids)


def _quarantine(email: InboundEmail, code: str, reason: str) -> None:
    email.status = InboundEmail.Status.QUARANTINED
    email.reason_code = code
    email.reason = mail.clean_text(reason)[:500]


def _done(email: InboundEmail, status: str, code: str, reason: str, *, ticket=None, comment=None) -> None:
    email.status = status
    email.reason_code = code
    email.reason = mail.clean_text(reason)[:500]
    email.ticket = ticket
    email.comment = comment
    if ticket is not None:
        email.organization = ticket.organization


def _email_decide(email: InboundEmail) -> None:
    raw = email.raw_bytes
    try:
        message = mail.parse(raw)
    except Exception as exc:  # the email package is lenient, but never let it lose a message
        _quarantine(email, "malformed", f"The message could not be read ({type(exc).__name__}).")
        return
    if not list(message.raw_items()):
        _quarantine(email, "malformed", "The message has no headers: it is not an email.")
        return
    if getattr(message, "too_deep", False):
        _quarantine(
            email,
            "malformed",
            f"Its MIME parts nest more than {mail.MAX_MIME_DEPTH} levels deep: it is kept and shown as plain text.",
        )
        return
    own = tuple(
        a for a in (mail.first_address(settings.DEFAULT_FROM_EMAIL), mail.first_address(settings.SERVER_EMAIL)) if a
    )
    loop = mail.loop_reason(message, support_email=settings.SUPPORT_EMAIL, own_addresses=own)
    if loop:
        _quarantine(email, "loop", f"A mail loop: {loop}. It is kept and never answered.")
        return
    automatic = mail.automatic_reason(message)
    if automatic:
        _quarantine(email, "automatic", f"An automatic message ({automatic}): kept, never answered.")
        return
    sender = email.sender or mail.sender_address(message)
    if not sender:
        _quarantine(email, "no_sender", "The message has no usable From address.")
        return
    user = User.objects.filter(email__iexact=sender, is_active=True).select_related("membership__organization").first()
    verdict = authenticity.authenticate(message, sender=sender, sender_user_id=user.pk if user else None)
    email.authentication = verdict.method
    ticket = _referenced_ticket(message, verdict)
    if user is None:
        if ticket is not None:
            _quarantine(email, "not_allowed", f"{sender} is not a portal user, yet names ticket #{ticket.pk}.")
        else:
            _quarantine(email, "unknown_sender", f"{sender} is not the address of a portal user.")
        return
    is_staff = roles.is_support_staff(user)
    if is_staff and verdict.method != authenticity.Method.REPLY_ADDRESS:
        _quarantine(
            email,
            "staff_unverified",
            f"{sender} is a staff address, and staff act by email only through their own signed reply address; "
            "this message did not come through it (it may be forged). Nothing was posted.",
        )
        return
    if ticket is not None:
        if not can_reply(user, ticket, channel="email"):
            _quarantine(
                email,
                "not_allowed",
                f"{sender} may not add to ticket #{ticket.pk}: only its requester, its CCs, members of its "
                "organization and staff can.",
            )
            return
        if not verdict.is_authenticated:
            _quarantine(
                email,
                UNVERIFIED_REPLY,
                f"The sender {sender} could not be verified ({verdict.detail}) and the message would add to ticket "
                f"#{ticket.pk}. Accepting it posts it on #{ticket.pk} as {sender}.",
            )
            return
        _email_reply(email, message, user=user, ticket=ticket)
        return
    if is_staff:
        _quarantine(
            email, "staff_new", f"{sender} (staff) wrote without naming a ticket: accept it into an organization."
        )
        return
    if user.organization is None:
        _quarantine(email, "no_organization", f"{sender} belongs to no customer organization.")
        return
    _email_new_ticket(email, message, user=user, verified=verdict.is_authenticated)


def _referenced_ticket(message, verdict: authenticity.Verdict | None = None) -> Ticket | None:
    """The ticket the message answers: its signed reply address, else a reference (headers, subject) or our intake."""
    if verdict is not None and verdict.method == authenticity.Method.REPLY_ADDRESS:
        return Ticket.objects.select_related("organization").filter(pk=verdict.ticket_id).first()
    signed = authenticity.signed_reply(message)  # someone else's reply address still names its ticket
    if signed is not None:
        ticket = Ticket.objects.select_related("organization").filter(pk=signed[0]).first()
        if ticket is not None:
            return ticket
    for reference in mail.references_in(message, support_email=settings.SUPPORT_EMAIL):
        pk = ticket_pk_from_reference(reference)
        if pk is not None:
            ticket = Ticket.objects.select_related("organization").filter(pk=pk).first()
            if ticket is not None:
                return ticket
    replied = mail.replied_message_ids(message)
    if replied:
        earlier = (
            InboundEmail.objects.filter(message_id__in=replied[:50], ticket__isnull=False)
            .select_related("ticket__organization")
            .defer("raw")
            .first()
        )
        if earlier is not None:
            return earlier.ticket
    return None


def _files(body: mail.Body) -> tuple[list[SimpleUploadedFile], list[str]]:
    """Attachments the ticket can take, and a note for each one over the size limit (the raw email keeps it)."""
    files, notes = [], []
    limit = settings.ATTACHMENT_MAX_BYTES
    for part in body.parts:
        if part.size > limit:
            notes.append(
                f"[Not attached: {part.filename} ({mail.size_text(part.size)}) is over the "
                f"{mail.size_text(limit)} limit; it is kept with the original email.]"
            )
            continue
        files.append(SimpleUploadedFile(part.filename, part.content, content_type=part.content_type))
    return files, notes


def _compose(text: str, body: mail.Body, notes: list[str], files: list) -> str:
    text = text.strip("\n")
    if body.truncated:
        text += mail.TRUNCATION_NOTE
    notes = list(notes)
    if body.parts_left_out:
        notes.append(f"[{body.parts_left_out} more attachment(s) are kept with the original email.]")
    if notes:
        text += "\n\n" + "\n".join(notes)
    if not text.strip():
        text = NO_TEXT_ATTACHMENTS if files else NO_TEXT
    return text.strip("\n")


def _refuse(email: InboundEmail, refused: Refusal, organization: Organization) -> None:
    """Keeps the message as refused and puts its one answer in the outbox (sent after the commit, retried)."""
    email.status = InboundEmail.Status.REFUSED
    email.reason_code = CHANNEL_REFUSED
    email.reason = refused.message[:500]
    email.organization = organization
    if email.sender and not mail.is_our_address(email.sender, support_email=settings.SUPPORT_EMAIL):
        outbox.enqueue(
            "tickets.channels.services.email_refusal_message",
            key=f"inbound-email:{email.pk}:refusal",
            summary=f"Refusal answer to {email.sender}",
            email_id=email.pk,
        )
        email.refusal_sent_at = timezone.now()  # queued: the outbox sends it, retrying until it is sent


def _same_organization_ccs(message, user: User) -> list[User]:
    found = set()
    for name in ("To", "Cc"):
        found.update(mail.addresses(mail.header(message, name)))
    found.discard(user.email.lower())
    if not found:
        return []
    return list(
        User.objects.filter(email__in=found, is_active=True, membership__organization=user.organization).distinct()
    )


def _email_new_ticket(email: InboundEmail, message, *, user: User, verified: bool) -> None:
    """A new request from a known customer address opens a ticket even unverified (requests are never lost); then it
    is marked for staff, and only the address on record hears of it (no CCs taken from the message)."""
    body = mail.body(message)
    files, notes = _files(body)
    try:
        ticket = ticket_open(
            organization=user.organization,
            requester=user,
            subject=email.subject or "(no subject)",
            description=_compose(body.text, body, notes, files),
            channel=TicketChannel.EMAIL,
            ccs=_same_organization_ccs(message, user) if verified else (),
            attachments=files,
            sender_verified=verified,
            now=email.received_at,
        )
    except Refusal as refused:
        if refused.code != CHANNEL_REFUSED:
            raise
        _refuse(email, refused, user.organization)
        return
    if verified:
        _done(email, InboundEmail.Status.TICKET_CREATED, "new_ticket", f"Opened ticket #{ticket.pk}.", ticket=ticket)
    else:
        _done(
            email,
            InboundEmail.Status.TICKET_CREATED,
            "new_ticket_unverified",
            f"Opened ticket #{ticket.pk}, marked 'sender not verified': no proof that {user.email} sent it.",
            ticket=ticket,
        )


def _email_reply(email: InboundEmail, message, *, user: User, ticket: Ticket) -> None:
    ticket = ticket.survivor()  # a reply to a merged duplicate belongs to the ticket it was merged into
    is_staff = roles.is_support_staff(user)
    body = mail.body(message)
    files, notes = _files(body)
    text = _compose(mail.reply_trim(body.text), body, notes, files)
    if ticket.status == Status.CLOSED and not is_staff:
        _email_follow_up(email, user=user, closed=ticket, text=text, files=files)
        return
    if not is_staff:
        ent = entitlements_for(ticket.organization, at=email.received_at)
        if not ent.allows(TicketChannel.EMAIL):
            _refuse(email, channel_refusal(TicketChannel.EMAIL, ent), ticket.organization)
            return
    try:
        comment = comment_add(
            ticket=ticket,
            author=user,
            body=text,
            public=True,
            channel=TicketChannel.EMAIL,
            attachments=files,
            external_id=email.message_id,
            now=email.received_at,
        )
    except PermissionDenied as exc:
        _quarantine(email, "not_allowed", f"{user.email} may not add to ticket #{ticket.pk}: {exc}")
        return
    except (Refusal, ValidationError) as exc:
        _quarantine(email, "rejected", f"Ticket #{ticket.pk} refused the reply: {messages_of(exc)}")
        return
    if is_staff:
        _done(email, InboundEmail.Status.COMMENT_ADDED, "staff_reply", f"Staff reply on #{ticket.pk}.", ticket=ticket)
    else:
        _done(email, InboundEmail.Status.COMMENT_ADDED, "reply", f"Reply on #{ticket.pk}.", ticket=ticket)
    email.comment = comment


def _email_follow_up(email: InboundEmail, *, user: User, closed: Ticket, text: str, files) -> None:
    """A reply to a closed ticket opens a new one that points back to it (the closed one is not touched)."""
    try:
        ticket = ticket_open(
            organization=closed.organization,
            requester=user,
            subject=f"Follow-up to #{closed.pk}: {closed.subject}",
            description=f"This email answers ticket #{closed.pk}, which is closed.\n\n{text}",
            channel=TicketChannel.EMAIL,
            attachments=files,
            now=email.received_at,
        )
    except Refusal as refused:
        if refused.code != CHANNEL_REFUSED:
            raise
        _refuse(email, refused, closed.organization)
        return
    _done(
        email,
        InboundEmail.Status.TICKET_CREATED,
        "follow_up",
        f"#{closed.pk} is closed: opened #{ticket.pk} as its follow-up.",
        ticket=ticket,
    )


def email_refusal_message(*, email_id: int):
    """The outbox builder of a refused message's answer: the refusal text, in reply to the message (RFC 3834)."""
    from django.core.mail import EmailMessage

    from tickets.notifications import support_domain

    email = InboundEmail.objects.defer("raw").filter(pk=email_id).first()
    if email is None or email.status != InboundEmail.Status.REFUSED or not email.sender:
        return None
    original = f"<{email.message_id}>"
    body = (
        f"{email.reason}\n\n"
        "Your message is kept: our team can see it. Please send it again through one of the channels above.\n\n"
        "The support team\n"
    )
    subject = one_line(f"Re: {email.subject}" if email.subject else "Your message to support")
    headers = {
        "Message-ID": f"<inbound.{email.pk}.refusal.{timezone.now():%Y%m%d%H%M%S}@{support_domain()}>",
        # RFC 3834: an automatic answer, so that the other side's auto-replies stay quiet.
        "Auto-Submitted": "auto-replied",
        "X-Auto-Response-Suppress": "All",
    }
    if not email.message_id_derived:
        headers.update({"In-Reply-To": original, "References": original})
    return EmailMessage(subject=subject[:200], body=body, to=[email.sender], headers=headers)


# Staff review ----------------------------------------------------------------------------------


def _require_staff(actor) -> None:
    if not roles.is_support_staff(actor):
        raise PermissionDenied("Only support staff review the quarantine.")


@transaction.atomic
def inbound_email_accept(
    *,
    email: InboundEmail,
    actor: User,
    organization: Organization,
    requester: User | None = None,
    subject: str = "",
    now=None,
) -> Ticket:
    """Opens a ticket (channel email) from a quarantined or refused message, as staff decided."""
    _require_staff(actor)
    now = now or timezone.now()
    email = _held_for_review(email, InboundEmail.Status.ACCEPTED)
    if requester is not None and requester.organization != organization:
        raise ValidationError(f"{requester} is not a member of {organization}.")
    body = mail.body(mail.parse(email.raw_bytes))
    files, notes = _files(body)
    ticket = ticket_open(
        organization=organization,
        requester=requester,
        requester_label="" if requester else email.sender,
        subject=(subject or email.subject or "(no subject)").strip(),
        description=_compose(body.text, body, notes, files),
        channel=TicketChannel.EMAIL,
        attachments=files,
        now=now,
    )
    TicketEvent.objects.create(
        ticket=ticket,
        kind=TicketEvent.Kind.CREATED,
        actor=actor,
        message=f"Accepted from the email quarantine by {actor} (it was held: {email.reason})"[:500],
        public=False,
        data={"inbound_email": email.pk, "reason_code": email.reason_code},
        created_at=now,
    )
    email.status = InboundEmail.Status.ACCEPTED
    email.ticket = ticket
    email.organization = organization
    email.reviewed_by = actor
    email.reviewed_at = now
    email.save()
    return ticket


def reply_target(email: InboundEmail) -> tuple[Ticket, User] | None:
    """(ticket, sender) a held unverified reply would be posted to and as; None when it is no such message now."""
    if email.reason_code != UNVERIFIED_REPLY:
        return None
    user = User.objects.filter(email__iexact=email.sender, is_active=True).first()
    if user is None or roles.is_support_staff(user):
        return None  # staff never act by unauthenticated email, not even once accepted
    try:
        ticket = _referenced_ticket(mail.parse(email.raw_bytes))
    except Exception:  # an unreadable message names no ticket
        return None
    if ticket is None or not can_reply(user, ticket.survivor(), channel="email"):
        return None
    return ticket.survivor(), user


def _held_for_review(email: InboundEmail, status: str) -> InboundEmail:
    """The message locked for the rest of the transaction, refused when staff already handled it."""
    email = InboundEmail.objects.select_for_update().get(pk=email.pk)
    if not email.can_become(status):
        raise ValidationError(f"This message was handled already ({email.get_status_display().lower()}).")
    return email


@transaction.atomic
def inbound_email_accept_reply(*, email: InboundEmail, actor: User, now=None) -> InboundEmail:
    """Posts a held unverified reply on its ticket as its sender, as staff decided after reading it."""
    _require_staff(actor)
    email = _held_for_review(email, InboundEmail.Status.ACCEPTED)
    target = reply_target(email)
    if target is None:
        raise ValidationError("This message is not a held reply that can be posted as its sender.")
    ticket, user = target
    body = mail.body(mail.parse(email.raw_bytes))
    files, notes = _files(body)
    comment = comment_add(
        ticket=ticket,
        author=user,
        body=_compose(mail.reply_trim(body.text), body, notes, files),
        public=True,
        channel=TicketChannel.EMAIL,
        attachments=files,
        external_id=email.message_id,
        now=now or timezone.now(),
    )
    TicketEvent.objects.create(
        ticket=ticket,
        kind=TicketEvent.Kind.EMAIL_ACCEPTED,
        actor=actor,
        message=f"{actor} accepted an unverified email from {user.email} from the quarantine as their reply."[:500],
        public=False,
        data={"inbound_email": email.pk, "comment": comment.pk},
        created_at=now or timezone.now(),
    )
    email.status = InboundEmail.Status.ACCEPTED
    email.ticket, email.comment, email.organization = ticket, comment, ticket.organization
    email.reviewed_by, email.reviewed_at = actor, now or timezone.now()
    email.save()
    return email


@transaction.atomic
def inbound_email_discard(*, email: InboundEmail, actor: User, now=None) -> InboundEmail:
    """Marks a held message as reviewed and dropped; its raw bytes stay."""
    _require_staff(actor)
    email = _held_for_review(email, InboundEmail.Status.DISCARDED)
    email.status = InboundEmail.Status.DISCARDED
    email.reviewed_by = actor
    email.reviewed_at = now or timezone.now()
    email.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    return email


@transaction.atomic
def slack_event_dismiss(*, event: SlackEvent, actor: User, now=None) -> SlackEvent:
    _require_staff(actor)
    event = SlackEvent.objects.select_for_update().get(pk=event.pk)
    if event.reviewed_at is None:
        event.reviewed_by = actor
        event.reviewed_at = now or timezone.now()
        event.save(update_fields=["reviewed_by", "reviewed_at"])
    return event


# Slack -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlackIntake:
    event: SlackEvent
    duplicate: bool


def slack_event_receive(*, payload: dict, now=None) -> SlackIntake:
    """Keeps an Events API callback by its event_id (Slack's retries create nothing new), then processes it."""
    event_id = str(payload.get("event_id") or "")[:64]
    if not event_id:
        raise ValueError("An event_callback without an event_id.")
    inner = payload.get("event") if isinstance(payload.get("event"), dict) else {}
    with transaction.atomic():
        existing = SlackEvent.objects.filter(event_id=event_id).first()
        if existing is None:
            try:
                with transaction.atomic():
                    existing = SlackEvent.objects.create(
                        event_id=event_id,
                        event_type=str(inner.get("type") or "")[:64],
                        team=str(payload.get("team_id") or inner.get("team") or "")[:32],
                        channel=str(inner.get("channel") or "")[:32],
                        user=str(inner.get("user") or "")[:32],
                        ts=str(inner.get("ts") or "")[:32],
                        thread_ts=str(inner.get("thread_ts") or "")[:32],
                        payload=payload,
                        received_at=now or timezone.now(),
                    )
                    created = True
            except IntegrityError:
                existing, created = SlackEvent.objects.get(event_id=event_id), False
        else:
            created = False
    if not created and existing.status != SlackEvent.Status.RECEIVED:
        return SlackIntake(event=existing, duplicate=True)
    return SlackIntake(event=slack_event_process(event_id=existing.pk, now=now), duplicate=not created)


def slack_event_process(*, event_id: int, now=None) -> SlackEvent:
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                event = SlackEvent.objects.select_for_update().get(pk=event_id)
                if event.status != SlackEvent.Status.RECEIVED:
                    return event
                _slack_decide(event, now=now or timezone.now())
                event.save()
                return event
        except TRANSIENT_DB_ERRORS:
            raise
        except IntegrityError:
            # Two messages of a new thread at once: the other one opened its ticket; this one becomes a comment.
            if attempt == 1:
                continue
            error = "the thread's ticket could not be recorded"
        except Exception as exc:  # the payload is kept; staff see the error in the quarantine
            logger.exception("Processing Slack event %s failed", event_id)
            error = f"{type(exc).__name__}: {exc}"
        break
    with transaction.atomic():
        event = SlackEvent.objects.select_for_update().get(pk=event_id)
        if event.status == SlackEvent.Status.RECEIVED:
            event.status = SlackEvent.Status.ERROR
            event.reason = mail.clean_text(f"Processing failed ({error}).")[:500]
            event.save(update_fields=["status", "reason"])
    return event


def _ignore(event: SlackEvent, reason: str) -> None:
    event.status = SlackEvent.Status.IGNORED
    event.reason = reason[:500]


def _slack_decide(event: SlackEvent, *, now) -> None:
    inner = event.payload.get("event") if isinstance(event.payload.get("event"), dict) else {}
    if inner.get("type") != "message":
        _ignore(event, f"Event type {inner.get('type') or 'unknown'} is not handled.")
        return
    subtype = inner.get("subtype") or ""
    if inner.get("bot_id") or subtype == "bot_message":
        _ignore(event, "A bot's message (our own replies come back this way).")
        return
    if subtype not in slack.HANDLED_SUBTYPES:
        _ignore(event, f"Message subtype {subtype} is not handled.")
        logger.info("Slack event %s: message subtype %s ignored", event.event_id, subtype)
        return
    mapping = SlackChannel.objects.select_related("organization").filter(channel_id=event.channel).first()
    if mapping is None:
        logger.warning("Slack message in unknown channel %s (event %s) ignored", event.channel, event.event_id)
        _ignore(event, f"Channel {event.channel or '(none)'} is not mapped to an organization.")
        return
    organization = mapping.organization
    event.organization = organization
    entitlements = entitlements_for(organization, at=now)
    if not entitlements.allows(TicketChannel.SLACK):
        _slack_refuse(event, channel_refusal(TicketChannel.SLACK, entitlements).message)
        return
    text = slack.message_text(inner) or slack.NO_TEXT
    label = f"Slack user {event.user}" if event.user else "Slack user"
    thread = (
        SlackThread.objects.select_for_update(of=("self",))
        .select_related("ticket")
        .filter(channel_id=event.channel, thread_ts=event.thread_root)
        .first()
    )
    if thread is not None and thread.ticket.merged_into_id is not None:
        thread.ticket = thread.ticket.survivor()  # the thread continues where its ticket was merged
        thread.save(update_fields=["ticket"])
    if thread is not None and thread.ticket.status != Status.CLOSED:
        comment = comment_add(
            ticket=thread.ticket,
            author=None,
            author_label=label,
            body=text,
            channel=TicketChannel.SLACK,
            external_id=event.ts,
            now=now,
        )
        event.status, event.ticket, event.comment = SlackEvent.Status.COMMENT_ADDED, thread.ticket, comment
        event.reason = f"Reply on #{thread.ticket.pk}."
        _slack_files_later(event, inner)
        return
    description = text
    if thread is not None:
        description = f"This Slack message follows up ticket #{thread.ticket.pk}, which is closed.\n\n{text}"
    try:
        ticket = ticket_open(
            organization=organization,
            requester=None,
            requester_label=label,
            subject=slack.subject_from(text, channel_name=mapping.name or event.channel),
            description=description,
            channel=TicketChannel.SLACK,
            now=now,
        )
    except Refusal as refused:
        if refused.code != CHANNEL_REFUSED:
            raise
        _slack_refuse(event, refused.message)
        return
    if thread is None:
        SlackThread.objects.create(channel_id=event.channel, thread_ts=event.thread_root, ticket=ticket, created_at=now)
        event.reason = f"Opened ticket #{ticket.pk}."
    else:
        event.reason = f"#{thread.ticket.pk} is closed: opened #{ticket.pk} for the thread."
        thread.ticket = ticket
        thread.save(update_fields=["ticket"])
    event.status, event.ticket = SlackEvent.Status.TICKET_CREATED, ticket
    _slack_files_later(event, inner)


def _slack_files_later(event: SlackEvent, inner: dict) -> None:
    """Files shared with the message are fetched after the commit (a task, retried), not while Slack waits."""
    from tickets.channels import tasks

    if slack.shared_file_ids(inner):
        event_pk = event.pk
        transaction.on_commit(lambda: tasks.slack_files_fetch.delay(event_pk), robust=True)


def slack_files_store(*, event_id: int) -> int:
    """Downloads the files shared with a Slack message and stores them on its ticket (or comment); how many stored.

    A file over SLACK_FILE_MAX_BYTES, or not at Slack's address, is noted on the ticket for staff instead.
    """
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tickets.services import attachments_add

    event = SlackEvent.objects.select_related("ticket", "comment").filter(pk=event_id).first()
    if event is None or event.ticket is None:
        return 0
    inner = event.payload.get("event") if isinstance(event.payload.get("event"), dict) else {}
    limit = min(settings.SLACK_FILE_MAX_BYTES, settings.ATTACHMENT_MAX_BYTES)
    stored = 0
    for file_id in slack.shared_file_ids(inner):
        try:
            shared = slack.file_download(file_id, limit=limit)
        except Refusal as refused:
            logger.warning("Slack file %s of event %s not stored: %s", file_id, event.event_id, refused)
            TicketEvent.objects.create(
                ticket=event.ticket,
                kind=TicketEvent.Kind.ATTACHMENT_REFUSED,
                message=f"A file shared in Slack was not attached: {refused.message}."[:500],
                public=False,
                data={"slack_event": event.pk, "file": file_id},
                created_at=timezone.now(),
            )
            continue
        with transaction.atomic():
            already = event.ticket.attachments.filter(
                comment=event.comment, filename=shared.name, size=len(shared.content)
            ).exists()
            if already:  # a retry of the task after a partial run
                continue
            upload = SimpleUploadedFile(shared.name, shared.content, content_type=shared.content_type)
            attachments_add(ticket=event.ticket, comment=event.comment, files=[upload])
            stored += 1
    return stored


def _slack_refuse(event: SlackEvent, message: str) -> None:
    """Keeps the event as refused; the thread gets one answer (the outbox key is the thread), sent after the commit."""
    event.status = SlackEvent.Status.REFUSED
    event.reason = message[:500]
    key = f"slack-refusal:{event.channel}:{event.thread_root}"
    if OutboxMessage.objects.filter(key=key).exists():
        return  # the thread was answered once already
    outbox.enqueue(
        "portal.outbox.SlackPost",
        key=key,
        summary=f"Refusal answer in Slack channel {event.channel}",
        channel=event.channel,
        thread_ts=event.thread_root,
        text=event.reason,
    )
    event.refusal_replied_at = timezone.now()  # queued: the outbox sends it, retrying until it is sent
