"""The error pages: inside the portal's layout, saying what happened and what to do; JSON under /api/."""

import logging

from django.contrib.auth.models import AnonymousUser
from django.http import JsonResponse
from django.shortcuts import render
from django.template import loader

from portal import roles

logger = logging.getLogger(__name__)

API_ERRORS = {
    400: ("bad_request", "Bad request."),
    403: ("forbidden", "You do not have permission to perform this action."),
    404: ("not_found", "Not found."),
    500: ("server_error", "Something went wrong on our side."),
}


def _signed_out_if_unknown(request) -> None:
    """A request refused before the authentication middleware ran (a NUL byte, too many files) has no user yet."""
    if not hasattr(request, "user"):
        request.user = AnonymousUser()


def _api(request, status: int):
    _signed_out_if_unknown(request)
    if request.path.startswith("/api/"):
        code, detail = API_ERRORS[status]
        return JsonResponse({"code": code, "detail": detail}, status=status)
    return None


def bad_request(request, exception=None):
    return _api(request, 400) or render(request, "400.html", status=400)


def permission_denied(request, exception=None):
    """403: the reason (our refusals are sentences meant for people) and, for a member, who their admins are."""
    answer = _api(request, 403)
    if answer:
        return answer
    user = request.user
    reason = str(exception or "").strip()
    admins = []
    if roles.is_customer(user) and not roles.is_organization_admin(user):
        admins = list(user.organization.admins().order_by("full_name", "email"))
    context = {"reason": reason, "admins": admins}
    return render(request, "403.html", context, status=403)


def not_found(request, exception=None):
    """A 404 in the API's own error body for /api/ paths; the portal's page everywhere else."""
    return _api(request, 404) or render(request, "404.html", {"path": request.path}, status=404)


def server_error(request):
    """500 inside the layout; if even the layout fails (the database is down, say), the page without it."""
    answer = _api(request, 500)
    if answer:
        return answer
    try:
        return render(request, "500.html", status=500)
    except Exception:  # noqa: BLE001 - the error page must answer whatever broke
        logger.exception("The 500 page could not use the layout")
        from django.http import HttpResponseServerError

        return HttpResponseServerError(loader.get_template("500_bare.html").render())
