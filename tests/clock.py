"""The moments and contract terms the tests share (a module of its own: nothing imports from a conftest)."""

import datetime as dt
import zoneinfo

PT = zoneinfo.ZoneInfo("America/Los_Angeles")
# The tests' "today": Friday after Thanksgiving 2026, noon in Pacific time.
TODAY = dt.date(2026, 11, 27)
NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=PT)
# A contract term around TODAY; its first contract year runs 19 Aug 2026 to 18 Aug 2027.
TERM_START = dt.date(2026, 8, 19)
TERM_END = dt.date(2027, 8, 18)
PASSWORD = "a-long-test-password-1"


def pt(*args) -> dt.datetime:
    """A moment in Pacific time: pt(2026, 12, 1, 8, 0)."""
    return dt.datetime(*args, tzinfo=PT)
