"""Shared pieces of the REST API: one error shape for every refusal, row-id fields."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import error_code
from core.forms import ROW_ID_MAX
from core.ratelimit import RateLimited


class ErrorOutput(serializers.Serializer):
    """Every 4xx answer: a sentence for people, a code for programs, per-field messages."""

    detail = serializers.CharField()
    code = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.JSONField(), required=False, help_text="Messages per field."
    )


class RowIdField(serializers.IntegerField):
    """A row id in a body: a positive 64-bit number, so a larger one is a 400, not a 500."""

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=ROW_ID_MAX, **kwargs)


def _flatten(messages) -> list[str]:
    if isinstance(messages, dict):
        return [text for value in messages.values() for text in _flatten(value)]
    if isinstance(messages, list | tuple):
        return [text for value in messages for text in _flatten(value)]
    return [str(messages)]


def _first_code(codes) -> str:
    if isinstance(codes, dict):
        codes = list(codes.values())
    if isinstance(codes, list | tuple):
        return _first_code(codes[0]) if codes else "invalid"
    return str(codes)


def exception_handler(exc, context):
    """Every refusal as {"detail", "code"} (and "errors" per field for bad input): a
    service's ValidationError is a 400 (429 when rate-limited), its PermissionDenied a 403
    with its reason."""
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        status_code = (
            status.HTTP_429_TOO_MANY_REQUESTS
            if isinstance(exc, RateLimited)
            else status.HTTP_400_BAD_REQUEST
        )
        return Response(
            {"detail": " ".join(_flatten(errors)), "code": error_code(exc), "errors": errors},
            status=status_code,
        )
    if isinstance(exc, DjangoPermissionDenied) and getattr(exc, "code", None):
        # A service's refusal names its reason; DRF would only say "permission denied".
        return Response(
            {"detail": str(getattr(exc, "message", exc)), "code": exc.code},
            status=status.HTTP_403_FORBIDDEN,
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, DRFValidationError):
        # A serializer's errors, per field, in the same shape as a service's.
        errors = exc.detail if isinstance(exc.detail, dict) else {"detail": exc.detail}
        response.data = {
            "detail": " ".join(_flatten(errors)),
            "code": _first_code(exc.get_codes()),
            "errors": errors,
        }
    elif isinstance(exc, APIException) and isinstance(response.data, dict):
        response.data.setdefault("code", _first_code(exc.get_codes()))
    elif isinstance(response.data, dict):
        response.data.setdefault("code", "error")
    return response
