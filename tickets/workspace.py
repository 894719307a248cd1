"""What a Support Engineer changes from the workspace and the queue, each in one transaction.

- `ticket_update`: a reply or a note, tags, assignee, priority and status in one submit: all of it, or none.
- `tickets_bulk_update`: the same for many tickets at once; each ticket changes whole or not at all, and the
  refused ones are reported with the reason.
- `ticket_merge`: a duplicate's messages and attachments move to the surviving ticket, which keeps the earlier
  deadline; the duplicate closes as merged.
- `ticket_tags_set`, `ticket_ccs_set`: tags (staff only) and the people copied (the ticket's organization only).
- `presence_ping`: who else has the ticket open, and whether they are typing.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from portal import clock, roles
from portal.models import User
from portal.refusals import Refusal, messages_of
from tickets import sla
from tickets.macros import tag_names
from tickets.models import (
    Attachment,
    Comment,
    Status,
    Tag,
    Ticket,
    TicketEvent,
    TicketPresence,
    WaitingOn,
)
from tickets.reports.rollups import rollups_refresh
from tickets.search import search_document_refresh
from tickets.services import (
    _event,
    _require_staff,
    _set_status,
    comment_add,
    ticket_assign,
    ticket_change_priority,
    ticket_change_status,
)

UNCHANGED = object()
MAX_BULK = 200
# A presence not renewed within this many seconds is gone (the page renews it every few seconds).
PRESENCE_SECONDS = 20


@transaction.atomic
def ticket_tags_set(*, ticket: Ticket, actor: User, names, now: datetime.datetime | None = None) -> bool:
    """Gives the ticket exactly these tags (made on first use); True when they changed."""
    _require_staff(actor)
    wanted = tag_names(names)
    current = set(ticket.tags.values_list("name", flat=True))
    if set(wanted) == current:
        return False
    tags = [Tag.objects.get_or_create(name=name)[0] for name in wanted]
    ticket.tags.set(tags)
    added, removed = sorted(set(wanted) - current), sorted(current - set(wanted))
    parts = ([f"added {', '.join(added)}"] if added else []) + ([f"removed {', '.join(removed)}"] if removed else [])
    _event(
        ticket,
        TicketEvent.Kind.TAGS_CHANGED,
        f"Tags: {'; '.join(parts)}.",
        actor=actor,
        public=False,
        now=now or timezone.now(),
        added=added,
        removed=removed,
    )
    return True


@transaction.atomic
def ticket_update(
    *,
    ticket: Ticket,
    actor: User,
    body: str = "",
    public: bool = True,
    attachments: Iterable[UploadedFile] = (),
    status: str = "",
    assignee=UNCHANGED,
    priority: str = "",
    priority_reason: str = "",
    tags=None,
    now: datetime.datetime | None = None,
) -> list[str]:
    """Applies what the workspace form says, in one transaction; returns a sentence per change made.

    The reply goes before the status, so "send and set pending" answers first (a new ticket opens) and then
    waits on the customer. Any refusal undoes everything.
    """
    _require_staff(actor)
    if priority and priority != ticket.priority and not priority_reason.strip():
        raise Refusal.on_field(
            "reason_required", "priority_reason", "Say why the priority changes: the customer reads the reason."
        )
    now = now or timezone.now()
    done: list[str] = []
    if tags is not None and ticket_tags_set(ticket=ticket, actor=actor, names=tags, now=now):
        done.append("Tags saved.")
    if assignee is not UNCHANGED and ticket.assignee_id != (assignee.pk if assignee else None):
        ticket = ticket_assign(ticket=ticket, actor=actor, assignee=assignee, now=now)
        done.append(f"Assigned to {assignee}." if assignee else "Unassigned.")
    if priority and priority != ticket.priority:
        ticket = ticket_change_priority(ticket=ticket, actor=actor, priority=priority, reason=priority_reason, now=now)
        done.append("Priority changed; the deadline follows.")
    attachments = [f for f in attachments if f]
    if body.strip() or attachments:
        comment_add(ticket=ticket, author=actor, body=body, public=public, attachments=attachments, now=now)
        done.append("Reply sent to the customer." if public else "Internal note added.")
    if status:
        ticket = Ticket.objects.get(pk=ticket.pk)
        if status != ticket.status:
            ticket = ticket_change_status(ticket=ticket, actor=actor, status=status, now=now)
            done.append(f"Status: {ticket.get_status_display()}.")
    return done


@dataclass
class BulkOutcome:
    """What a bulk action did: the tickets changed, and each refused ticket with the reason."""

    done: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)


def tickets_bulk_update(
    *,
    actor: User,
    ticket_ids: Iterable[int],
    assignee=UNCHANGED,
    status: str = "",
    note: str = "",
    now: datetime.datetime | None = None,
) -> BulkOutcome:
    """Assigns, moves the status of and adds an internal note to each ticket: each ticket in its own
    transaction, so a refused ticket changes not at all and the others still do."""
    _require_staff(actor)
    ids = sorted({int(pk) for pk in ticket_ids})
    if not ids:
        raise Refusal.on_field("no_tickets", "tickets", "Select at least one ticket.")
    if len(ids) > MAX_BULK:
        raise Refusal.on_field("too_many_tickets", "tickets", f"Select at most {MAX_BULK} tickets at a time.")
    if assignee is UNCHANGED and not status and not note.strip():
        raise Refusal("nothing_to_do", "Choose an assignee or a status, or write a note, to apply.")
    if status and status not in Status.values:
        raise Refusal.on_field("invalid_status", "status", f"Unknown status {status!r}.")
    now = now or timezone.now()
    tickets = Ticket.objects.in_bulk(ids)
    outcome = BulkOutcome()
    for pk in ids:
        ticket = tickets.get(pk)
        if ticket is None:
            outcome.refused[pk] = "There is no such ticket."
            continue
        try:
            changes = ticket_update(
                ticket=ticket, actor=actor, body=note, public=False, assignee=assignee, status=status, now=now
            )
        except (Refusal, ValidationError, PermissionDenied) as error:
            outcome.refused[pk] = messages_of(error)
        else:
            (outcome.done if changes else outcome.unchanged).append(pk)
    return outcome


def merge_refusal(duplicate: Ticket, into: Ticket) -> Refusal | None:
    """Why `duplicate` cannot be merged into `into`, or None when it can."""
    if duplicate.pk == into.pk:
        return Refusal.on_field("merge_into_itself", "into", "A ticket cannot be merged into itself.")
    if duplicate.organization_id != into.organization_id:
        return Refusal.on_field(
            "other_organization",
            "into",
            f"#{into.pk} belongs to another organization: only tickets of the same customer can be merged.",
        )
    if duplicate.status == Status.CLOSED:
        return Refusal("duplicate_closed", f"#{duplicate.pk} is closed already.")
    if into.status == Status.CLOSED:
        return Refusal.on_field("target_closed", "into", f"#{into.pk} is closed: merge into an open ticket.")
    return None


@transaction.atomic
def ticket_merge(*, duplicate: Ticket, into: Ticket, actor: User, now: datetime.datetime | None = None) -> Ticket:
    """Merges a duplicate into another ticket of the same organization; returns the surviving ticket."""
    _require_staff(actor)
    now = now or timezone.now()
    if duplicate.pk == into.pk:
        raise merge_refusal(duplicate, into)
    locked = Ticket.objects.select_for_update().filter(pk__in=[duplicate.pk, into.pk]).order_by("pk").in_bulk()
    duplicate, into = locked[duplicate.pk], locked[into.pk]
    refusal = merge_refusal(duplicate, into)
    if refusal:
        raise refusal

    # The duplicate's request becomes a message of the surviving ticket, with the files sent with it.
    opening = Comment.objects.create(
        ticket=into,
        author=duplicate.requester,
        author_label=duplicate.requester_label,
        body=f"#{duplicate.pk} {duplicate.subject}\n\n{duplicate.description}",
        public=True,
        channel=duplicate.channel,
        created_at=duplicate.received_at,
    )
    moved_files = Attachment.objects.filter(ticket=duplicate, comment__isnull=True).update(ticket=into, comment=opening)
    moved_files += Attachment.objects.filter(ticket=duplicate).update(ticket=into)
    moved_messages = Comment.objects.filter(ticket=duplicate, is_automatic=False).update(ticket=into) + 1

    copied = [u for u in [duplicate.requester, *duplicate.ccs.all()] if u is not None and u.pk != into.requester_id]
    if copied:
        into.ccs.add(*copied)
    if duplicate.tags.exists():
        into.tags.add(*duplicate.tags.all())

    deadline = sla.merged_deadline(into, duplicate)
    if deadline is not None:
        old_due = into.first_response_due_at
        sla.apply_deadline(into, deadline)
        into.sla_cap_at = duplicate.sla_cap_at
        _event(
            into,
            TicketEvent.Kind.DEADLINE_RECOMPUTED,
            f"First response now due {clock.when_support(deadline.due_at)}: the earlier deadline of #{duplicate.pk}.",
            actor=actor,
            now=now,
            old=old_due and old_due.isoformat(),
            new=deadline.due_at.isoformat(),
        )
    if duplicate.is_open and duplicate.waiting_on == WaitingOn.US:
        # The customer still waits for an answer to what the duplicate asked.
        if into.status == Status.SOLVED:
            _set_status(into, Status.OPEN, actor=actor, now=now, note=f"#{duplicate.pk} merged into it waits for us")
        since = duplicate.waiting_since or duplicate.received_at
        if into.waiting_on != WaitingOn.US or (into.waiting_since is None or since < into.waiting_since):
            into.waiting_on, into.waiting_since = WaitingOn.US, since
    into.save()

    duplicate.merged_into = into
    _set_status(duplicate, Status.CLOSED, actor=actor, now=now, note=f"merged into #{into.pk}")
    duplicate.save()
    what = f"{moved_messages} message{'s' if moved_messages != 1 else ''}"
    if moved_files:
        what += f" and {moved_files} attachment{'s' if moved_files != 1 else ''}"
    _event(
        duplicate,
        TicketEvent.Kind.MERGED,
        f"Merged into #{into.pk} ({into.subject}): {what} moved there.",
        actor=actor,
        now=now,
        into=into.pk,
    )
    _event(
        into,
        TicketEvent.Kind.MERGED,
        f"#{duplicate.pk} ({duplicate.subject}) was merged into this ticket: {what} moved here"
        + (f"; {', '.join(str(u) for u in copied)} copied." if copied else "."),
        actor=actor,
        now=now,
        duplicate=duplicate.pk,
    )
    search_document_refresh([duplicate.pk, into.pk])
    rollups_refresh([duplicate, into])
    return into


def may_edit_ccs(user: User, ticket: Ticket) -> bool:
    """Staff, the requester and the organization's admins change who is copied on a ticket."""
    if roles.is_support_staff(user):
        return True
    if roles.organization_id(user) != ticket.organization_id:
        return False
    return ticket.requester_id == user.pk or roles.is_organization_admin(user)


@transaction.atomic
def ticket_ccs_set(
    *, ticket: Ticket, actor: User, users: Iterable[User], now: datetime.datetime | None = None
) -> tuple[list[User], list[User]]:
    """Copies exactly these people (of the ticket's organization only) on the ticket; returns (added, removed)."""
    ticket = Ticket.objects.select_for_update(of=("self",)).select_related("organization").get(pk=ticket.pk)
    if not may_edit_ccs(actor, ticket):
        raise PermissionDenied("Only the requester and the organization's admins change who is copied.")
    users = [u for u in users if u.pk != ticket.requester_id]
    outsiders = [u for u in users if roles.organization_id(u) != ticket.organization_id or not u.is_active]
    if outsiders:
        raise Refusal.on_field(
            "cc_outside_organization",
            "ccs",
            f"Only active members of {ticket.organization} can be copied on this ticket, not "
            f"{', '.join(u.email for u in outsiders)}.",
        )
    current = {u.pk: u for u in ticket.ccs.all()}
    wanted = {u.pk: u for u in users}
    added = [u for pk, u in wanted.items() if pk not in current]
    removed = [u for pk, u in current.items() if pk not in wanted]
    if not added and not removed:
        return [], []
    ticket.ccs.set(list(wanted.values()))
    parts = ([f"added {', '.join(map(str, added))}"] if added else []) + (
        [f"removed {', '.join(map(str, removed))}"] if removed else []
    )
    _event(
        ticket,
        TicketEvent.Kind.CCS_CHANGED,
        f"People copied: {'; '.join(parts)}.",
        actor=actor,
        now=now or timezone.now(),
        added=[u.pk for u in added],
        removed=[u.pk for u in removed],
    )
    return added, removed


def presence_ping(
    *, ticket: Ticket, user: User, state: str, now: datetime.datetime | None = None
) -> list[TicketPresence]:
    """Records that `user` has the ticket open (viewing or typing; "gone" when they leave) and returns the
    others who have it open now."""
    now = now or timezone.now()
    fresh = now - datetime.timedelta(seconds=PRESENCE_SECONDS)
    with transaction.atomic():
        TicketPresence.objects.filter(seen_at__lt=fresh).delete()
        if state in TicketPresence.State.values:
            TicketPresence.objects.update_or_create(ticket=ticket, user=user, defaults={"state": state, "seen_at": now})
        else:
            TicketPresence.objects.filter(ticket=ticket, user=user).delete()
    return list(
        TicketPresence.objects.filter(ticket=ticket, seen_at__gte=fresh)
        .exclude(user=user)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )
