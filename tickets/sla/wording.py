"""How the portal states a deadline to people: one sentence for customers, and the reasoning for staff."""

import datetime

from contracts.models import CalendarKind
from portal import clock
from tickets.calendars import calendar_for
from tickets.sla.deadlines import Deadline


def deadline_sentence(deadline: Deadline, *, tz: datetime.tzinfo | None = None) -> str:
    """'We answer within 4 business hours: by Tue 01 Dec 2026, 12:00 PST.' in the reader's time zone,
    or why there is no target."""
    if not deadline.has_target:
        return deadline.note
    return f"We answer within {deadline.describe()}: by {clock.when(deadline.due_at, tz=tz)}."


def acknowledgement(deadline: Deadline, *, tz: datetime.tzinfo | None = None) -> str:
    """The automatic first message of a ticket's thread."""
    return f"We received your request. {deadline_sentence(deadline, tz=tz)}"


def explain(deadline: Deadline, *, changes=None) -> list[str]:
    """Lines for staff: each policy, its target and deadline, the winner, and the closed time skipped."""
    if not deadline.has_target:
        return [f"No deadline. {deadline.note}"]
    lines = []
    for c in deadline.candidates:
        mark = "wins" if c.due_at == deadline.due_at and c.policy == deadline.policy else "later"
        lines.append(f"{c.label}: {c.describe} → due {clock.when_support(c.due_at)} ({mark})")
        if c.calendar == CalendarKind.BUSINESS:
            calendar = calendar_for(c.calendar, changes)
            closed = calendar.closed_time(deadline.clock_start, c.due_at)
            if closed:
                lines.append(f"    closed time skipped: {_hours(closed)}")
            for day in calendar.closed_days(deadline.clock_start, c.due_at):
                lines.append(f"    closed all day: {clock.day(day.day)} ({day.reason})")
    lines.append(
        f"Deadline: {clock.when_support(deadline.due_at)}, set by {deadline.policy_label} ({deadline.describe()})"
    )
    if deadline.at_risk_at:
        lines.append(f"At risk from: {clock.when_support(deadline.at_risk_at)} (75% of the target elapsed)")
    return lines


def _hours(delta: datetime.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d} min" if rest else f"{hours} h"
