"""The support calendar (Pacific business hours minus closure days) and the 24/7 calendar."""

import datetime
from functools import lru_cache

from contracts.models import CalendarKind
from portal.clock import support_zone_name
from tickets.business_hours import BusinessCalendar, WallClockCalendar, us_federal_holidays

OPENS = datetime.time(6, 0)
CLOSES = datetime.time(18, 0)
# Federal holidays are computed for this span; far wider than any open ticket's deadline.
HOLIDAY_YEARS = range(2015, 2051)


@lru_cache(maxsize=1)
def _federal_holidays() -> frozenset[datetime.date]:
    return frozenset(us_federal_holidays(HOLIDAY_YEARS))


@lru_cache(maxsize=8)
def _business_calendar(closed: frozenset[datetime.date], opened: frozenset[datetime.date]) -> BusinessCalendar:
    holidays = (_federal_holidays() | closed) - opened
    return BusinessCalendar(support_zone_name(), OPENS, CLOSES, weekdays=range(5), holidays=holidays)


def closure_changes() -> tuple[frozenset[datetime.date], frozenset[datetime.date]]:
    from tickets.models import ClosureDay

    rows = list(ClosureDay.objects.values_list("date", "action"))
    closed = frozenset(d for d, action in rows if action == ClosureDay.Action.CLOSE)
    opened = frozenset(d for d, action in rows if action == ClosureDay.Action.OPEN)
    return closed, opened


def support_calendar(changes=None) -> BusinessCalendar:
    """Pacific business hours, Monday to Friday, closed on federal holidays and admins' closure days."""
    closed, opened = changes if changes is not None else closure_changes()
    return _business_calendar(closed, opened)


def wall_clock_calendar() -> WallClockCalendar:
    return WallClockCalendar(support_zone_name())


def calendar_for(kind: str, changes=None):
    if kind == CalendarKind.WALL_CLOCK:
        return wall_clock_calendar()
    if kind == CalendarKind.BUSINESS:
        return support_calendar(changes)
    raise ValueError(f"Unknown calendar {kind!r}.")
