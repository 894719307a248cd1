"""Support time: the one module that knows the support time zone and how moments are written for people.

Response targets and contract days are counted in the support time zone (Pacific time); people read
every moment in their own time zone, in one format: "Fri 27 Nov 2026, 14:45 PST".
"""

import datetime
import zoneinfo
from functools import cache

from django.conf import settings
from django.utils import timezone, translation
from django.utils.formats import date_format


@cache
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def support_zone() -> zoneinfo.ZoneInfo:
    """The time zone of the support calendar, where business hours and contract days are counted."""
    return _zone(settings.SUPPORT_TIME_ZONE)


def support_zone_name() -> str:
    return settings.SUPPORT_TIME_ZONE


def zone_named(name: str | None) -> zoneinfo.ZoneInfo:
    """A person's time zone by name; the support time zone when the name is missing or unknown."""
    if name:
        try:
            return _zone(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    return support_zone()


def zone_of(user) -> zoneinfo.ZoneInfo:
    """The time zone `user` reads dates in (the support time zone for anyone without one)."""
    return zone_named(getattr(user, "time_zone", None))


def support_today(now: datetime.datetime | None = None) -> datetime.date:
    """Today in the support time zone, where contract days are counted."""
    return (now or timezone.now()).astimezone(support_zone()).date()


def support_date(moment: datetime.datetime) -> datetime.date:
    """The support-calendar day a moment falls on."""
    return moment.astimezone(support_zone()).date()


def support_noon(day: datetime.date) -> datetime.datetime:
    """Noon of a support day, aware: the moment that stands for the whole day (a contract day, say)."""
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=support_zone())


def support_day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The first moment of a support day and the first moment of the next (DST days are 23 or 25 hours)."""
    zone = support_zone()
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
    return start, datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def when(moment: datetime.datetime | None, *, tz: datetime.tzinfo | None = None) -> str:
    """A moment as people read it, in `tz` (the active time zone by default): 'Fri 27 Nov 2026, 14:45 PST'.

    In English this is the DATETIME_FORMAT of config/formats written out (a list shows a hundred of these, and
    Django's formatter takes ten times as long; a test holds the two equal); other languages use the formatter."""
    if moment is None:
        return ""
    local = timezone.localtime(moment, tz or timezone.get_current_timezone())
    if not (translation.get_language() or "en").startswith("en"):
        return date_format(local, "DATETIME_FORMAT")
    return (
        f"{_DAYS[local.weekday()]} {local.day:02d} {_MONTHS[local.month - 1]} {local.year}, "
        f"{local.hour:02d}:{local.minute:02d} {local.tzname()}"
    )


def when_support(moment: datetime.datetime | None) -> str:
    """A moment in the support time zone, where targets are counted: 'Fri 27 Nov 2026, 10:00 PST'."""
    return when(moment, tz=support_zone())


def reads_as_support_time(moment: datetime.datetime) -> bool:
    """True when the active time zone shows `moment` exactly as support time does (same offset)."""
    return timezone.localtime(moment).utcoffset() == moment.astimezone(support_zone()).utcoffset()


def day(value: datetime.date | None) -> str:
    """A day as people read it: 'Fri 27 Nov 2026'."""
    return date_format(value, "DATE_FORMAT") if value else ""
