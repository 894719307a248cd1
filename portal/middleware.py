from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from portal.clock import zone_of
from portal.roles import is_support_staff
from portal.text import size_text


class UserTimezoneMiddleware:
    """Shows every date in the signed-in user's own time zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            return self.get_response(request)  # the API speaks UTC, whoever asks
        user = getattr(request, "user", None)
        timezone.activate(zone_of(user if user is not None and user.is_authenticated else None))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class StaffMFARequiredMiddleware:
    """With MFA_REQUIRED_FOR_STAFF on, staff must enrol an authenticator before anything else."""

    EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz", "/api/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            settings.MFA_REQUIRED_FOR_STAFF
            and request.user.is_authenticated
            and not request.path.startswith(self.EXEMPT_PREFIXES)
            and is_support_staff(request.user)
            and not _has_totp(request.user)
        ):
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)


def _has_totp(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class HostileInputMiddleware:
    """Input no page or endpoint can use answers 400 or 413 with a clear message, before any view runs.

    A NUL character in the path, the query string or a form field (PostgreSQL cannot store or compare it), and a form
    or upload body over REQUEST_MAX_BYTES. The number of files in one request is Django's DATA_UPLOAD_MAX_NUMBER_FILES
    (over it: 400). Raw bodies (inbound email, Slack, JSON) are left to their endpoints, which have their own limits.
    """

    FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem = self._problem(request)
        if problem is not None:
            status, message = problem
            if request.path.startswith("/api/") or request.path.startswith("/integrations/"):
                return JsonResponse({"code": "bad_input", "detail": message}, status=status)
            return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    def _problem(self, request) -> tuple[int, str] | None:
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
            return 400, "The address contains a NUL character, which no field accepts."
        if any("\x00" in key or "\x00" in value for key, values in request.GET.lists() for value in values):
            return 400, "The address contains a NUL character, which no field accepts."
        if request.method in ("POST", "PUT", "PATCH") and request.content_type in self.FORM_TYPES:
            declared = request.META.get("CONTENT_LENGTH") or "0"
            limit = settings.REQUEST_MAX_BYTES
            if declared.isascii() and declared.isdigit() and int(declared) > limit:
                return (
                    413,
                    f"The request is {size_text(int(declared))}, over the {size_text(limit)} limit for one submission.",
                )
            for key, values in request.POST.lists():
                if "\x00" in key or any("\x00" in value for value in values):
                    return 400, "A field contains a NUL character, which no field accepts."
        return None
