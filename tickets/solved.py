"""Solved tickets: a customer marks their ticket solved, the requester says how it went, and a solved ticket
closes by itself after SOLVED_CLOSE_DAYS without a reply (a customer's reply reopens it instead)."""

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from portal import roles
from portal.models import User
from portal.refusals import Refusal
from tickets.models import SOLVED_CLOSE_DAYS, Rating, SatisfactionRating, Status, Ticket, TicketEvent
from tickets.reports.rollups import rollups_refresh
from tickets.services import _event, _set_status, can_reply

MAX_COMMENT = 2000


@transaction.atomic
def ticket_mark_solved(*, ticket: Ticket, actor: User, now: datetime.datetime | None = None) -> Ticket:
    """The customer's "this is solved": the ticket becomes solved and the requester is asked how it went."""
    now = now or timezone.now()
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if not roles.is_support_staff(actor) and not can_reply(actor, ticket):
        raise PermissionDenied(
            "Only the requester, the people copied and the organization's admins can mark this ticket solved."
        )
    if ticket.status == Status.SOLVED:
        raise Refusal("already_solved", "This ticket is solved already.")
    if not ticket.is_open:
        raise Refusal("ticket_closed", "This ticket is closed.")
    _set_status(ticket, Status.SOLVED, actor=actor, now=now, note=f"marked solved by {actor}")
    ticket.save()
    return ticket


@transaction.atomic
def satisfaction_rate(
    *, ticket: Ticket, rater: User, rating: str, comment: str = "", via: str, now: datetime.datetime | None = None
) -> SatisfactionRating:
    """Records the requester's rating of a solved ticket: once, and only theirs."""
    now = now or timezone.now()
    if rating not in Rating.values:
        raise Refusal.on_field("invalid_rating", "rating", 'Choose "good" or "bad".')
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise Refusal.on_field("comment_too_long", "comment", f"Keep the comment under {MAX_COMMENT} characters.")
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.requester_id is None or rater.pk != ticket.requester_id:
        raise Refusal("not_requester", "Only the person who opened the ticket rates it.", status=403)
    if ticket.merged_into_id is not None:
        raise Refusal(
            "ticket_merged", f"This ticket was merged into #{ticket.merged_into_id}: rate that one when it is solved."
        )
    if ticket.status not in (Status.SOLVED, Status.CLOSED):
        raise Refusal("not_solved", "A ticket can be rated once it is solved.")
    if SatisfactionRating.objects.filter(ticket=ticket).exists():
        raise Refusal("already_rated", "This ticket has been rated already. Thank you!", status=409)
    answer = SatisfactionRating(ticket=ticket, rating=rating, comment=comment, rated_by=rater, via=via, created_at=now)
    answer.full_clean(exclude=["ticket"])
    answer.save()
    word = "good" if rating == Rating.GOOD else "bad"
    _event(
        ticket,
        TicketEvent.Kind.RATED,
        f"Rated {word} by {rater}" + (f": “{comment[:200]}”" if comment else "."),
        actor=rater,
        now=now,
        rating=rating,
    )
    rollups_refresh([ticket])
    return answer


def solved_tickets_close(*, now: datetime.datetime | None = None, batch: int = 500) -> int:
    """Closes the tickets solved more than SOLVED_CLOSE_DAYS ago; returns how many. Safe to run twice."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=SOLVED_CLOSE_DAYS)
    closed = 0
    while True:
        with transaction.atomic():
            due = list(
                Ticket.objects.select_for_update(skip_locked=True)
                .filter(status=Status.SOLVED, solved_at__lte=cutoff)
                .order_by("solved_at", "pk")[:batch]
            )
            for ticket in due:
                _set_status(
                    ticket,
                    Status.CLOSED,
                    actor=None,
                    now=now,
                    note=f"closed automatically {SOLVED_CLOSE_DAYS} days after it was solved",
                )
                ticket.save()
        closed += len(due)
        if len(due) < batch:
            return closed
