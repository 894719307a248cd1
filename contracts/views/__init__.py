"""Contract pages.

- `contract`: accounts, contracts, engagements' forms and a customer's contract page.
"""
