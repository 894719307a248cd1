"""The API's authentication: a session or a token, and, with MFA_REQUIRED_FOR_STAFF, staff enrolled in MFA.

Pages send staff without an authenticator to enrol (portal.middleware.StaffMFARequiredMiddleware); the API answers
them 403 with the code `mfa_required`. A token of such staff must also be newer than their authenticator: a token
made before enrolment was made without the second factor.
"""

import drf_spectacular.authentication
from django.conf import settings
from rest_framework import authentication, exceptions

from portal.roles import is_support_staff


class MFARequired(exceptions.PermissionDenied):
    default_detail = (
        "Staff must enrol an authenticator (two-factor authentication) before using the API: sign in to the portal."
    )
    default_code = "mfa_required"


class TokenMadeBeforeMFA(exceptions.PermissionDenied):
    default_detail = "This token was created before you enrolled an authenticator: create a new token."
    default_code = "token_before_mfa"


def _enrolled_at(user):
    """When the staff member enrolled their TOTP authenticator, or None."""
    from allauth.mfa.models import Authenticator

    return (
        Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )


def _mfa_applies(user) -> bool:
    return bool(settings.MFA_REQUIRED_FOR_STAFF) and user is not None and is_support_staff(user)


class SessionAuthentication(authentication.SessionAuthentication):
    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and _mfa_applies(result[0]) and _enrolled_at(result[0]) is None:
            raise MFARequired()
        return result


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if _mfa_applies(user):
            enrolled = _enrolled_at(user)
            if enrolled is None:
                raise MFARequired()
            if token.created < enrolled:
                raise TokenMadeBeforeMFA()
        return user, token


class SessionScheme(drf_spectacular.authentication.SessionScheme):
    """The OpenAPI schema describes our session authentication as DRF's (spectacular matches no subclass of it)."""

    target_class = "config.authentication.SessionAuthentication"
