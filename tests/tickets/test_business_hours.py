"""Exact and property tests for tickets.business_hours; pure Python, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tickets.business_hours import (
    HOLIDAY,
    NON_WORKING_DAY,
    BusinessCalendar,
    Calendar,
    ClosedDay,
    WallClockCalendar,
    us_federal_holidays,
)

LA = ZoneInfo("America/Los_Angeles")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US = timedelta(microseconds=1)
HOUR = timedelta(hours=1)

SUPPORT_HOLIDAYS = us_federal_holidays(range(2020, 2032))
SUPPORT = BusinessCalendar("America/Los_Angeles", time(6), time(18), holidays=SUPPORT_HOLIDAYS)
# Open every night across the 01:00-03:00 window in which Los Angeles changes its clocks.
NIGHT = BusinessCalendar("America/Los_Angeles", time(1), time(5), weekdays=range(7))
WALL = WallClockCalendar("America/Los_Angeles")

DST_DAYS = [date(2026, 3, 8), date(2026, 11, 1), date(2027, 3, 14), date(2027, 11, 7)]
PROPERTY_SETTINGS = settings(
    max_examples=150,
    deadline=None,
)


def la(*fields: int, fold: int = 0) -> datetime:
    """Return an aware Los Angeles datetime."""
    return datetime(*fields, tzinfo=LA, fold=fold)


def utc_us(moment: datetime) -> int:
    """Return epoch microseconds, comparing instants without PEP 495's interzone quirks."""
    return (moment - EPOCH) // US


def from_us(value: int, zone: ZoneInfo | type[UTC] = UTC) -> datetime:
    """Return the instant `value` epoch microseconds, shown in `zone`."""
    return (EPOCH + timedelta(microseconds=value)).astimezone(zone)


def microsecond_before(moment: datetime) -> datetime:
    """Return the instant one real microsecond earlier (aware minus timedelta is wall-clock arithmetic)."""
    return from_us(utc_us(moment) - 1, LA)


def reference_open_us(calendar: BusinessCalendar, a: int, b: int) -> int:
    """Return the open microseconds in [a, b) by summing every local day, the slow obvious way."""
    zone = calendar.zone
    day = from_us(a, zone).date() - timedelta(days=1)
    last = from_us(b, zone).date() + timedelta(days=1)
    total = 0
    while day <= last:
        if day.weekday() in calendar.weekdays and day not in calendar.holidays:
            opens = utc_us(datetime.combine(day, calendar.opens, tzinfo=zone))
            closes = utc_us(datetime.combine(day, calendar.closes, tzinfo=zone))
            total += max(0, min(closes, b) - max(opens, a))
        day += timedelta(days=1)
    return total


ZONES = st.sampled_from([LA, UTC, ZoneInfo("Asia/Kolkata")])
UNIFORM_MOMENTS = st.builds(
    from_us,
    st.integers(utc_us(datetime(2025, 1, 1, tzinfo=UTC)), utc_us(datetime(2029, 1, 1, tzinfo=UTC))),
    ZONES,
)
# Openings, closings and clock changes, give or take a couple of microseconds, are where bugs live.
EDGE_MOMENTS = st.builds(
    lambda day, wall, fold, nudge, zone: from_us(
        utc_us(datetime.combine(day, wall.replace(fold=fold), tzinfo=LA)) + nudge, zone
    ),
    st.one_of(st.sampled_from(DST_DAYS), st.dates(date(2025, 1, 1), date(2028, 12, 31))),
    st.sampled_from([time(0), time(1), time(1, 30), time(2), time(2, 30), time(3), time(5), time(6), time(18)]),
    st.integers(0, 1),
    st.integers(-2, 2),
    ZONES,
)
MOMENTS = st.one_of(UNIFORM_MOMENTS, EDGE_MOMENTS)
DELTAS = st.one_of(
    st.integers(0, 3),
    st.integers(0, 100 * 3_600_000_000),
    st.integers(0, 4_000 * 3_600_000_000),
    st.sampled_from([1_800_000_000, 3_600_000_000, 4 * 3_600_000_000, 12 * 3_600_000_000]),
).map(lambda value: value * US)
CALENDARS = pytest.mark.parametrize("calendar", [SUPPORT, NIGHT], ids=["support", "night"])


# Properties


@CALENDARS
@PROPERTY_SETTINGS
@given(start=MOMENTS, delta=DELTAS)
def test_add_then_elapsed_gives_back_the_delta(calendar: BusinessCalendar, start: datetime, delta: timedelta):
    result = calendar.add(start, delta)

    assert calendar.elapsed(start, result) == delta
    assert utc_us(result) >= utc_us(start)
    if delta:
        # Earliest: one microsecond sooner, the delta is not yet used up.
        assert calendar.elapsed(start, microsecond_before(result)) == delta - US


@CALENDARS
@PROPERTY_SETTINGS
@given(start=MOMENTS, delta=DELTAS)
def test_add_lands_in_open_hours_or_exactly_on_a_closing_time(
    calendar: BusinessCalendar, start: datetime, delta: timedelta
):
    result = calendar.add(start, delta + US)
    local = result.astimezone(LA)

    if not calendar.is_open(result):
        assert calendar.is_open(microsecond_before(result))
        assert local.time() == calendar.closes
        assert local.weekday() in calendar.weekdays
        assert local.date() not in calendar.holidays


@CALENDARS
@PROPERTY_SETTINGS
@given(start=MOMENTS, delta=DELTAS)
def test_add_result_is_canonical_in_the_calendar_zone(calendar: BusinessCalendar, start: datetime, delta: timedelta):
    result = calendar.add(start, delta)
    canonical = from_us(utc_us(result), LA)

    assert result.tzinfo is LA
    assert (result.replace(tzinfo=None), result.fold) == (canonical.replace(tzinfo=None), canonical.fold)
    assert result.utcoffset() == canonical.utcoffset()


@CALENDARS
@PROPERTY_SETTINGS
@given(first=MOMENTS, second=MOMENTS, delta=DELTAS)
def test_add_is_monotonic_in_start(calendar: BusinessCalendar, first: datetime, second: datetime, delta: timedelta):
    early, late = sorted((first, second), key=utc_us)

    assert utc_us(calendar.add(early, delta)) <= utc_us(calendar.add(late, delta))


@CALENDARS
@PROPERTY_SETTINGS
@given(start=MOMENTS, first=DELTAS, second=DELTAS)
def test_add_is_monotonic_in_delta(calendar: BusinessCalendar, start: datetime, first: timedelta, second: timedelta):
    small, large = sorted((first, second))

    assert utc_us(calendar.add(start, small)) <= utc_us(calendar.add(start, large))


@CALENDARS
@PROPERTY_SETTINGS
@given(start=MOMENTS, fraction=st.floats(0, 1))
def test_closed_span_holds_no_open_time(calendar: BusinessCalendar, start: datetime, fraction: float):
    # add(start, 1 us) - 1 us is the next opening, or start itself when already open.
    reopens = microsecond_before(calendar.add(start, US))
    inside = from_us(utc_us(start) + int((utc_us(reopens) - utc_us(start)) * fraction))

    assert calendar.is_open(start) is (utc_us(reopens) == utc_us(start))
    assert calendar.elapsed(start, reopens) == timedelta(0)
    assert calendar.elapsed(start, inside) == timedelta(0)
    assert not calendar.is_open(inside) or utc_us(inside) == utc_us(reopens)


@CALENDARS
@PROPERTY_SETTINGS
@given(day=st.one_of(st.sampled_from(DST_DAYS), st.dates(date(2025, 1, 1), date(2028, 12, 31))))
def test_closed_days_have_no_open_time_and_working_days_have_some(calendar: BusinessCalendar, day: date):
    midnight = datetime.combine(day, time(0), tzinfo=LA)
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=LA)
    closed = calendar.closed_days(midnight, next_midnight)

    if closed:
        assert [closed_day.day for closed_day in closed] == [day]
        assert calendar.elapsed(midnight, next_midnight) == timedelta(0)
    else:
        assert calendar.elapsed(midnight, next_midnight) > timedelta(0)


@CALENDARS
@PROPERTY_SETTINGS
@given(a=MOMENTS, b=MOMENTS, c=MOMENTS)
def test_elapsed_is_additive(calendar: BusinessCalendar, a: datetime, b: datetime, c: datetime):
    assert calendar.elapsed(a, c) == calendar.elapsed(a, b) + calendar.elapsed(b, c)


@CALENDARS
@PROPERTY_SETTINGS
@given(a=MOMENTS, b=MOMENTS)
def test_elapsed_is_antisymmetric_and_matches_day_by_day_sum(calendar: BusinessCalendar, a: datetime, b: datetime):
    early, late = sorted((utc_us(a), utc_us(b)))
    expected = timedelta(microseconds=reference_open_us(calendar, early, late))

    assert calendar.elapsed(a, b) == -calendar.elapsed(b, a)
    assert abs(calendar.elapsed(a, b)) == expected
    assert calendar.closed_time(a, b) == timedelta(microseconds=utc_us(b) - utc_us(a)) - calendar.elapsed(a, b)
    assert abs(calendar.closed_time(a, b)) == timedelta(microseconds=late - early) - expected


@CALENDARS
@PROPERTY_SETTINGS
@given(moment=MOMENTS)
def test_is_open_matches_the_working_day_hours(calendar: BusinessCalendar, moment: datetime):
    t = utc_us(moment)

    assert calendar.is_open(moment) is (reference_open_us(calendar, t, t + 1) == 1)


@PROPERTY_SETTINGS
@given(start=MOMENTS, delta=DELTAS, end=MOMENTS)
def test_wall_clock_add_and_elapsed_are_real_time(start: datetime, delta: timedelta, end: datetime):
    result = WALL.add(start, delta)

    assert utc_us(result) == utc_us(start) + delta // US
    assert WALL.elapsed(start, result) == delta
    assert WALL.elapsed(start, end) == timedelta(microseconds=utc_us(end) - utc_us(start))
    assert result.tzinfo is LA


# Named cases: the support calendar, Los Angeles 06:00-18:00 Monday to Friday with US holidays


def test_friday_17_00_plus_8_hours_is_monday_13_00():
    assert SUPPORT.add(la(2026, 4, 10, 17), 8 * HOUR).isoformat() == "2026-04-13T13:00:00-07:00"


def test_saturday_plus_1_hour_is_monday_07_00():
    assert SUPPORT.add(la(2026, 4, 11, 10), HOUR).isoformat() == "2026-04-13T07:00:00-07:00"


def test_results_are_in_the_calendar_zone_whatever_the_start_zone():
    result = SUPPORT.add(datetime(2026, 4, 13, 20, tzinfo=UTC), HOUR)

    assert result.tzinfo is LA
    assert result.isoformat() == "2026-04-13T14:00:00-07:00"


@pytest.mark.parametrize(
    ("friday", "monday", "monday_offset"),
    [
        (date(2026, 3, 6), date(2026, 3, 9), "-07:00"),
        (date(2026, 10, 30), date(2026, 11, 2), "-08:00"),
        (date(2027, 3, 12), date(2027, 3, 15), "-07:00"),
        (date(2027, 11, 5), date(2027, 11, 8), "-08:00"),
    ],
)
def test_daylight_saving_weekends_keep_twelve_hour_days(friday: date, monday: date, monday_offset: str):
    friday_17 = datetime.combine(friday, time(17), tzinfo=LA)
    friday_noon = datetime.combine(friday, time(12), tzinfo=LA)
    monday_noon = datetime.combine(monday, time(12), tzinfo=LA)

    assert SUPPORT.add(friday_17, 2 * HOUR).isoformat() == f"{monday}T07:00:00{monday_offset}"
    assert SUPPORT.elapsed(friday_noon, monday_noon) == 12 * HOUR
    assert SUPPORT.closed_days(friday_noon, monday_noon) == [
        ClosedDay(friday + timedelta(days=1), NON_WORKING_DAY),
        ClosedDay(friday + timedelta(days=2), NON_WORKING_DAY),
    ]


@pytest.mark.parametrize("day", DST_DAYS)
def test_a_06_to_18_day_is_twelve_real_hours_on_a_clock_change_sunday(day: date):
    every_day = BusinessCalendar("America/Los_Angeles", time(6), time(18), weekdays=range(7))
    midnight = datetime.combine(day, time(0), tzinfo=LA)

    assert every_day.elapsed(midnight, midnight + timedelta(days=1)) == 12 * HOUR


@pytest.mark.parametrize(
    ("day", "hours"),
    [
        (date(2026, 3, 7), 4),
        (date(2026, 3, 8), 3),
        (date(2026, 11, 1), 5),
        (date(2027, 3, 14), 3),
        (date(2027, 11, 7), 5),
    ],
)
def test_open_hours_containing_the_clock_change_are_shorter_or_longer_in_real_time(day: date, hours: int):
    for calendar in (NIGHT, BusinessCalendar("America/Los_Angeles", time(0), time(4), weekdays=range(7))):
        start = datetime.combine(day, time(0), tzinfo=LA)
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=LA)

        assert calendar.elapsed(start, end) == hours * HOUR


def test_spring_forward_night_skips_the_missing_hour():
    assert NIGHT.add(la(2026, 3, 8, 1), HOUR).isoformat() == "2026-03-08T03:00:00-07:00"
    assert NIGHT.add(la(2026, 3, 8, 0), 3 * HOUR).isoformat() == "2026-03-08T05:00:00-07:00"
    assert NIGHT.add(la(2026, 3, 8, 0), 3 * HOUR + US).isoformat() == "2026-03-09T01:00:00.000001-07:00"
    assert NIGHT.add(la(2027, 3, 14, 4), HOUR).isoformat() == "2027-03-14T05:00:00-07:00"
    assert NIGHT.add(la(2027, 3, 14, 4), HOUR + US).isoformat() == "2027-03-15T01:00:00.000001-07:00"


def test_fall_back_night_counts_the_repeated_hour_once_each_time():
    # Opens at 01:00 PDT; an hour later the clocks read 01:00 again, now PST.
    first_pass = NIGHT.add(la(2026, 11, 1, 0), timedelta(minutes=30))
    second_pass = NIGHT.add(la(2026, 11, 1, 0), timedelta(minutes=90))

    assert first_pass.isoformat() == "2026-11-01T01:30:00-07:00"
    assert (first_pass.fold, second_pass.fold) == (0, 1)
    assert second_pass.isoformat() == "2026-11-01T01:30:00-08:00"
    assert NIGHT.add(la(2026, 11, 1, 0), 5 * HOUR).isoformat() == "2026-11-01T05:00:00-08:00"
    assert NIGHT.is_open(la(2026, 11, 1, 1, 30, fold=1))
    assert NIGHT.elapsed(la(2026, 11, 1, 1, 30), la(2026, 11, 1, 1, 30, fold=1)) == HOUR
    assert NIGHT.add(la(2027, 11, 7, 1), 2 * HOUR).isoformat() == "2027-11-07T02:00:00-08:00"


def test_open_and_close_times_inside_the_missing_hour_read_with_fold_0():
    # 02:30 does not exist on 2026-03-08; fold=0 reads it with the offset before the jump: 03:30 PDT.
    from_gap = BusinessCalendar("America/Los_Angeles", time(2, 30), time(4), weekdays=range(7))
    into_gap = BusinessCalendar("America/Los_Angeles", time(2), time(3), weekdays=range(7))
    midnight = la(2026, 3, 8, 0)
    next_midnight = la(2026, 3, 9, 0)

    assert from_gap.elapsed(midnight, next_midnight) == timedelta(minutes=30)
    assert from_gap.add(midnight, US).isoformat() == "2026-03-08T03:30:00.000001-07:00"
    # 02:00 PST and 03:00 PDT are the same instant, so that day has no open time at all.
    assert into_gap.elapsed(midnight, next_midnight) == timedelta(0)
    assert into_gap.add(midnight, HOUR).isoformat() == "2026-03-09T03:00:00-07:00"


def test_thanksgiving_is_closed():
    assert SUPPORT.add(la(2026, 11, 25, 17), 2 * HOUR).isoformat() == "2026-11-27T07:00:00-08:00"
    assert SUPPORT.elapsed(la(2026, 11, 26, 0), la(2026, 11, 27, 0)) == timedelta(0)


def test_a_closure_added_the_day_after_thanksgiving_is_closed_too():
    calendar = BusinessCalendar(
        "America/Los_Angeles", time(6), time(18), holidays=SUPPORT_HOLIDAYS | {date(2026, 11, 27)}
    )

    assert calendar.add(la(2026, 11, 25, 17), 2 * HOUR).isoformat() == "2026-11-30T07:00:00-08:00"
    assert calendar.closed_days(la(2026, 11, 25, 17), la(2026, 11, 30, 7)) == [
        ClosedDay(date(2026, 11, 26), HOLIDAY),
        ClosedDay(date(2026, 11, 27), HOLIDAY),
        ClosedDay(date(2026, 11, 28), NON_WORKING_DAY),
        ClosedDay(date(2026, 11, 29), NON_WORKING_DAY),
    ]
    # Wednesday 17:00 to Monday 07:00 is 110 real hours, two of them open.
    assert calendar.closed_time(la(2026, 11, 25, 17), la(2026, 11, 30, 7)) == 108 * HOUR


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        # Christmas 2027 is a Saturday: observed Friday 2027-12-24.
        (la(2027, 12, 23, 17), "2027-12-27T07:00:00-08:00"),
        # New Year 2028 is a Saturday: observed Friday 2027-12-31.
        (la(2027, 12, 30, 17), "2028-01-03T07:00:00-08:00"),
        # Christmas 2022 is a Sunday: observed Monday 2022-12-26.
        (la(2022, 12, 23, 17), "2022-12-27T07:00:00-08:00"),
        # New Year 2022 is a Saturday: observed Friday 2021-12-31.
        (la(2021, 12, 30, 17), "2022-01-03T07:00:00-08:00"),
    ],
)
def test_weekend_christmas_and_new_year_close_the_observed_day(start: datetime, expected: str):
    assert SUPPORT.add(start, 2 * HOUR).isoformat() == expected


def test_us_federal_holidays_include_observed_days_in_the_year_they_fall():
    h2021, h2022 = us_federal_holidays([2021]), us_federal_holidays([2022])
    h2027, h2028 = us_federal_holidays([2027]), us_federal_holidays([2028])

    assert {date(2021, 12, 24), date(2021, 12, 31), date(2021, 7, 5)} <= h2021
    assert date(2021, 12, 31) not in h2022
    assert date(2022, 12, 26) in h2022
    assert {date(2027, 12, 24), date(2027, 12, 31), date(2027, 11, 25)} <= h2027
    assert date(2027, 12, 31) not in h2028
    assert date(2026, 11, 26) in us_federal_holidays([2026])
    assert date(2026, 11, 27) not in us_federal_holidays([2026])
    assert len(us_federal_holidays([2026])) == 12
    assert us_federal_holidays(range(2021, 2023)) == h2021 | h2022
    assert us_federal_holidays(2027) == h2027


def test_start_exactly_at_opening():
    assert SUPPORT.add(la(2026, 4, 13, 6), timedelta(0)).isoformat() == "2026-04-13T06:00:00-07:00"
    assert SUPPORT.add(la(2026, 4, 13, 6), US).isoformat() == "2026-04-13T06:00:00.000001-07:00"
    assert SUPPORT.add(la(2026, 4, 13, 6), 12 * HOUR).isoformat() == "2026-04-13T18:00:00-07:00"
    assert SUPPORT.is_open(la(2026, 4, 13, 6))
    assert not SUPPORT.is_open(la(2026, 4, 13, 5, 59, 59, 999999))


def test_start_exactly_at_closing():
    assert SUPPORT.add(la(2026, 4, 13, 18), timedelta(0)).isoformat() == "2026-04-13T18:00:00-07:00"
    assert SUPPORT.add(la(2026, 4, 13, 18), US).isoformat() == "2026-04-14T06:00:00.000001-07:00"
    assert SUPPORT.add(la(2026, 4, 13, 18), 12 * HOUR).isoformat() == "2026-04-14T18:00:00-07:00"
    assert not SUPPORT.is_open(la(2026, 4, 13, 18))


def test_start_one_microsecond_before_closing():
    start = la(2026, 4, 13, 17, 59, 59, 999999)

    assert SUPPORT.is_open(start)
    assert SUPPORT.add(start, US).isoformat() == "2026-04-13T18:00:00-07:00"
    assert SUPPORT.add(start, 2 * US).isoformat() == "2026-04-14T06:00:00.000001-07:00"
    assert SUPPORT.elapsed(start, la(2026, 4, 14, 12)) == 6 * HOUR + US


def test_delta_zero_returns_start_itself_even_when_closed():
    saturday = datetime(2026, 4, 11, 17, tzinfo=UTC)
    result = SUPPORT.add(saturday, timedelta(0))

    assert result.isoformat() == "2026-04-11T10:00:00-07:00"
    assert result.tzinfo is LA


def test_twelve_hours_is_one_working_day():
    assert SUPPORT.add(la(2026, 4, 13, 12), 12 * HOUR).isoformat() == "2026-04-14T12:00:00-07:00"
    assert SUPPORT.add(la(2026, 4, 17, 12), 12 * HOUR).isoformat() == "2026-04-20T12:00:00-07:00"


def test_three_thousand_hours_is_250_working_days():
    # Counted by hand from the holiday list: the 250th working day from 2026-01-05 is 2027-01-04.
    start = la(2026, 1, 5, 6)
    result = SUPPORT.add(start, 3000 * HOUR)

    assert result.isoformat() == "2027-01-04T18:00:00-08:00"
    assert SUPPORT.elapsed(start, result) == 3000 * HOUR
    assert SUPPORT.add(la(2026, 4, 10, 17), 3000 * HOUR).isoformat() == "2027-04-12T17:00:00-07:00"


def test_elapsed_is_negative_when_end_is_before_start():
    assert SUPPORT.elapsed(la(2026, 4, 14, 7), la(2026, 4, 13, 17)) == -2 * HOUR
    assert SUPPORT.elapsed(la(2026, 4, 13, 17), la(2026, 4, 13, 17)) == timedelta(0)


def test_spans_over_a_century_stay_exact_with_a_bounded_cache():
    calendar = BusinessCalendar("America/Los_Angeles", time(6), time(18))
    decades = [la(year, 1, 1) for year in range(1950, 2061, 10)]
    pieces = [calendar.elapsed(a, b) for a, b in zip(decades, decades[1:], strict=False)]

    assert calendar.elapsed(decades[0], decades[-1]) == sum(pieces, timedelta(0))
    # 1950-01-01 to 2060-01-01 holds 28,696 weekdays of twelve hours each.
    assert calendar.elapsed(decades[0], decades[-1]) == 28_698 * 12 * HOUR
    assert calendar.add(decades[0], 28_698 * 12 * HOUR).isoformat() == "2059-12-31T18:00:00-08:00"
    assert len(calendar._blocks) <= 64


def test_every_working_day_from_2000_to_2040_opens_and_closes_on_time():
    # A sweep crosses every cache block edge in those years, where an off-by-one would hide.
    day, checked = date(2000, 1, 3), 0
    while day < date(2040, 1, 1):
        if day.weekday() < 5 and day not in SUPPORT_HOLIDAYS:
            opening = datetime.combine(day, time(6), tzinfo=LA)
            closing = SUPPORT.add(opening, 12 * HOUR)
            assert (closing.date(), closing.time()) == (day, time(18))
            assert SUPPORT.elapsed(opening, closing) == 12 * HOUR
            assert SUPPORT.add(closing, US).time() == time(6, 0, 0, 1)
            checked += 1
        day += timedelta(days=1)
    assert checked == 10_304


def test_hours_of_a_date_skipped_across_the_date_line_count_once():
    # Samoa skipped 2011-12-30; read with fold=0 its hours are those of 2011-12-31.
    apia = ZoneInfo("Pacific/Apia")
    calendar = BusinessCalendar("Pacific/Apia", time(9), time(17), weekdays=range(7))
    start, end = datetime(2011, 12, 29, tzinfo=apia), datetime(2012, 1, 1, tzinfo=apia)

    assert calendar.elapsed(start, end) == 16 * HOUR
    assert calendar.add(datetime(2011, 12, 29, 16, tzinfo=apia), 2 * HOUR).isoformat() == "2011-12-31T10:00:00+14:00"


def test_closed_days_and_closed_time_explain_a_deadline():
    start, end = la(2027, 12, 23, 17), la(2027, 12, 27, 7)

    assert SUPPORT.closed_days(start, end) == [
        ClosedDay(date(2027, 12, 24), HOLIDAY),
        ClosedDay(date(2027, 12, 25), HOLIDAY),
        ClosedDay(date(2027, 12, 26), NON_WORKING_DAY),
    ]
    assert SUPPORT.closed_days(end, start) == SUPPORT.closed_days(start, end)
    assert SUPPORT.closed_days(la(2027, 12, 23, 17), la(2027, 12, 24, 0)) == []
    # Local midnight in the calendar's zone, given in UTC, still ends before that date.
    assert SUPPORT.closed_days(la(2027, 12, 23, 17), datetime(2027, 12, 25, 8, tzinfo=UTC)) == [
        ClosedDay(date(2027, 12, 24), HOLIDAY)
    ]
    # Thursday 17:00 to Monday 07:00 is 86 real hours, two of them open.
    assert SUPPORT.closed_time(start, end) == 84 * HOUR
    assert SUPPORT.closed_time(end, start) == -84 * HOUR


def test_naive_datetimes_are_refused():
    naive = datetime(2026, 4, 13, 12)  # noqa: DTZ001
    aware = la(2026, 4, 13, 12)

    for calendar in (SUPPORT, WALL):
        with pytest.raises(ValueError, match="must be an aware datetime"):
            calendar.add(naive, HOUR)
        with pytest.raises(ValueError, match="must be aware datetimes|must be an aware datetime"):
            calendar.elapsed(naive, aware)
        with pytest.raises(ValueError, match="must be aware datetimes|must be an aware datetime"):
            calendar.elapsed(aware, naive)
        with pytest.raises(ValueError, match="must be an aware datetime"):
            calendar.is_open(naive)
        with pytest.raises(ValueError, match="must be an aware datetime"):
            calendar.closed_days(naive, aware)
    with pytest.raises(ValueError, match="must be an aware datetime"):
        SUPPORT.add(date(2026, 4, 13), HOUR)


def test_negative_delta_is_refused():
    for calendar in (SUPPORT, WALL):
        with pytest.raises(ValueError, match="delta must not be negative"):
            calendar.add(la(2026, 4, 13, 12), -US)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tz": "Mars/Olympus_Mons"}, "Unknown time zone"),
        ({"tz": ""}, "IANA time zone name"),
        ({"opens": time(18), "closes": time(6)}, "must be earlier than closes"),
        ({"opens": time(9), "closes": time(9)}, "must be earlier than closes"),
        ({"opens": time(9, tzinfo=UTC)}, "naive datetime.time"),
        ({"weekdays": []}, "non-empty collection of integers 0..6"),
        ({"weekdays": [0, 7]}, "non-empty collection of integers 0..6"),
        ({"weekdays": [-1]}, "non-empty collection of integers 0..6"),
        ({"holidays": [datetime(2026, 1, 1, tzinfo=UTC)]}, "must be datetime.date objects"),
    ],
)
def test_constructor_refuses_bad_arguments(kwargs: dict, message: str):
    arguments = {"tz": "America/Los_Angeles", "opens": time(6), "closes": time(18)} | kwargs

    with pytest.raises(ValueError, match=message):
        BusinessCalendar(**arguments)


def test_calendars_say_which_kind_they_are():
    assert isinstance(SUPPORT, Calendar)
    assert isinstance(WALL, Calendar)
    assert (SUPPORT.kind, WALL.kind) == ("business", "24/7")
    assert (SUPPORT.tz, WALL.tz, WallClockCalendar().tz) == ("America/Los_Angeles", "America/Los_Angeles", "UTC")
    with pytest.raises(ValueError, match="Unknown time zone"):
        WallClockCalendar("Nowhere/Special")


# Named cases: the 24/7 calendar


def test_wall_clock_add_is_real_time_across_clock_changes():
    assert WALL.add(la(2026, 3, 8, 1, 30), HOUR).isoformat() == "2026-03-08T03:30:00-07:00"
    assert WALL.add(la(2026, 11, 1, 1, 30), HOUR).isoformat() == "2026-11-01T01:30:00-08:00"
    assert WALL.elapsed(la(2026, 11, 1, 0), la(2026, 11, 1, 3)) == 4 * HOUR
    assert WALL.elapsed(la(2027, 3, 14, 0), la(2027, 3, 14, 3)) == 2 * HOUR
    assert WALL.elapsed(la(2026, 11, 1, 3), la(2026, 11, 1, 0)) == -4 * HOUR


def test_wall_clock_named_deltas():
    friday = la(2026, 4, 10, 17)

    assert WALL.add(friday, 8 * HOUR).isoformat() == "2026-04-11T01:00:00-07:00"
    assert WALL.add(friday, timedelta(0)).isoformat() == "2026-04-10T17:00:00-07:00"
    assert WALL.add(friday, US).isoformat() == "2026-04-10T17:00:00.000001-07:00"
    assert WALL.add(friday, 12 * HOUR).isoformat() == "2026-04-11T05:00:00-07:00"
    assert WALL.add(friday, 3000 * HOUR).isoformat() == "2026-08-13T17:00:00-07:00"
    assert WallClockCalendar().add(friday, HOUR).isoformat() == "2026-04-11T01:00:00+00:00"


def test_wall_clock_never_closes():
    assert WALL.is_open(la(2026, 11, 26, 3))
    assert WALL.closed_days(la(2026, 11, 25), la(2026, 11, 30)) == []
    assert WALL.closed_time(la(2026, 11, 25), la(2026, 11, 30)) == timedelta(0)
