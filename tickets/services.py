"""Everything that changes a ticket. Each function is one transaction; its timeline event goes with it."""

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from contracts.entitlements import Entitlements, entitlements_for
from contracts.models import Channel, Priority, describe_target
from portal import roles
from portal.models import Organization, User
from tickets import sla
from tickets.calendars import closure_changes
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
)

PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}
CHANNEL_LABELS = {
    "portal": "the portal and API",
    "email": "email",
    "slack": "Slack",
    "escalation": "the escalation line",
}


class ChannelRefused(Exception):
    """A message came through a channel the customer's contract does not include."""

    def __init__(self, channel: str, entitlements: Entitlements):
        self.channel = channel
        self.entitlements = entitlements
        super().__init__(channel_refusal_message(channel, entitlements))


def channel_refusal_message(channel: str, entitlements: Entitlements) -> str:
    have = [CHANNEL_LABELS[c] for c in ["portal", "email", "slack", "escalation"] if c in entitlements.channels]
    name = CHANNEL_LABELS.get(channel, channel)
    return (
        f"{entitlements.organization}'s support contract does not include {name}. "
        f"You can reach us through {', '.join(have[:-1]) + ' and ' + have[-1] if len(have) > 1 else have[0]}: "
        f"open a request at {settings.SITE_URL}/tickets/new/ or write to {settings.SUPPORT_EMAIL}."
    )


def pacific_text(moment: datetime.datetime) -> str:
    """A moment as people read it on a timeline: 'Fri 27 Nov 2026, 12:00 PT' (support time, where targets count)."""
    import zoneinfo

    local = moment.astimezone(zoneinfo.ZoneInfo(settings.SUPPORT_TIME_ZONE))
    return f"{local:%a %d %b %Y, %H:%M} PT"


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


def _apply_deadline(ticket: Ticket, deadline: sla.Deadline) -> None:
    ticket.first_response_due_at = deadline.due_at
    ticket.at_risk_due_at = deadline.at_risk_at
    ticket.sla_policy = deadline.policy or ""
    ticket.sla_target_minutes = deadline.target_minutes
    ticket.sla_calendar = deadline.calendar or ""
    ticket.sla_clock_start = deadline.clock_start
    ticket.sla_candidates = [c.as_json() for c in deadline.candidates]
    ticket.sla_note = deadline.note[:300]


def _on_commit(task, *args) -> None:
    transaction.on_commit(lambda: task.delay(*args))


def _check_attachments(files: Iterable[UploadedFile]) -> list[UploadedFile]:
    files = [f for f in files if f]
    for f in files:
        if f.size > settings.ATTACHMENT_MAX_BYTES:
            limit = settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)
            raise ValidationError(f"{f.name} is larger than the {limit} MB limit for attachments.")
    return files


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
    now: datetime.datetime | None = None,
) -> Ticket:
    """Opens a ticket with its deadline snapshot; refuses a channel the contract does not include."""
    now = now or timezone.now()
    if requester is not None and not roles.is_support_staff(requester) and requester.organization != organization:
        raise PermissionDenied("A customer opens tickets only for their own organization.")
    ent = entitlements_for(organization, at=now)
    if not ent.allows(entitlement_channel(channel)):
        raise ChannelRefused(channel, ent)
    if channel == TicketChannel.EMAIL:
        priority = Priority.NORMAL  # SPEC: direct email is Normal priority
    files = _check_attachments(attachments)
    if kind == Kind.CONFIGURATION_REQUEST and engagement is None and ent.engagements and ent.tier != "enterprise":
        engagement = ent.engagements[0]
    ticket = Ticket(
        organization=organization,
        requester=requester,
        requester_label=requester_label[:200],
        subject=subject.strip()[:200],
        description=description,
        kind=kind,
        priority=priority,
        channel=channel,
        status=Status.NEW,
        received_at=now,
        tier=ent.tier or "",
        engagement=engagement,
        connector=connector,
        suggested_articles=list(suggested_articles),
    )
    deadline = sla.resolve_deadline(ent, kind=kind, channel=channel, priority=priority, received_at=now)
    _apply_deadline(ticket, deadline)
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
        body=acknowledgement_text(ticket, deadline),
        public=True,
        is_automatic=True,
        channel=channel,
        created_at=now,
    )
    due_text = (
        f"first response due {pacific_text(ticket.first_response_due_at)} ({deadline.describe()}, {deadline.policy})"
        if deadline.has_target
        else deadline.note
    )
    _event(
        ticket,
        TicketEvent.Kind.CREATED,
        f"Received via {ticket.get_channel_display()}; {due_text}.",
        actor=requester,
        now=now,
        due=ticket.first_response_due_at and ticket.first_response_due_at.isoformat(),
    )
    from tickets import tasks

    if ticket.needs_account_review:
        _event(
            ticket,
            TicketEvent.Kind.FLAGGED,
            "No active contract: flagged for the account manager.",
            public=False,
            now=now,
        )
        _alert_once(ticket, SlaAlert.Kind.NO_CONTRACT, tasks.notify_no_contract)
    if ent.premium and priority == Priority.URGENT:
        _alert_once(ticket, SlaAlert.Kind.PAGED, tasks.page_oncall)
    _on_commit(tasks.send_receipt, ticket.pk)
    _on_commit(tasks.notify_team_new_ticket, ticket.pk)
    return ticket


def acknowledgement_text(ticket: Ticket, deadline: sla.Deadline) -> str:
    import zoneinfo

    if not deadline.has_target:
        return f"We received your request. {deadline.note}"
    pacific = deadline.due_at.astimezone(zoneinfo.ZoneInfo(settings.SUPPORT_TIME_ZONE))
    return (
        f"We received your request. We answer within {deadline.describe()}: "
        f"by {pacific:%a %d %b %Y, %H:%M} Pacific time."
    )


def _alert_once(ticket: Ticket, kind: str, task) -> bool:
    """Records the alert and queues its notification, unless it was recorded before."""
    _, created = SlaAlert.objects.get_or_create(ticket=ticket, kind=kind)
    if created:
        _on_commit(task, ticket.pk)
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
        raise ValidationError("This ticket is closed. Please open a new request; you can mention this one.")
    if not body.strip():
        raise ValidationError("A reply needs some text.")
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
    from tickets import tasks

    if is_staff and public:
        if ticket.first_response_at is None:
            _record_first_response(ticket, comment, now)
        if ticket.status == Status.NEW:
            _set_status(ticket, Status.OPEN, actor=author, now=now)
        _on_commit(tasks.notify_staff_reply, comment.pk)
    elif not is_staff and ticket.status in (Status.PENDING_CUSTOMER, Status.SOLVED):
        _set_status(ticket, Status.OPEN, actor=author, now=now, note="the customer replied")
    if not is_staff:
        _on_commit(tasks.notify_customer_reply, comment.pk)
    ticket.save()
    return comment


def _record_first_response(ticket: Ticket, comment: Comment, now: datetime.datetime) -> None:
    ticket.first_response_at = now
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
        from tickets import tasks

        _alert_once(ticket, SlaAlert.Kind.BREACHED, tasks.notify_breached)


def _set_status(ticket: Ticket, status: str, *, actor, now, note: str = "") -> None:
    if status == ticket.status:
        return
    if not ticket.can_move_to(status):
        raise ValidationError(
            f"A {ticket.get_status_display().lower()} ticket cannot become {Status(status).label.lower()}."
        )
    old = ticket.get_status_display()
    ticket.status = status
    message = f"Status: {old} → {ticket.get_status_display()}" + (f" ({note})" if note else "") + "."
    _event(ticket, TicketEvent.Kind.STATUS_CHANGED, message, actor=actor, now=now, old=old, new=status)


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
    """Moves the deadline as SPEC says: raising never extends it, lowering recounts from receipt."""
    _require_staff(actor)
    now = now or timezone.now()
    if not reason.strip():
        raise ValidationError("Say why the priority changes: the customer reads the reason.")
    if priority not in PRIORITY_RANK:
        raise ValidationError(f"Unknown priority {priority!r}.")
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    old_priority = ticket.priority
    if priority == old_priority:
        return ticket
    old_due = ticket.first_response_due_at
    ticket.priority = priority
    raising = PRIORITY_RANK[priority] > PRIORITY_RANK[old_priority]
    rules = _snapshot_rules(ticket, priority)
    if ticket.first_response_at is None and old_due is not None and rules:
        if raising:
            deadline = _raised_deadline(ticket, rules, now)
            # Whatever happens to the calendar later, a raise never lets the deadline pass this one.
            ticket.sla_cap_at = min(d for d in (ticket.sla_cap_at, old_due) if d)
        else:
            ticket.sla_cap_at = None
            deadline = sla.deadline_from_candidates(
                sla.candidates_at(rules, ticket.received_at), start=ticket.received_at
            )
        _apply_deadline(ticket, deadline)
        _rearm_at_risk(ticket, now)
    ticket.save()
    verb = "raised" if raising else "lowered"
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
            f"First response now due {pacific_text(ticket.first_response_due_at)} ({ticket.sla_note}).",
            actor=actor,
            now=now,
            old=old_due and old_due.isoformat(),
            new=ticket.first_response_due_at.isoformat(),
        )
    return ticket


def _snapshot_rules(ticket: Ticket, priority: str) -> list:
    """The policies the ticket was given when it arrived, with the targets table's value for `priority`.

    A ticket keeps its policies: a contract ended or changed since does not take its target away.
    """
    from contracts.entitlements import TargetRule
    from contracts.models import ResponseTarget

    sources = [c["policy"] for c in ticket.sla_candidates]
    return [
        TargetRule(source=t.source, priority=t.priority, target_minutes=t.target_minutes, calendar=t.calendar)
        for t in ResponseTarget.objects.filter(source__in=sources, priority=priority)
    ]


def _rearm_at_risk(ticket: Ticket, now) -> None:
    """A deadline that moved later takes the at-risk mark off, so the warning can come again at the new 75%."""
    if ticket.at_risk_at and ticket.breached_at is None and ticket.at_risk_due_at and ticket.at_risk_due_at > now:
        ticket.at_risk_at = None
        SlaAlert.objects.filter(ticket=ticket, kind=SlaAlert.Kind.AT_RISK).delete()


def _raised_deadline(ticket: Ticket, rules, now) -> sla.Deadline:
    """The earlier of the current deadline and (now + the new target); never later than before."""
    candidates = sla.candidates_at(rules, now)
    fresh = sla.deadline_from_candidates(candidates, start=now)
    old_due = ticket.first_response_due_at
    if fresh.due_at < old_due:
        return fresh
    # Keeping the old deadline: its targets, clock start and at-risk moment stay as they were, so that a
    # later recount (a closure day) counts the same targets from the same start.
    return sla.Deadline(
        due_at=old_due,
        policy=ticket.sla_policy,
        target_minutes=ticket.sla_target_minutes,
        calendar=ticket.sla_calendar,
        clock_start=ticket.sla_clock_start,
        at_risk_at=ticket.at_risk_due_at,
        candidates=tuple(sla.candidates_at(ticket.sla_candidates, ticket.sla_clock_start)),
        note=f"raised priority kept the earlier deadline; {ticket.sla_note}"[:300],
    )


def _recompute_for_calendar(ticket: Ticket, changes, now, reason: str) -> bool:
    """Recounts a business-hours deadline after the calendar changed; True when it moved."""
    if not ticket.sla_candidates or ticket.first_response_at is not None:
        return False
    candidates = sla.candidates_at(ticket.sla_candidates, ticket.sla_clock_start, changes)
    deadline = sla.deadline_from_candidates(candidates, start=ticket.sla_clock_start, changes=changes)
    if ticket.sla_cap_at and ticket.sla_cap_at < deadline.due_at:
        return False  # a raise promised no later than the cap
    if deadline.due_at == ticket.first_response_due_at:
        return False
    old_due = ticket.first_response_due_at
    _apply_deadline(ticket, deadline)
    _rearm_at_risk(ticket, now)
    ticket.save()
    _event(
        ticket,
        TicketEvent.Kind.DEADLINE_RECOMPUTED,
        f"First response now due {pacific_text(deadline.due_at)}: {reason}.",
        now=now,
        old=old_due.isoformat(),
        new=deadline.due_at.isoformat(),
    )
    return True


def _local_day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    import zoneinfo

    zone = zoneinfo.ZoneInfo(settings.SUPPORT_TIME_ZONE)
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
    return start, datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)


def _recompute_spanning(day: datetime.date, reason: str, now) -> int:
    changes = closure_changes()
    start, end = _local_day_bounds(day)
    affected = (
        Ticket.objects.select_for_update()
        .filter(status__in=OPEN_STATUSES, first_response_at__isnull=True)
        .exclude(sla_candidates=[])
        .filter(sla_clock_start__lt=end)
        # A deadline can only move if the day falls before it, or after it once the day reopens.
        .filter(first_response_due_at__gte=start - datetime.timedelta(days=7))
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
    from tickets import tasks

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
            counts["at_risk"] += _alert_once(ticket, SlaAlert.Kind.AT_RISK, tasks.notify_at_risk)
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
            counts["breached"] += _alert_once(ticket, SlaAlert.Kind.BREACHED, tasks.notify_breached)
    return counts


def target_preview(
    organization: Organization, *, kind: str, priority: str, channel: str = TicketChannel.PORTAL, now=None
) -> sla.Deadline:
    """The deadline a ticket sent now would get: the form shows it before the customer submits."""
    now = now or timezone.now()
    ent = entitlements_for(organization, at=now)
    return sla.resolve_deadline(ent, kind=kind, channel=channel, priority=priority, received_at=now)


def describe_deadline(deadline: sla.Deadline, *, tz) -> str:
    """'We answer within 4 business hours: by Tue 10:00 PT' — or why there is no target."""
    if not deadline.has_target:
        return deadline.note
    import zoneinfo

    pacific = deadline.due_at.astimezone(zoneinfo.ZoneInfo(settings.SUPPORT_TIME_ZONE))
    text = f"We answer within {describe_target(deadline.target_minutes, deadline.calendar)}: by {pacific:%a %H:%M} PT"
    local = deadline.due_at.astimezone(tz)
    if local.utcoffset() != pacific.utcoffset():
        text += f" ({local:%a %H:%M %Z} your time)"
    return text


@transaction.atomic
def ticket_escalate(*, ticket: Ticket, actor: User, now=None) -> bool:
    """Pages the on-call team about a Premium customer's urgent ticket; True the first time, False after."""
    from tickets import tasks

    now = now or timezone.now()
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if not roles.is_support_staff(actor) and actor.organization != ticket.organization:
        raise PermissionDenied("You can only escalate your own organization's tickets.")
    ent = entitlements_for(ticket.organization, at=now)
    if not ent.premium:
        raise ValidationError(
            "Escalation to the on-call team is part of Premium support, which your contract does not include. "
            "Set the priority to Urgent when you open a request: we answer within "
            f"{describe_target(ent.targets_for(Priority.URGENT)[0].target_minutes, 'business')}."
            if ent.targets_for(Priority.URGENT)
            else "Escalation to the on-call team is part of Premium support, which your contract does not include."
        )
    if ticket.priority != Priority.URGENT or not ticket.is_open:
        raise ValidationError("Only open, urgent tickets can be escalated to the on-call team.")
    created = _alert_once(ticket, SlaAlert.Kind.ESCALATED, tasks.escalate)
    if created:
        _event(ticket, TicketEvent.Kind.ESCALATED, f"Escalated to the on-call team by {actor}.", actor=actor, now=now)
    return created
