"""First-response deadlines: the only code that decides when a ticket is due, how a deadline moves, and how
it is told to people.

- `deadlines`: the deadline a ticket gets when it arrives, and how it is stored on the ticket.
- `moves`: what a change of priority or of the support calendar, or a merge, does to a deadline; escalation.
- `wording`: the sentences that state a deadline ("We answer within 4 business hours: by ...").

Services write tickets; they ask this package what the deadline is.
"""

from tickets.sla.deadlines import (
    Candidate,
    Deadline,
    apply_deadline,
    candidates_at,
    deadline_from_candidates,
    deadline_of,
    intake_priority,
    no_target_reason,
    pages_on_receipt,
    premium_covers,
    resolve_deadline,
    target_rules,
)
from tickets.sla.moves import (
    PriorityMove,
    at_risk_rearmed,
    calendar_recount,
    escalation_refusal,
    is_raise,
    merged_deadline,
    priority_move,
)
from tickets.sla.wording import acknowledgement, deadline_sentence, duration_in, explain, time_left

__all__ = [
    "Candidate",
    "Deadline",
    "PriorityMove",
    "acknowledgement",
    "apply_deadline",
    "at_risk_rearmed",
    "calendar_recount",
    "candidates_at",
    "deadline_from_candidates",
    "deadline_of",
    "deadline_sentence",
    "duration_in",
    "escalation_refusal",
    "explain",
    "intake_priority",
    "is_raise",
    "merged_deadline",
    "no_target_reason",
    "pages_on_receipt",
    "premium_covers",
    "priority_move",
    "resolve_deadline",
    "target_rules",
    "time_left",
]
