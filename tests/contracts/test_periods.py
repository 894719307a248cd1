import datetime as dt

import pytest

from contracts.periods import anniversary, contract_year, contract_years, prorated_minutes

D = dt.date


def test_anniversary_of_29_february_is_28_february_in_common_years():
    assert anniversary(D(2024, 2, 29), 1) == D(2025, 2, 28)
    assert anniversary(D(2024, 2, 29), 4) == D(2028, 2, 29)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2024, 2, 29), (0, D(2024, 2, 29), D(2025, 2, 27))),
        (D(2025, 2, 27), (0, D(2024, 2, 29), D(2025, 2, 27))),
        (D(2025, 2, 28), (1, D(2025, 2, 28), D(2026, 2, 27))),
        (D(2027, 3, 1), (3, D(2027, 2, 28), D(2028, 2, 28))),
        (D(2028, 2, 29), (4, D(2028, 2, 29), D(2028, 12, 31))),
    ],
)
def test_contract_years_from_29_february(day, expected):
    year = contract_year(D(2024, 2, 29), D(2028, 12, 31), day)
    assert (year.index, year.start, year.end) == expected


def test_day_before_and_day_of_an_anniversary():
    start, end = D(2026, 8, 19), D(2028, 8, 18)
    before = contract_year(start, end, D(2027, 8, 18))
    on = contract_year(start, end, D(2027, 8, 19))
    assert (before.index, before.start, before.end) == (0, D(2026, 8, 19), D(2027, 8, 18))
    assert (on.index, on.start, on.end) == (1, D(2027, 8, 19), D(2028, 8, 18))


def test_outside_the_term_there_is_no_contract_year():
    assert contract_year(D(2026, 1, 1), D(2026, 12, 31), D(2025, 12, 31)) is None
    assert contract_year(D(2026, 1, 1), D(2026, 12, 31), D(2027, 1, 1)) is None


def test_a_term_shorter_than_a_year_is_one_short_period_with_prorated_hours():
    start, end = D(2026, 1, 1), D(2026, 6, 30)
    years = contract_years(start, end)
    assert [(y.start, y.end) for y in years] == [(D(2026, 1, 1), D(2026, 6, 30))]
    # 181 of 365 days of 40 hours (2,400 minutes): rounded down to the whole minute.
    assert prorated_minutes(2400, start, years[0]) == 2400 * 181 // 365 == 1190


def test_a_term_with_a_stub_year_prorates_only_the_stub():
    start, end = D(2026, 3, 1), D(2027, 8, 31)
    years = contract_years(start, end)
    assert [(y.start, y.end) for y in years] == [(D(2026, 3, 1), D(2027, 2, 28)), (D(2027, 3, 1), D(2027, 8, 31))]
    assert prorated_minutes(1200, start, years[0]) == 1200
    # The second year would have run to 2028-02-29: 366 days, of which the term keeps 184.
    assert prorated_minutes(1200, start, years[1]) == 1200 * 184 // 366 == 603
