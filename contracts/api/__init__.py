"""REST API of contracts: /api/v1/contracts/ and /api/v1/engagements/.

- `contract`: contracts and engagements.
"""

from contracts.api import contract
from contracts.api.contract import OrganizationRefSerializer

__all__ = ["OrganizationRefSerializer", "register"]


def register(router) -> None:
    contract.register(router)
