"""Benchmark tickets.business_hours against businesstimedelta on the same random cases.

Run: .venv/bin/python bench/business_hours.py [--cases N] [--compare N] [--seed N]

The calendar is the support calendar's shape: America/Los_Angeles, 06:00-18:00 Monday to Friday,
closed on US federal holidays (observed dates). Starts are uniform over 2024-2028 with random
microseconds, one in twenty moved exactly onto that day's opening or closing time; add deltas
are log-uniform from one second to 3,000 hours; elapsed spans are log-uniform from one minute to
a year. Our figures are the best of five passes over all the cases with a warm cache (the cold
first pass is printed too). businesstimedelta walks one working period per loop and is slow, so it
runs once on the first --compare cases and its calls/s is extrapolated from those.

Where businesstimedelta 1.0.1 differs from us by design (none of it arises in the random cases,
whose deltas are at least a second and whose hours avoid the 01:00-03:00 clock changes; the bench
prints one example of each of the first three):

* A zero delta from a closed moment gives the next opening; ours gives the start itself.
* `Rule.difference` rebuilds its result from hours and whole seconds, dropping microseconds, so
  elapsed times are compared to the whole second.
* It localizes wall times with pytz's `is_dst=False`, so an ambiguous opening time means its second
  occurrence: 01:00-05:00 on 2026-11-01 in Los Angeles is 4 hours to it, 5 to us (fold=0).
* `HolidayRule` raises TypeError when it finds no holiday within five years of a date, so its
  holiday list must run five years past the last date it will see.
"""

from __future__ import annotations

import argparse
import datetime
import math
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import businesstimedelta  # noqa: E402
import pytz  # noqa: E402

from tickets.business_hours import BusinessCalendar, us_federal_holidays  # noqa: E402

TZ = "America/Los_Angeles"
OPENS, CLOSES = datetime.time(6), datetime.time(18)
FIRST_YEAR, LAST_YEAR = 2024, 2028
US = datetime.timedelta(microseconds=1)
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
TARGET_ADD_PER_S = 300_000
TARGET_SPEEDUP = 50
REPEATS = 5


def utc_us(moment: datetime.datetime) -> int:
    """Return an aware datetime as epoch microseconds, so instants compare whatever their tzinfo."""
    return (moment - EPOCH) // US


def log_uniform_us(rng: random.Random, low: datetime.timedelta, high: datetime.timedelta) -> datetime.timedelta:
    """Return a duration drawn log-uniformly between low and high, to the microsecond."""
    exponent = rng.uniform(math.log(low / US), math.log(high / US))
    return datetime.timedelta(microseconds=round(math.exp(exponent)))


def make_cases(
    count: int, seed: int
) -> tuple[list[datetime.datetime], list[datetime.timedelta], list[datetime.datetime]]:
    """Return random starts, add deltas and elapsed ends, all reproducible from `seed`."""
    rng = random.Random(seed)
    zone = ZoneInfo(TZ)
    # Arithmetic in UTC: an aware datetime plus a timedelta is wall-clock arithmetic.
    first = datetime.datetime(FIRST_YEAR, 1, 1, tzinfo=zone).astimezone(datetime.UTC)
    span_us = utc_us(datetime.datetime(LAST_YEAR + 1, 1, 1, tzinfo=zone)) - utc_us(first)
    starts, deltas, ends = [], [], []
    for _ in range(count):
        start = first + rng.randrange(span_us) * US
        if rng.random() < 0.05:
            # Some starts exactly on an opening or closing, where off-by-one answers show.
            local = start.astimezone(zone)
            start = datetime.datetime.combine(local.date(), rng.choice((OPENS, CLOSES)), tzinfo=zone)
            start = start.astimezone(datetime.UTC)
        starts.append(start.astimezone(zone))
        deltas.append(log_uniform_us(rng, datetime.timedelta(seconds=1), datetime.timedelta(hours=3000)))
        span = log_uniform_us(rng, datetime.timedelta(minutes=1), datetime.timedelta(days=365))
        ends.append((start + span).astimezone(zone))
    return starts, deltas, ends


def timed(run: Callable[[], object], repeats: int) -> tuple[float, object]:
    """Return the best wall time of `repeats` runs of `run` (least disturbed by other load), and a result."""
    times, result = [], None
    for _ in range(repeats):
        began = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - began)
    return min(times), result


def run_adds(calendar_add: Callable, starts: Sequence, deltas: Sequence) -> list[datetime.datetime]:
    """Return calendar_add(start, delta) for every case, in a loop as plain as a caller's."""
    results = []
    append = results.append
    for start, delta in zip(starts, deltas, strict=True):
        append(calendar_add(start, delta))
    return results


def run_elapsed(calendar_elapsed: Callable, starts: Sequence, ends: Sequence) -> list[datetime.timedelta]:
    """Return calendar_elapsed(start, end) for every case."""
    results = []
    append = results.append
    for start, end in zip(starts, ends, strict=True):
        append(calendar_elapsed(start, end))
    return results


def print_quirks(calendar: BusinessCalendar, rules: businesstimedelta.Rules, bt_zone: pytz.BaseTzInfo) -> None:
    """Print one example of each known businesstimedelta difference, none of which the random cases reach."""
    zone = calendar.zone
    saturday = datetime.datetime(2026, 4, 11, 10, tzinfo=zone)
    theirs = saturday + businesstimedelta.BusinessTimeDelta(rules, timedelta=datetime.timedelta(0))
    print("businesstimedelta quirks (outside the random cases):")
    print(
        f"  add({saturday.isoformat()}, 0): ours {calendar.add(saturday, datetime.timedelta(0)).isoformat()}, "
        f"theirs {theirs.isoformat()}"
    )
    start = datetime.datetime(2026, 4, 13, 7, tzinfo=zone)
    end = start + datetime.timedelta(microseconds=999_999)
    print(
        f"  elapsed({start.isoformat()}, +999999us): ours {calendar.elapsed(start, end)}, "
        f"theirs {rules.difference(start, end).timedelta}"
    )
    night = BusinessCalendar(TZ, datetime.time(1), datetime.time(5), weekdays=range(7))
    night_rules = businesstimedelta.Rules(
        [businesstimedelta.WorkDayRule(datetime.time(1), datetime.time(5), list(range(7)), tz=bt_zone)]
    )
    midnight = datetime.datetime(2026, 11, 1, tzinfo=zone)
    morning = datetime.datetime(2026, 11, 1, 6, tzinfo=zone)
    print(
        f"  01:00-05:00 open time on 2026-11-01 (clocks go back): ours {night.elapsed(midnight, morning)}, "
        f"theirs {night_rules.difference(midnight, morning).timedelta}"
    )


def main() -> None:
    """Print throughput, the comparison with businesstimedelta and the long/short add cost ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000, help="random cases for our calendar")
    parser.add_argument("--compare", type=int, default=5_000, help="cases also run through businesstimedelta")
    parser.add_argument("--elapsed-compare", type=int, default=1_000, help="elapsed cases for businesstimedelta")
    parser.add_argument("--seed", type=int, default=20260308)
    args = parser.parse_args()
    compare = min(args.compare, args.cases)
    elapsed_compare = min(args.elapsed_compare, args.cases)

    # Holidays run past the last start: long deltas reach into later years, and businesstimedelta's
    # HolidayRule crashes when it finds no holiday within five years of a date.
    holiday_days = us_federal_holidays(range(FIRST_YEAR - 1, LAST_YEAR + 8))
    calendar = BusinessCalendar(TZ, OPENS, CLOSES, weekdays=range(5), holidays=holiday_days)
    starts, deltas, ends = make_cases(args.cases, args.seed)
    print(f"cases: {args.cases} (seed {args.seed}), {TZ} {OPENS:%H:%M}-{CLOSES:%H:%M} Mon-Fri, US holidays")

    cold, _ = timed(lambda: run_adds(calendar.add, starts, deltas), repeats=1)
    add_time, ours = timed(lambda: run_adds(calendar.add, starts, deltas), repeats=REPEATS)
    elapsed_time, our_elapsed = timed(lambda: run_elapsed(calendar.elapsed, starts, ends), repeats=REPEATS)
    add_rate = args.cases / add_time
    elapsed_rate = args.cases / elapsed_time
    print(f"add (cold cache, first pass): {args.cases / cold:,.0f} calls/s")
    print(f"add: {add_rate:,.0f} calls/s (best of {REPEATS} passes; target {TARGET_ADD_PER_S:,})")
    print(f"elapsed: {elapsed_rate:,.0f} calls/s (best of {REPEATS} passes)")

    bt_zone = pytz.timezone(TZ)
    rules = businesstimedelta.Rules(
        [
            businesstimedelta.WorkDayRule(start_time=OPENS, end_time=CLOSES, working_days=[0, 1, 2, 3, 4], tz=bt_zone),
            businesstimedelta.HolidayRule(holiday_days, tz=bt_zone),
        ]
    )
    bt_deltas = [businesstimedelta.BusinessTimeDelta(rules, timedelta=delta) for delta in deltas[:compare]]
    bt_add_time, bt_results = timed(
        lambda: [start + bt_delta for start, bt_delta in zip(starts, bt_deltas, strict=False)], repeats=1
    )
    bt_add_rate = compare / bt_add_time
    print(f"businesstimedelta add: {bt_add_rate:,.0f} calls/s (on the first {compare} cases, extrapolated)")
    print(f"add speed ratio: {add_rate / bt_add_rate:,.1f}x (target {TARGET_SPEEDUP}x)")
    disagreements = [
        (start, delta, mine, theirs)
        for start, delta, mine, theirs in zip(starts, deltas, ours, bt_results, strict=False)
        if utc_us(mine) != utc_us(theirs)
    ]
    print(f"add agreement: {compare - len(disagreements)} agree, {len(disagreements)} disagree")
    for start, delta, mine, theirs in disagreements[:5]:
        print(f"  add({start.isoformat()}, {delta}): ours {mine.isoformat()}, theirs {theirs.isoformat()}")

    bt_elapsed_time, bt_elapsed = timed(
        lambda: [
            rules.difference(start, end).timedelta for start, end in zip(starts, ends[:elapsed_compare], strict=False)
        ],
        repeats=1,
    )
    bt_elapsed_rate = elapsed_compare / bt_elapsed_time
    print(
        f"businesstimedelta elapsed: {bt_elapsed_rate:,.0f} calls/s "
        f"(on the first {elapsed_compare} cases, extrapolated)"
    )
    print(f"elapsed speed ratio: {elapsed_rate / bt_elapsed_rate:,.1f}x")
    # businesstimedelta builds its difference from hours and whole seconds, dropping microseconds.
    second = datetime.timedelta(seconds=1)
    elapsed_disagreements = [
        (start, end, mine, theirs)
        for start, end, mine, theirs in zip(starts, ends, our_elapsed, bt_elapsed, strict=False)
        if (mine // second) * second != theirs
    ]
    print(
        f"elapsed agreement (to the whole second): {elapsed_compare - len(elapsed_disagreements)} agree, "
        f"{len(elapsed_disagreements)} disagree"
    )
    for start, end, mine, theirs in elapsed_disagreements[:5]:
        print(f"  elapsed({start.isoformat()}, {end.isoformat()}): ours {mine}, theirs {theirs}")

    print_quirks(calendar, rules, bt_zone)

    sample = starts[:20_000]
    short_time, _ = timed(lambda: run_adds(calendar.add, sample, [datetime.timedelta(hours=8)] * len(sample)), REPEATS)
    long_time, _ = timed(
        lambda: run_adds(calendar.add, sample, [datetime.timedelta(hours=3000)] * len(sample)), REPEATS
    )
    print(f"add(8h): {len(sample) / short_time:,.0f} calls/s; add(3000h): {len(sample) / long_time:,.0f} calls/s")
    print(f"cost ratio add(3000h) / add(8h): {long_time / short_time:.2f} (limit 3)")


if __name__ == "__main__":
    main()
