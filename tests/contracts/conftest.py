import datetime

TODAY = datetime.date(2026, 11, 27)
TERM_START = datetime.date(2026, 8, 19)
TERM_END = datetime.date(2027, 8, 18)
