"""Business-hours and wall-clock calendars: exact open-time arithmetic for SLA clocks.

Pure Python with no Django import, so it can be tested and benchmarked alone.

Semantics of `BusinessCalendar`:

* Open time is, for every working local date (weekday in `weekdays`, date not in `holidays`), the
  real-time interval from that date's `opens` to its `closes` wall-clock time in the calendar's zone.
  The calendar is open on the union of those intervals, half-open: open at `opens`, closed at
  `closes`.
* Local wall times are turned into instants with zoneinfo's ``fold=0`` rule (PEP 495). An ambiguous
  time (the repeated hour when clocks go back) means its first occurrence, so 01:00-05:00 on
  2026-11-01 in Los Angeles is 01:00 PDT to 05:00 PST: five real hours. A nonexistent time (the
  hour skipped when clocks go forward) is read with the offset in force before the jump, so 02:30 on
  2026-03-08 in Los Angeles is 10:30 UTC, shown as 03:30 PDT; a day whose `closes` then comes out no
  later than its `opens` has no open time at all.
* Durations are real elapsed time: a 06:00-18:00 day is twelve hours on a daylight-saving Sunday
  too, while a 01:00-05:00 day is three hours in spring and five in autumn.
* All arithmetic is integer microseconds since the Unix epoch; results are aware datetimes in the
  calendar's zone, exact to the microsecond.

How it stays fast: the UTC timeline is cut into fixed blocks of 2**45 microseconds (about 407 days).
A block is computed once, with a few zone conversions per working day, into sorted lists of open
intervals (as UTC microseconds), running open-time totals and the UTC offset valid across each
interval, and then kept in a bounded cache. `add`, `elapsed` and `is_open` are then a couple of
bisections inside one block, plus one cached total per further block crossed: a 3,000-hour add
costs about what an 8-hour add does, and less than whole-week arithmetic would, since no day or
week is walked at all once its block is cached.
"""

from __future__ import annotations

import datetime
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from typing import NamedTuple, Protocol, runtime_checkable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_package

__all__ = [
    "BusinessCalendar",
    "Calendar",
    "ClosedDay",
    "WallClockCalendar",
    "us_federal_holiday_names",
    "us_federal_holidays",
]

_UTC = datetime.UTC
_timedelta = datetime.timedelta
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=_UTC)
_MICROSECOND = datetime.timedelta(microseconds=1)
_DAY_US = 86_400_000_000
_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()
_BLOCK_BITS = 45
_BLOCK_US = 1 << _BLOCK_BITS
# Past these blocks a result could not be represented as a datetime at all.
_FIRST_BLOCK = ((datetime.datetime.min.replace(tzinfo=_UTC) - _EPOCH) // _MICROSECOND) >> _BLOCK_BITS
_LAST_BLOCK = ((datetime.datetime.max.replace(tzinfo=_UTC) - _EPOCH) // _MICROSECOND) >> _BLOCK_BITS
# 64 blocks cover about 70 years, far beyond any live SLA window, in a few hundred kilobytes.
_MAX_CACHED_BLOCKS = 64

HOLIDAY = "holiday"
NON_WORKING_DAY = "non-working day"


class ClosedDay(NamedTuple):
    """A local date on which a calendar never opens, and why."""

    day: datetime.date
    reason: str  # HOLIDAY or NON_WORKING_DAY


@runtime_checkable
class Calendar(Protocol):
    """What an SLA target needs from a calendar; `kind` says which one it is ("business" or "24/7")."""

    kind: str
    tz: str

    def add(self, start: datetime.datetime, delta: datetime.timedelta) -> datetime.datetime:
        """Return the earliest moment after `start` at which `delta` of open time has elapsed."""
        ...

    def elapsed(self, start: datetime.datetime, end: datetime.datetime) -> datetime.timedelta:
        """Return the open time inside [start, end), negated when end is before start."""
        ...

    def is_open(self, moment: datetime.datetime) -> bool:
        """Return whether the calendar is open at `moment`."""
        ...

    def closed_time(self, start: datetime.datetime, end: datetime.datetime) -> datetime.timedelta:
        """Return the real time inside [start, end) during which the calendar is closed."""
        ...

    def closed_days(self, start: datetime.datetime, end: datetime.datetime) -> list[ClosedDay]:
        """Return the local dates touched by [start, end) on which the calendar never opens."""
        ...


def us_federal_holidays(years: int | Iterable[int]) -> set[datetime.date]:
    """Return the US federal holidays of `years`, both the dates themselves and their observed days."""
    # An observed day belongs to the year it falls in: New Year's Day 2022 (a Saturday) is observed
    # on Friday 2021-12-31, which comes with year 2021, not 2022.
    wanted = [years] if isinstance(years, int) else list(years)
    return set(holidays_package.country_holidays("US", years=wanted, observed=True))


def us_federal_holiday_names(years: int | Iterable[int]) -> dict[datetime.date, str]:
    """The US federal holidays of `years` by day, with their names ('Thanksgiving Day', '... (observed)')."""
    wanted = [years] if isinstance(years, int) else list(years)
    return dict(holidays_package.country_holidays("US", years=wanted, observed=True))


def _aware(value: object, name: str) -> datetime.datetime:
    """Return `value` if it is an aware datetime, else raise ValueError."""
    if not isinstance(value, datetime.datetime) or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {value!r}.")
    return value


def _zone(tz: str) -> ZoneInfo:
    """Return the ZoneInfo named `tz`, raising ValueError for an unknown or malformed name."""
    if not isinstance(tz, str) or not tz:
        raise ValueError(f"tz must be an IANA time zone name, got {tz!r}.")
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"Unknown time zone {tz!r}.") from exc


def _utc_us(moment: datetime.datetime) -> int:
    """Return an aware datetime as integer microseconds since the Unix epoch."""
    return (moment - _EPOCH) // _MICROSECOND


class BusinessCalendar:
    """Working hours `[opens, closes)` on `weekdays` (Monday is 0), closed on `holidays`, in zone `tz`."""

    kind: str = "business"

    def __init__(
        self,
        tz: str,
        opens: datetime.time,
        closes: datetime.time,
        weekdays: Iterable[int] = range(5),
        holidays: Iterable[datetime.date] = (),
    ) -> None:
        self.tz = tz
        self.zone = _zone(tz)
        for name, value in (("opens", opens), ("closes", closes)):
            if not isinstance(value, datetime.time) or value.tzinfo is not None:
                raise ValueError(f"{name} must be a naive datetime.time, got {value!r}.")
        if not opens < closes:
            raise ValueError(f"opens ({opens}) must be earlier than closes ({closes}).")
        # The documented fold=0 reading applies whatever fold the caller's time objects carry.
        self.opens = opens.replace(fold=0)
        self.closes = closes.replace(fold=0)
        days = frozenset(weekdays)
        if not days or not all(type(day) is int and 0 <= day <= 6 for day in days):
            raise ValueError(f"weekdays must be a non-empty collection of integers 0..6, got {weekdays!r}.")
        self.weekdays = days
        closures = frozenset(holidays)
        for day in closures:
            # A datetime is a date too, but would never match a date in a set lookup.
            if not isinstance(day, datetime.date) or isinstance(day, datetime.datetime):
                raise ValueError(f"holidays must be datetime.date objects, got {day!r}.")
        self.holidays = closures
        self._local_epoch = datetime.datetime(1970, 1, 1, tzinfo=self.zone)
        self._blocks: dict[int, tuple[list[int], list[int], list[int], list[int | None], int]] = {}
        self._totals: dict[int, int] = {}

    def __repr__(self) -> str:
        days = ",".join(str(day) for day in sorted(self.weekdays))
        return (
            f"<BusinessCalendar {self.tz} {self.opens:%H:%M}-{self.closes:%H:%M} "
            f"weekdays={days} holidays={len(self.holidays)}>"
        )

    def add(self, start: datetime.datetime, delta: datetime.timedelta) -> datetime.datetime:
        """Return the earliest moment t >= start with elapsed(start, t) == delta, in the calendar's zone."""
        try:
            t = (start - _EPOCH) // _MICROSECOND
        except TypeError:
            raise ValueError(f"start must be an aware datetime, got {start!r}.") from None
        remaining = delta // _MICROSECOND
        if remaining <= 0:
            if remaining == 0:
                return start.astimezone(self.zone)
            raise ValueError(f"delta must not be negative, got {delta!r}.")
        block = t >> _BLOCK_BITS
        starts, ends, cum_ends, offsets, total = self._blocks.get(block) or self._block(block)
        i = bisect_right(starts, t) - 1
        end = ends[i]
        # Open time from the block's start to `start`, plus the delta: the target on this block's clock.
        target = cum_ends[i] + remaining - (end - t if t < end else 0)
        while target > total:
            target -= total
            block += 1
            if block > _LAST_BLOCK:
                raise OverflowError(f"{start!r} + {delta!r} of open time is past datetime.max.")
            starts, ends, cum_ends, offsets, total = self._blocks.get(block) or self._block(block)
        j = bisect_left(cum_ends, target)
        result = ends[j] - cum_ends[j] + target
        offset = offsets[j]
        if offset is not None:
            return self._local_epoch + _timedelta(0, 0, result + offset)
        return (_EPOCH + _timedelta(0, 0, result)).astimezone(self.zone)

    def elapsed(self, start: datetime.datetime, end: datetime.datetime) -> datetime.timedelta:
        """Return the open time inside [start, end), or minus that of [end, start) when end < start."""
        try:
            a = (start - _EPOCH) // _MICROSECOND
            b = (end - _EPOCH) // _MICROSECOND
        except TypeError:
            raise ValueError(f"start and end must be aware datetimes, got {start!r} and {end!r}.") from None
        if b < a:
            return -self._open_us(b, a)
        return self._open_us(a, b)

    def is_open(self, moment: datetime.datetime) -> bool:
        """Return whether `moment` falls inside open hours (a closing time itself is closed)."""
        try:
            t = (moment - _EPOCH) // _MICROSECOND
        except TypeError:
            raise ValueError(f"moment must be an aware datetime, got {moment!r}.") from None
        block = t >> _BLOCK_BITS
        starts, ends, _, _, _ = self._blocks.get(block) or self._block(block)
        return t < ends[bisect_right(starts, t) - 1]

    def closed_time(self, start: datetime.datetime, end: datetime.datetime) -> datetime.timedelta:
        """Return the closed real time inside [start, end), negated like `elapsed` when end < start."""
        real = _utc_us(_aware(end, "end")) - _utc_us(_aware(start, "start"))
        return datetime.timedelta(microseconds=real) - self.elapsed(start, end)

    def closed_days(self, start: datetime.datetime, end: datetime.datetime) -> list[ClosedDay]:
        """Return the local dates touched by [start, end) (either order) on which the calendar never opens."""
        a, b = sorted((_utc_us(_aware(start, "start")), _utc_us(_aware(end, "end"))))
        if a == b:
            return []
        first = (_EPOCH + _timedelta(0, 0, a)).astimezone(self.zone).date()
        # [a, b) excludes b itself, so an end at local midnight does not touch that date.
        last = (_EPOCH + _timedelta(0, 0, b - 1)).astimezone(self.zone).date()
        days = []
        for ordinal in range(first.toordinal(), last.toordinal() + 1):
            day = datetime.date.fromordinal(ordinal)
            if day in self.holidays:
                days.append(ClosedDay(day, HOLIDAY))
            elif day.weekday() not in self.weekdays:
                days.append(ClosedDay(day, NON_WORKING_DAY))
        return days

    def _open_us(self, a: int, b: int) -> datetime.timedelta:
        """Return the open time between epoch microseconds a <= b."""
        block_a, block_b = a >> _BLOCK_BITS, b >> _BLOCK_BITS
        before_a = self._open_in_block_before(block_a, a)
        before_b = self._open_in_block_before(block_b, b)
        if block_a == block_b:
            return _timedelta(0, 0, before_b - before_a)
        between = sum(self._total(block) for block in range(block_a, block_b))
        return _timedelta(0, 0, between - before_a + before_b)

    def _open_in_block_before(self, block: int, t: int) -> int:
        """Return the open microseconds from the start of `block` up to instant t inside it."""
        starts, ends, cum_ends, _, _ = self._blocks.get(block) or self._block(block)
        i = bisect_right(starts, t) - 1
        end = ends[i]
        return cum_ends[i] - (end - t if t < end else 0)

    def _total(self, block: int) -> int:
        """Return the open microseconds in `block`, which outlive the evicted block details."""
        total = self._totals.get(block)
        if total is None:
            total = self._block(block)[4]
        return total

    def _block(self, block: int) -> tuple[list[int], list[int], list[int], list[int | None], int]:
        """Compute and cache the open intervals of one block of the UTC timeline."""
        if not _FIRST_BLOCK <= block <= _LAST_BLOCK:
            raise OverflowError("The moment is outside the datetime range.")
        lo = block << _BLOCK_BITS
        hi = lo + _BLOCK_US
        # A local date's hours lie within a day either side of its UTC date, whatever the offset.
        first = max(_EPOCH_ORDINAL + lo // _DAY_US - 2, datetime.date.min.toordinal())
        last = min(_EPOCH_ORDINAL + hi // _DAY_US + 2, datetime.date.max.toordinal())
        # A sentinel empty interval at the block's start lets every bisection land on an index >= 0.
        starts, ends, cum_ends, offsets = [lo], [lo], [0], [None]
        total = 0
        for s, e in self._merged_intervals(first, last):
            s, e = max(s, lo), min(e, hi)
            if s >= e:
                continue
            total += e - s
            starts.append(s)
            ends.append(e)
            cum_ends.append(total)
            offsets.append(self._uniform_offset(s, e))
        entry = (starts, ends, cum_ends, offsets, total)
        if len(self._blocks) >= _MAX_CACHED_BLOCKS:
            # Oldest first; the default keeps a concurrent eviction from raising StopIteration.
            self._blocks.pop(next(iter(self._blocks), None), None)
        self._blocks[block] = entry
        # Unbounded, but the whole datetime range is only about 7,200 blocks of one int each.
        self._totals[block] = total
        return entry

    def _merged_intervals(self, first: int, last: int) -> list[tuple[int, int]]:
        """Return the open intervals of local date ordinals first..last, overlaps merged, sorted."""
        zone, opens, closes = self.zone, self.opens, self.closes
        weekdays, closures = self.weekdays, self.holidays
        intervals = []
        for ordinal in range(first, last + 1):
            day = datetime.date.fromordinal(ordinal)
            if day.weekday() not in weekdays or day in closures:
                continue
            try:
                s = _utc_us(datetime.datetime.combine(day, opens, tzinfo=zone))
                e = _utc_us(datetime.datetime.combine(day, closes, tzinfo=zone))
            except OverflowError:  # the first and last dates of the datetime range
                continue
            if s < e:
                intervals.append((s, e))
        # A zone that jumps across the date line (Pacific/Apia skipped 2011-12-30) can make two
        # dates' hours overlap: the calendar is open once, for their union.
        intervals.sort()
        merged: list[tuple[int, int]] = []
        for s, e in intervals:
            if merged and s <= merged[-1][1]:
                if e > merged[-1][1]:
                    merged[-1] = (merged[-1][0], e)
            else:
                merged.append((s, e))
        return merged

    def _uniform_offset(self, s: int, e: int) -> int | None:
        """Return the zone's UTC offset in microseconds if it is the same from s to e, else None."""
        # tzdata never changes a zone's offset twice within four days (the closest pair, Freetown
        # 1939, is 344,400 s apart), so equal offsets at both ends of an interval (a day's hours,
        # at most two days' when merged) mean no change inside it, and local wall time is plain
        # addition there. When the offset is uniform, an ambiguous wall time inside the interval
        # is its first occurrence, which is what fold=0 on the result means.
        try:
            offset_s = (_EPOCH + _timedelta(0, 0, s)).astimezone(self.zone).utcoffset()
            offset_e = (_EPOCH + _timedelta(0, 0, e)).astimezone(self.zone).utcoffset()
        except OverflowError:
            return None
        if offset_s != offset_e:
            return None
        return offset_s // _MICROSECOND


class WallClockCalendar:
    """Round-the-clock (24/7) calendar: open time is real elapsed time; results are shown in zone `tz`."""

    kind: str = "24/7"

    def __init__(self, tz: str = "UTC") -> None:
        self.tz = tz
        self.zone = _zone(tz)

    def __repr__(self) -> str:
        return f"<WallClockCalendar {self.tz}>"

    def add(self, start: datetime.datetime, delta: datetime.timedelta) -> datetime.datetime:
        """Return start + delta in real time, in the calendar's zone."""
        _aware(start, "start")
        if delta < datetime.timedelta(0):
            raise ValueError(f"delta must not be negative, got {delta!r}.")
        # Going through UTC keeps the sum real time: aware + timedelta is wall-clock arithmetic.
        return (start.astimezone(_UTC) + delta).astimezone(self.zone)

    def elapsed(self, start: datetime.datetime, end: datetime.datetime) -> datetime.timedelta:
        """Return end - start in real time (negative when end is before start)."""
        _aware(start, "start")
        _aware(end, "end")
        # Two datetimes sharing a tzinfo subtract as wall-clock times; UTC makes it real time.
        return end.astimezone(_UTC) - start.astimezone(_UTC)

    def is_open(self, moment: datetime.datetime) -> bool:
        """Return True: the calendar never closes."""
        _aware(moment, "moment")
        return True

    def closed_time(self, start: datetime.datetime, end: datetime.datetime) -> datetime.timedelta:
        """Return zero: the calendar never closes."""
        _aware(start, "start")
        _aware(end, "end")
        return datetime.timedelta(0)

    def closed_days(self, start: datetime.datetime, end: datetime.datetime) -> list[ClosedDay]:
        """Return no days: the calendar never closes."""
        _aware(start, "start")
        _aware(end, "end")
        return []
