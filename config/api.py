"""What every API answer shares: one error body, and a schema that documents it on every operation."""

import re

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.encoding import smart_str
from drf_spectacular.openapi import AutoSchema
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from portal.models import Organization
from portal.refusals import Refusal

ERROR_STATUSES = {
    "400": "The request is not valid: `code` says why, `errors` names the fields.",
    "401": "No valid credentials were sent.",
    "403": "The caller may not do this.",
    "404": "Not found, or not visible to the caller.",
    "429": "Too many requests; retry later.",
}


SLUG = re.compile(r"[-a-zA-Z0-9_]{1,200}")


class SlugRefField(serializers.SlugRelatedField):
    """A related object by its slug; a value that cannot be a slug (a NUL byte, say) is refused before any query."""

    def to_internal_value(self, data):
        if not isinstance(data, str) or not SLUG.fullmatch(data):
            self.fail("does_not_exist", slug_name=self.slug_field, value=smart_str(data)[:100])
        return super().to_internal_value(data)


def visible_organizations(request):
    """The organizations the caller may name in a filter or a body: staff any, a customer their own.

    Another organization's id and an id that does not exist are refused alike, so nobody can probe ids.
    """
    return Organization.objects.visible_to(getattr(request, "user", None))


class ErrorSerializer(serializers.Serializer):
    """The body of every error: a machine-readable code, a sentence for people, and per-field messages."""

    code = serializers.CharField(help_text="e.g. invalid, not_found, permission_denied, allotment_exhausted")
    detail = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.JSONField(), required=False, help_text="Per-field messages of a validation error."
    )


def _first_code(codes) -> str:
    if isinstance(codes, str):
        return codes
    if isinstance(codes, dict):
        for value in codes.values():
            return _first_code(value)
    if isinstance(codes, list) and codes:
        return _first_code(codes[0])
    return "error"


def exception_handler(exc, context):
    """DRF's handler, with every error body shaped as {code, detail[, errors]}.

    A service's `Refusal` answers with its own code and status; Django's ValidationError (a model's
    `full_clean()`) is a 400 like any invalid input; Django's PermissionDenied a 403.
    """
    if isinstance(exc, Refusal):
        return Response(exc.as_body(), status=exc.status)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        errors = data if isinstance(data, dict) else {"non_field_errors": data}
        response.data = {"code": "invalid", "detail": _summary(errors), "errors": errors}
    else:
        detail = data.get("detail", data) if isinstance(data, dict) else data
        response.data = {"code": _code_of(exc), "detail": str(detail)}
    return response


def _code_of(exc) -> str:
    if isinstance(exc, Http404):
        return "not_found"
    if isinstance(exc, DjangoPermissionDenied):
        return "permission_denied"
    return _first_code(exc.get_codes()) if hasattr(exc, "get_codes") else "error"


def _summary(errors: dict) -> str:
    for field, messages in errors.items():
        message = messages[0] if isinstance(messages, list) and messages else messages
        if isinstance(message, dict):
            return "Some fields are not valid."
        return str(message) if field == "non_field_errors" else f"{field}: {message}"
    return "The request is not valid."


class PortalAutoSchema(AutoSchema):
    """Documents the error answers that any operation can give, with the shared error body."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction=direction)
        for status_code, description in ERROR_STATUSES.items():
            if status_code not in responses:
                responses[status_code] = self._get_response_for_code(ErrorSerializer, status_code, direction=direction)
                responses[status_code]["description"] = description
        return responses
