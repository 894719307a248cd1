"""Contract years: periods that run from the term start's anniversaries, cut at the term's end."""

import calendar
import datetime
from dataclasses import dataclass


def anniversary(start: datetime.date, years: int) -> datetime.date:
    """`start` moved by whole years; 29 February becomes 28 February in common years."""
    year = start.year + years
    day = min(start.day, calendar.monthrange(year, start.month)[1])
    return start.replace(year=year, day=day)


@dataclass(frozen=True)
class ContractYear:
    index: int  # 0 for the first contract year
    start: datetime.date  # first day, inclusive
    end: datetime.date  # last day, inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __contains__(self, day: datetime.date) -> bool:
        return self.start <= day <= self.end


def contract_year(term_start: datetime.date, term_end: datetime.date, day: datetime.date) -> ContractYear | None:
    """The contract year containing `day`, or None when the day is outside the term."""
    if not term_start <= day <= term_end:
        return None
    index = day.year - term_start.year
    # The guess can be one too high (before this year's anniversary); never too low.
    if anniversary(term_start, index) > day:
        index -= 1
    start = anniversary(term_start, index)
    end = min(anniversary(term_start, index + 1) - datetime.timedelta(days=1), term_end)
    return ContractYear(index=index, start=start, end=end)


def contract_years(term_start: datetime.date, term_end: datetime.date) -> list[ContractYear]:
    years = []
    day = term_start
    while day <= term_end:
        year = contract_year(term_start, term_end, day)
        years.append(year)
        day = year.end + datetime.timedelta(days=1)
    return years


def full_year_days(term_start: datetime.date, year: ContractYear) -> int:
    """Length of the contract year had the term not cut it short."""
    return (anniversary(term_start, year.index + 1) - anniversary(term_start, year.index)).days


def prorated_minutes(yearly_minutes: int, term_start: datetime.date, year: ContractYear) -> int:
    """The allotment of a (possibly short) contract year: whole minutes, rounded down, never a float."""
    full = full_year_days(term_start, year)
    if year.days >= full:
        return yearly_minutes
    return yearly_minutes * year.days // full
