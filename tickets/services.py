"""Everything that changes a ticket. Each function is one transaction; its timeline event goes with it."""

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from contracts.entitlements import Entitlements, entitlements_for
from contracts.models import Channel, Priority, Tier
from portal import clock, roles
from portal.models import Organization, User
from portal.refusals import Refusal
from portal.text import one_line
from tickets import notifications, sla
from tickets.calendars import calendar_for, closure_changes
from tickets.models import (
    OPEN_STATUSES,
    Attachment,
    ClosureDay,
    Comment,
    Kind,
    SlaAlert,
    Status,
    Ticket,
    TicketChannel,
    TicketEvent,
    WaitingOn,
    attachment_size_problem,
)
from tickets.reports.rollups import engineer_rollup_refresh, rollups_refresh
from tickets.search import search_document_refresh

CHANNEL_REFUSED = "channel_refused"
CHANNEL_LABELS = {
    "portal": "the portal and API",
    "email": "email",
    "slack": "Slack",
    "escalation": "the escalation line",
}


def channel_refusal(channel: str, entitlements: Entitlements) -> Refusal:
    """The refusal of a message that came through a channel the customer's contract does not include."""
    return Refusal(CHANNEL_REFUSED, channel_refusal_message(channel, entitlements), channel=channel)


def channel_refusal_message(channel: str, entitlements: Entitlements) -> str:
    have = [CHANNEL_LABELS[c] for c in ["portal", "email", "slack", "escalation"] if c in entitlements.channels]
    name = CHANNEL_LABELS.get(channel, channel)
    return (
        f"{entitlements.organization}'s support contract does not include {name}. "
        f"You can reach us through {', '.join(have[:-1]) + ' and ' + have[-1] if len(have) > 1 else have[0]}: "
        f"open a request at {settings.SITE_URL}/tickets/new/ or write to {settings.SUPPORT_EMAIL}."
    )


def entitlement_channel(channel: str) -> str:
    """The contract's channel that a ticket channel counts as (the API is the portal)."""
    return {TicketChannel.API: Channel.PORTAL}.get(channel, channel)


def _event(ticket: Ticket, kind: str, message: str, *, actor=None, public=True, now=None, **data) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        actor=actor,
        message=message,
        public=public,
        data=data,
        created_at=now or timezone.now(),
    )


def _check_attachments(files: Iterable[UploadedFile]) -> list[UploadedFile]:
    files = [f for f in files if f]
    for f in files:
        problem = attachment_size_problem(f.name, f.size)
        if problem:
            raise ValidationError({"attachments": problem})
    return files


def _check_length(field: str, text: str) -> None:
    limit = settings.TEXT_MAX_CHARS
    if len(text) > limit:
        message = f"The text is {len(text):,} characters long; the limit is {limit:,}. Attach long logs as files."
        raise Refusal("too_long", message, errors={field: [message]})


def _store_attachments(ticket, comment, files, uploaded_by, public=True) -> None:
    for f in files:
        Attachment.objects.create(
            ticket=ticket,
            comment=comment,
            file=f,
            filename=f.name[:255],
            size=f.size,
            content_type=(getattr(f, "content_type", "") or "")[:150],
            uploaded_by=uploaded_by,
            public=public,
        )


@transaction.atomic
def attachments_add(*, ticket: Ticket, comment: Comment | None, files: Iterable[UploadedFile], public=True) -> None:
    """Files that arrived after their message (Slack shares them apart), stored on its ticket or comment."""
    _store_attachments(ticket, comment, _check_attachments(files), None, public=public)


@transaction.atomic
def ticket_open(
    *,
    organization: Organization,
    requester: User | None,
    subject: str,
    description: str,
    kind: str = Kind.QUESTION,
    priority: str = Priority.NORMAL,
    channel: str = TicketChannel.PORTAL,
    ccs: Iterable[User] = (),
    attachments: Iterable[UploadedFile] = (),
    engagement=None,
    connector=None,
    suggested_articles: Iterable[int] = (),
    requester_label: str = "",
    raised_by: User | None = None,
    sender_verified: bool = True,
    now: datetime.datetime | None = None,
) -> Ticket:
    """Opens a ticket with its deadline snapshot; refuses a channel the contract does not include.

    `raised_by` names the staff member who opens it on the customer's behalf (the requester stays the customer);
    `sender_verified=False` marks an email whose sender no proof authenticated, for staff to see.
    """
    now = now or timezone.now()
    if requester is not None and not roles.is_support_staff(requester) and requester.organization != organization:
        raise PermissionDenied("A customer opens tickets only for their own organization.")
    if raised_by is not None and not roles.is_support_staff(raised_by):
        raise PermissionDenied("Only staff open a ticket on a customer's behalf.")
    ent = entitlements_for(organization, at=now)
    if not ent.allows(entitlement_channel(channel)):
        raise channel_refusal(channel, ent)
    priority = sla.intake_priority(channel, priority)
    _check_length("description", description)
    files = _check_attachments(attachments)
    if kind == Kind.CONFIGURATION_REQUEST and engagement is None and ent.engagements and ent.tier != Tier.ENTERPRISE:
        engagement = ent.engagements[0]
    ticket = Ticket(
        organization=organization,
        requester=requester,
        requester_label=one_line(requester_label)[:200],
        raised_by=raised_by,
        subject=one_line(subject)[:200],
        sender_verified=sender_verified,
        description=description,
        kind=kind,
        priority=priority,
        channel=channel,
        status=Status.NEW,
        received_at=now,
        tier=ent.tier or "",
        premium=ent.premium,
        waiting_on=WaitingOn.US,
        waiting_since=now,
        engagement=engagement,
        connector=connector,
        suggested_articles=list(suggested_articles),
    )
    deadline = sla.resolve_deadline(ent, kind=kind, channel=channel, priority=priority, received_at=now)
    sla.apply_deadline(ticket, deadline)
    ticket.needs_account_review = not ent.has_contract
    ticket.full_clean(exclude=["requester", "assignee"])
    ticket.save()
    if ccs:
        ticket.ccs.set([u for u in ccs if u.organization == organization])
    _store_attachments(ticket, None, files, requester)
    Comment.objects.create(
        ticket=ticket,
        author=None,
        author_label="Support Portal",
        body=sla.acknowledgement(deadline, tz=clock.zone_of(requester)),
        public=True,
        is_automatic=True,
        channel=channel,
        created_at=now,
    )
    due_text = (
        f"first response due {clock.when_support(ticket.first_response_due_at)} "
        f"({deadline.describe()}, {deadline.policy_label})"
        if deadline.has_target
        else deadline.note
    )
    _event(
        ticket,
        TicketEvent.Kind.CREATED,
        f"Received via {ticket.get_channel_display()}"
        + (f", raised by {raised_by} for {ticket.requester_name()}" if raised_by else "")
        + f"; {due_text.rstrip('.')}.",
        actor=raised_by or requester,
        now=now,
        due=ticket.first_response_due_at and ticket.first_response_due_at.isoformat(),
    )
    if ticket.needs_account_review:
        _event(
            ticket,
            TicketEvent.Kind.FLAGGED,
            "No active contract: flagged for the account manager.",
            public=False,
            now=now,
        )
        _alert_once(ticket, SlaAlert.Kind.NO_CONTRACT)
    if sla.pages_on_receipt(ent, kind=kind, priority=priority):
        _alert_once(ticket, SlaAlert.Kind.PAGED)
    notifications.notify_new_ticket(ticket)
    search_document_refresh([ticket.pk])
    rollups_refresh([ticket])
    return ticket


def _alert_once(ticket: Ticket, kind: str) -> bool:
    """Records the alert and puts its notification in the outbox, unless it was recorded before."""
    _, created = SlaAlert.objects.get_or_create(ticket=ticket, kind=kind)
    if created:
        notifications.notify_alert(ticket, kind)
    return created


def can_reply(user, ticket: Ticket, *, channel: str = TicketChannel.PORTAL) -> bool:
    """Staff, the requester, the ticket's CCs and the organization's admins may add to the thread in the portal;
    by email, any member of the ticket's organization may (they already share its mail thread)."""
    if roles.is_support_staff(user):
        return True
    if user.organization != ticket.organization:
        return False
    if channel == TicketChannel.EMAIL:
        return True
    return ticket.requester_id == user.pk or user.is_organization_admin or ticket.ccs.filter(pk=user.pk).exists()


@transaction.atomic
def comment_add(
    *,
    ticket: Ticket,
    author: User | None,
    body: str,
    public: bool = True,
    channel: str = TicketChannel.PORTAL,
    attachments: Iterable[UploadedFile] = (),
    external_id: str = "",
    author_label: str = "",
    now: datetime.datetime | None = None,
) -> Comment:
    """Adds a reply or an internal note; the first public staff reply stops the first-response clock."""
    now = now or timezone.now()
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    is_staff = author is not None and roles.is_support_staff(author)
    if author is not None and not can_reply(author, ticket, channel=channel):
        raise PermissionDenied("Only the requester, the ticket's CCs and organization admins may reply.")
    if not is_staff:
        public = True  # a customer's message is always public
    if ticket.status == Status.CLOSED and not is_staff:
        raise Refusal("ticket_closed", "This ticket is closed. Please open a new request; you can mention this one.")
    if not body.strip():
        raise ValidationError("A reply needs some text.")
    _check_length("body", body)
    files = _check_attachments(attachments)
    comment = Comment.objects.create(
        ticket=ticket,
        author=author,
        author_label=author_label[:200],
        body=body,
        public=public,
        is_staff_reply=is_staff,
        channel=channel,
        external_id=external_id[:255],
        created_at=now,
    )
    _store_attachments(ticket, comment, files, author, public=public)
    first_response = is_staff and public and ticket.first_response_at is None
    if is_staff and public:
        if first_response:
            _record_first_response(ticket, comment, now)
        if ticket.status == Status.NEW:
            _set_status(ticket, Status.OPEN, actor=author, now=now)
        if ticket.is_open:
            _pass_turn(ticket, WaitingOn.CUSTOMER, now)
        elif ticket.status == Status.SOLVED:
            ticket.solved_at = now  # the 7 days before it closes count from the last answer
        notifications.notify_comment(comment)
    elif not is_staff and ticket.status in (Status.PENDING_CUSTOMER, Status.SOLVED):
        _set_status(ticket, Status.OPEN, actor=author, now=now, note="the customer replied")
    if not is_staff:
        if ticket.is_open:
            _pass_turn(ticket, WaitingOn.US, now)
        notifications.notify_comment(comment)
    ticket.save()
    search_document_refresh([ticket.pk])
    if first_response:
        rollups_refresh([ticket])
    if is_staff and public:
        engineer_rollup_refresh(author.pk, now)
    return comment


def _pass_turn(ticket: Ticket, waiting_on: str, now: datetime.datetime) -> None:
    """Whose turn it is: the waiting time runs from the moment the turn passed, not from each message."""
    if ticket.waiting_on != waiting_on:
        ticket.waiting_on = waiting_on
        ticket.waiting_since = now


def _record_first_response(ticket: Ticket, comment: Comment, now: datetime.datetime) -> None:
    ticket.first_response_at = now
    if ticket.sla_calendar:
        elapsed = calendar_for(ticket.sla_calendar).elapsed(ticket.sla_clock_start or ticket.received_at, now)
        ticket.first_response_minutes = max(0, int(elapsed.total_seconds() // 60))
    if ticket.first_response_due_at is None:
        _event(
            ticket,
            TicketEvent.Kind.FIRST_RESPONSE,
            "First response (no target applies).",
            actor=comment.author,
            now=now,
        )
        return
    met = now <= ticket.first_response_due_at
    _event(
        ticket,
        TicketEvent.Kind.FIRST_RESPONSE,
        "First response, within the target." if met else "First response, after the deadline.",
        actor=comment.author,
        now=now,
        met=met,
    )
    if not met and ticket.breached_at is None:
        ticket.breached_at = ticket.first_response_due_at
        _event(ticket, TicketEvent.Kind.BREACHED, "The first-response target was missed.", public=False, now=now)
        _alert_once(ticket, SlaAlert.Kind.BREACHED)


def _set_status(ticket: Ticket, status: str, *, actor, now, note: str = "") -> None:
    if status == ticket.status:
        return
    if not ticket.can_move_to(status):
        raise ValidationError(
            f"A {ticket.get_status_display().lower()} ticket cannot become {Status(status).label.lower()}."
        )
    old = ticket.get_status_display()
    was_solved = ticket.status == Status.SOLVED
    ticket.status = status
    message = f"Status: {old} → {ticket.get_status_display()}" + (f" ({note})" if note else "") + "."
    _event(ticket, TicketEvent.Kind.STATUS_CHANGED, message, actor=actor, now=now, old=old, new=status)
    if status in (Status.SOLVED, Status.CLOSED):
        ticket.waiting_on, ticket.waiting_since = "", now
        if status == Status.SOLVED:
            ticket.solved_at = now
            notifications.notify_satisfaction(ticket)
    elif was_solved:
        ticket.solved_at = None
        _pass_turn(ticket, WaitingOn.US, now)


def _require_staff(actor) -> None:
    if not roles.is_support_staff(actor):
        raise PermissionDenied("Only support staff can do this.")


@transaction.atomic
def ticket_change_status(*, ticket: Ticket, actor: User, status: str, now=None) -> Ticket:
    _require_staff(actor)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    _set_status(ticket, status, actor=actor, now=now or timezone.now())
    ticket.save()
    return ticket


@transaction.atomic
def ticket_assign(*, ticket: Ticket, actor: User, assignee: User | None, now=None) -> Ticket:
    _require_staff(actor)
    if assignee is not None and not roles.is_support_staff(assignee):
        raise ValidationError("Tickets are assigned to support staff only.")
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.assignee_id == (assignee.pk if assignee else None):
        return ticket
    ticket.assignee = assignee
    ticket.save()
    message = f"Assigned to {assignee}." if assignee else "Unassigned."
    _event(
        ticket,
        TicketEvent.Kind.ASSIGNED,
        message,
        actor=actor,
        now=now or timezone.now(),
        assignee=assignee.pk if assignee else None,
    )
    return ticket


@transaction.atomic
def ticket_change_priority(*, ticket: Ticket, actor: User, priority: str, reason: str, now=None) -> Ticket:
    """Changes the priority; the deadline moves as the SLA module says (raising never extends it)."""
    _require_staff(actor)
    now = now or timezone.now()
    if not reason.strip():
        raise ValidationError("Say why the priority changes: the customer reads the reason.")
    if priority not in Priority.values:
        raise ValidationError(f"Unknown priority {priority!r}.")
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    old_priority = ticket.priority
    if priority == old_priority:
        return ticket
    old_due = ticket.first_response_due_at
    move = sla.priority_move(ticket, priority, now=now)
    ticket.priority = priority
    if move is not None:
        sla.apply_deadline(ticket, move.deadline)
        ticket.sla_cap_at = move.cap_at
        _rearm_at_risk(ticket, now)
    ticket.save()
    rollups_refresh([ticket])
    verb = "raised" if sla.is_raise(old_priority, priority) else "lowered"
    message = f"Priority {verb} from {Priority(old_priority).label} to {Priority(priority).label}: {reason.strip()}"
    _event(
        ticket,
        TicketEvent.Kind.PRIORITY_CHANGED,
        message,
        actor=actor,
        now=now,
        old=old_priority,
        new=priority,
        reason=reason.strip(),
    )
    if ticket.first_response_due_at != old_due and ticket.first_response_due_at is not None:
        _event(
            ticket,
            TicketEvent.Kind.DEADLINE_RECOMPUTED,
            f"First response now due {clock.when_support(ticket.first_response_due_at)} ({ticket.sla_note}).",
            actor=actor,
            now=now,
            old=old_due and old_due.isoformat(),
            new=ticket.first_response_due_at.isoformat(),
        )
    return ticket


def _rearm_at_risk(ticket: Ticket, now) -> None:
    """Takes the at-risk mark off a deadline that moved later, so the warning can come again at the new 75%."""
    if sla.at_risk_rearmed(ticket, now):
        ticket.at_risk_at = None
        SlaAlert.objects.filter(ticket=ticket, kind=SlaAlert.Kind.AT_RISK).delete()


def _recompute_for_calendar(ticket: Ticket, changes, now, reason: str) -> bool:
    """Recounts a business-hours deadline after the calendar changed; True when it moved."""
    deadline = sla.calendar_recount(ticket, changes)
    if deadline is None:
        return False
    old_due = ticket.first_response_due_at
    sla.apply_deadline(ticket, deadline)
    _rearm_at_risk(ticket, now)
    ticket.save()
    _event(
        ticket,
        TicketEvent.Kind.DEADLINE_RECOMPUTED,
        f"First response now due {clock.when_support(deadline.due_at)}: {reason}.",
        now=now,
        old=old_due.isoformat(),
        new=deadline.due_at.isoformat(),
    )
    return True


def _recompute_spanning(day: datetime.date, reason: str, now) -> int:
    changes = closure_changes()
    start, end = clock.support_day_bounds(day)
    affected = (
        Ticket.objects.select_for_update()
        .filter(status__in=OPEN_STATUSES, first_response_at__isnull=True)
        .exclude(sla_candidates=[])
        .filter(sla_clock_start__lt=end)
        # A deadline can only move if the day falls before it, or after it once the day reopens.
        .filter(first_response_due_at__gte=start - datetime.timedelta(days=7))
        .order_by("pk")  # rows locked in one order
    )
    return sum(_recompute_for_calendar(t, changes, now, reason) for t in affected)


@transaction.atomic
def closure_day_save(*, actor: User, date: datetime.date, action: str, reason: str, now=None) -> tuple[ClosureDay, int]:
    """Adds a closure day (or reopens a holiday) and recounts the open deadlines it touches."""
    if not actor.is_superuser:
        raise PermissionDenied("Only admins change the support calendar.")
    closure, _ = ClosureDay.objects.update_or_create(
        date=date, defaults={"action": action, "reason": reason.strip(), "created_by": actor}
    )
    closure.full_clean()
    word = "closed" if action == ClosureDay.Action.CLOSE else "opened"
    moved = _recompute_spanning(
        date, f"the support calendar {word} {date.isoformat()} ({reason.strip()})", now or timezone.now()
    )
    return closure, moved


@transaction.atomic
def closure_day_delete(*, actor: User, closure: ClosureDay, now=None) -> int:
    if not actor.is_superuser:
        raise PermissionDenied("Only admins change the support calendar.")
    day = closure.date
    closure.delete()
    return _recompute_spanning(day, f"the calendar change on {day.isoformat()} was withdrawn", now or timezone.now())


def sla_sweep(*, now: datetime.datetime | None = None, batch: int = 500) -> dict[str, int]:
    """Marks tickets at risk and breached, once each, reading only those whose marks are due."""
    now = now or timezone.now()
    counts = {"at_risk": 0, "breached": 0}
    with transaction.atomic():
        due = (
            Ticket.objects.select_for_update(skip_locked=True)
            .filter(
                first_response_at__isnull=True,
                at_risk_at__isnull=True,
                at_risk_due_at__lte=now,
                status__in=OPEN_STATUSES,
            )
            .order_by("at_risk_due_at")[:batch]
        )
        for ticket in due:
            ticket.at_risk_at = ticket.at_risk_due_at
            ticket.save(update_fields=["at_risk_at", "updated_at"])
            _event(ticket, TicketEvent.Kind.AT_RISK, "75% of the response target has elapsed.", public=False, now=now)
            counts["at_risk"] += _alert_once(ticket, SlaAlert.Kind.AT_RISK)
    with transaction.atomic():
        due = (
            Ticket.objects.select_for_update(skip_locked=True)
            .filter(
                first_response_at__isnull=True,
                breached_at__isnull=True,
                first_response_due_at__lte=now,
                status__in=OPEN_STATUSES,
            )
            .order_by("first_response_due_at")[:batch]
        )
        breached = []
        for ticket in due:
            ticket.breached_at = ticket.first_response_due_at
            ticket.save(update_fields=["breached_at", "updated_at"])
            _event(
                ticket,
                TicketEvent.Kind.BREACHED,
                "The first-response deadline passed without a reply.",
                public=False,
                now=now,
            )
            counts["breached"] += _alert_once(ticket, SlaAlert.Kind.BREACHED)
            breached.append(ticket)
        rollups_refresh(breached)
    return counts


@transaction.atomic
def ticket_escalate(*, ticket: Ticket, actor: User, now=None) -> bool:
    """Pages the on-call team about a Premium customer's urgent ticket; True the first time, False after."""
    now = now or timezone.now()
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if not roles.is_support_staff(actor) and actor.organization != ticket.organization:
        raise PermissionDenied("You can only escalate your own organization's tickets.")
    refusal = sla.escalation_refusal(ticket, entitlements_for(ticket.organization, at=now))
    if refusal:
        raise ValidationError(refusal)
    created = _alert_once(ticket, SlaAlert.Kind.ESCALATED)
    if created:
        _event(ticket, TicketEvent.Kind.ESCALATED, f"Escalated to the on-call team by {actor}.", actor=actor, now=now)
        ticket.escalated_at = now
        ticket.save(update_fields=["escalated_at", "updated_at"])
    return created
