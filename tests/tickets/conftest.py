import datetime as dt
import zoneinfo

PT = zoneinfo.ZoneInfo("America/Los_Angeles")
TERM_START = dt.date(2026, 8, 19)
TERM_END = dt.date(2027, 8, 18)


def pt(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PT)
