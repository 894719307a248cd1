"""Contract pages.

- `contract`: accounts, contracts, engagements' forms and a customer's contract page.
- `changes`: comparing support levels and asking for a change; the account manager's answer.
- `quotes`: quotes for connectors outside the contract.
- `plans`: an engagement's page and plan.
"""
