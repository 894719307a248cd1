from django.conf import settings

from portal import roles
from portal.navigation import nav_for


def portal(request) -> dict:
    user = request.user
    return {
        "nav_items": nav_for(user),
        "current_organization": user.organization if user.is_authenticated else None,
        "is_support_staff": roles.is_support_staff(user),
        "is_account_manager": roles.may_edit_contracts(user),
        "support_email": settings.SUPPORT_EMAIL,
    }
