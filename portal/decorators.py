"""View decorators for the roles in portal.roles: sign-in first, then 403 for anyone the rule leaves out."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from portal import roles


def role_required(predicate):
    """Signed-in users for whom `predicate(user)` holds; others are sent to sign in, or refused with 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not predicate(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


staff_required = role_required(roles.is_support_staff)

# The refusal a member reads on a page for their organization's admins (the 403 page names the admins).
ADMIN_ONLY = "Only your organization's administrators open this page."


def require(allowed: bool) -> None:
    """Refuses the request with 403 unless `allowed`: for checks that need an object the view has loaded."""
    if not allowed:
        raise PermissionDenied
