from django.conf import settings

from portal import clock, roles
from portal.navigation import nav_for

COVERAGE_KEY = "coverage"


def coverage_remember(request, entitlements) -> None:
    """Keeps the customer's coverage in their session for the footer (pages that read the entitlements call it:
    the dashboard and the contract page), so the footer costs no query; it holds for the support day it was read."""
    if entitlements.premium:
        coverage = "premium"
    elif entitlements.tier:
        coverage = entitlements.tier
    else:
        coverage = "none"
    value = {"day": clock.support_today().isoformat(), "coverage": coverage}
    if request.session.get(COVERAGE_KEY) != value:  # a session write only when it changes
        request.session[COVERAGE_KEY] = value


def _coverage(request) -> str:
    stored = request.session.get(COVERAGE_KEY) if hasattr(request, "session") else None
    if not stored or stored.get("day") != clock.support_today().isoformat():
        return ""
    return stored.get("coverage", "")


def portal(request) -> dict:
    user = request.user
    customer = roles.is_customer(user)
    return {
        "nav_items": nav_for(user),
        "current_organization": user.organization if customer else None,  # staff: no query for a membership
        "is_support_staff": roles.is_support_staff(user),
        "is_account_manager": roles.may_edit_contracts(user),
        "support_email": settings.SUPPORT_EMAIL,
        "coverage": _coverage(request) if customer else "",
    }
