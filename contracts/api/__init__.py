"""REST API of contracts.

- `contract`: /api/v1/contracts/ and /api/v1/engagements/.
- `changes`: /api/v1/change-requests/.
- `quotes`: /api/v1/quotes/.
- `plans`: /api/v1/engagements/{id}/milestones/.
"""

from contracts.api import changes, contract, plans, quotes
from contracts.api.contract import OrganizationRefSerializer

__all__ = ["OrganizationRefSerializer", "register"]


def register(router) -> None:
    contract.register(router)
    changes.register(router)
    quotes.register(router)
    plans.register(router)
