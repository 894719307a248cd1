# One way to write dates across the portal: "Fri 27 Nov 2026", "Fri 27 Nov 2026, 14:45 PST".
DATE_FORMAT = "D d M Y"
SHORT_DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "D d M Y, H:i T"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"
FIRST_DAY_OF_WEEK = 1  # Monday, as the support calendar counts
