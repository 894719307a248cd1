"""Reports: rollups kept with each ticket change (rollups.py), the figures read from them (figures.py) and the
charts drawn from the figures (charts.py)."""
