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


def duration_in(minutes: float, calendar: str) -> str:
    """A span of a target's own calendar in its own terms: business time as business time ('8 business hours',
    '7 business hours 30 min', '45 business minutes'), wall-clock time as wall-clock time ('2 h 05 min', '1 d 3 h')."""
    whole = max(0, int(round(minutes)))
    hours, rest = divmod(whole, 60)
    if calendar == CalendarKind.BUSINESS:
        if not hours:
            return f"{rest} business minute{'s' if rest != 1 else ''}"
        text = f"{hours} business hour{'s' if hours != 1 else ''}"
        return f"{text} {rest} min" if rest else text
    days, hours = divmod(hours, 24)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {rest:02d} min" if rest else f"{hours} h"
    return f"{rest} min"


def time_left(delta: datetime.timedelta, calendar: str) -> str:
    """'8 business hours left' or '2 h 05 min left': what remains of a running target, in its calendar's terms."""
    return f"{duration_in(delta.total_seconds() / 60, calendar)} left"
