"""How deadlines move: a change of priority, a change of the support calendar, and what may be escalated.

SPEC: raising the priority gives the earlier of the old deadline and (the moment of the change + the new
target), and never breaches a ticket on the spot; lowering it recounts from the receipt with the new
target. After a raise, no later recount may take the deadline past the one the ticket had.
"""

import datetime
from dataclasses import dataclass

from contracts.entitlements import Entitlements
from contracts.models import Priority, describe_target, priority_rank
from tickets.models import Ticket
from tickets.sla.deadlines import Deadline, candidates_at, deadline_from_candidates, premium_covers, snapshot_rules


def is_raise(old_priority: str, new_priority: str) -> bool:
    return priority_rank(new_priority) < priority_rank(old_priority)


@dataclass(frozen=True)
class PriorityMove:
    """What a change of priority does to a running first-response clock."""

    deadline: Deadline
    cap_at: datetime.datetime | None  # the latest the deadline may ever be from now on


def priority_move(ticket: Ticket, new_priority: str, *, now: datetime.datetime) -> PriorityMove | None:
    """The deadline after a change of priority; None when the clock is not running (nothing moves)."""
    old_due = ticket.first_response_due_at
    if ticket.first_response_at is not None or old_due is None:
        return None
    rules = snapshot_rules(ticket, new_priority)
    if not rules:
        return None
    if is_raise(ticket.priority, new_priority):
        # Whatever happens to the calendar later, a raise never lets the deadline pass this one.
        cap = min(d for d in (ticket.sla_cap_at, old_due) if d)
        return PriorityMove(deadline=_raised(ticket, rules, now), cap_at=cap)
    start = ticket.received_at
    return PriorityMove(deadline=deadline_from_candidates(candidates_at(rules, start), start=start), cap_at=None)


def _raised(ticket: Ticket, rules, now: datetime.datetime) -> Deadline:
    """The earlier of the current deadline and (now + the new target); never later than before."""
    fresh = deadline_from_candidates(candidates_at(rules, now), start=now)
    if fresh.due_at < ticket.first_response_due_at:
        return fresh
    # Keeping the old deadline: its targets, clock start and at-risk moment stay as they were, so that a
    # later recount (a closure day) counts the same targets from the same start.
    return Deadline(
        due_at=ticket.first_response_due_at,
        policy=ticket.sla_policy,
        target_minutes=ticket.sla_target_minutes,
        calendar=ticket.sla_calendar,
        clock_start=ticket.sla_clock_start,
        at_risk_at=ticket.at_risk_due_at,
        candidates=tuple(candidates_at(ticket.sla_candidates, ticket.sla_clock_start)),
        note=f"raised priority kept the earlier deadline; {ticket.sla_note}"[:300],
    )


def calendar_recount(ticket: Ticket, changes) -> Deadline | None:
    """The deadline recounted on a changed support calendar; None when it does not move.

    Only a running clock moves, and never past the cap a raise of priority set.
    """
    if not ticket.sla_candidates or ticket.first_response_at is not None:
        return None
    candidates = candidates_at(ticket.sla_candidates, ticket.sla_clock_start, changes)
    deadline = deadline_from_candidates(candidates, start=ticket.sla_clock_start, changes=changes)
    if ticket.sla_cap_at and ticket.sla_cap_at < deadline.due_at:
        return None
    if deadline.due_at == ticket.first_response_due_at:
        return None
    return deadline


def merged_deadline(target: Ticket, duplicate: Ticket) -> Deadline | None:
    """The deadline a ticket keeps when a duplicate is merged into it: the duplicate's, when both still wait
    for a first response and the duplicate's deadline is the earlier; None when the ticket keeps its own."""
    if target.first_response_at is not None or duplicate.first_response_at is not None:
        return None
    if duplicate.first_response_due_at is None:
        return None
    if target.first_response_due_at is not None and target.first_response_due_at <= duplicate.first_response_due_at:
        return None
    return Deadline(
        due_at=duplicate.first_response_due_at,
        policy=duplicate.sla_policy or None,
        target_minutes=duplicate.sla_target_minutes,
        calendar=duplicate.sla_calendar or None,
        clock_start=duplicate.sla_clock_start,
        at_risk_at=duplicate.at_risk_due_at,
        candidates=tuple(candidates_at(duplicate.sla_candidates, duplicate.sla_clock_start)),
        note=f"the earlier deadline of #{duplicate.pk}, merged into this ticket; {duplicate.sla_note}"[:300],
    )


def at_risk_rearmed(ticket: Ticket, now: datetime.datetime) -> bool:
    """True when a deadline that moved later should lose its at-risk mark, so the warning can come again."""
    return bool(
        ticket.at_risk_at and ticket.breached_at is None and ticket.at_risk_due_at and ticket.at_risk_due_at > now
    )


def escalation_refusal(ticket: Ticket, entitlements: Entitlements) -> str | None:
    """Why the ticket cannot be escalated to the on-call team; None when it can (an open, urgent Premium ticket)."""
    if not entitlements.premium:
        urgent = entitlements.targets_for(Priority.URGENT)
        advice = (
            " Set the priority to Urgent when you open a request: we answer within "
            f"{describe_target(urgent[0].target_minutes, urgent[0].calendar)}."
            if urgent
            else ""
        )
        return (
            "Escalation to the on-call team is part of Premium support, which your contract does not include." + advice
        )
    if not premium_covers(ticket.kind):
        return (
            f"A {ticket.get_kind_display().lower()} is not part of Premium support (configuration assistance and "
            "custom development are not): it is not escalated to the on-call team."
        )
    if ticket.priority != Priority.URGENT or not ticket.is_open:
        return "Only open, urgent tickets can be escalated to the on-call team."
    return None
