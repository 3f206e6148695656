"""Shared pieces of the REST API: errors from services become clear 4xx answers."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import error_code
from core.ratelimit import RateLimited


def exception_handler(exc, context):
    """Map a service's ValidationError to 400 (429 when rate-limited), with its messages."""
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        detail = " ".join(message for messages in errors.values() for message in messages)
        status_code = (
            status.HTTP_429_TOO_MANY_REQUESTS
            if isinstance(exc, RateLimited)
            else status.HTTP_400_BAD_REQUEST
        )
        return Response(
            {"detail": detail, "code": error_code(exc), "errors": errors}, status=status_code
        )
    if isinstance(exc, DjangoPermissionDenied) and getattr(exc, "code", None):
        # A service's refusal names its reason; DRF would only say "permission denied".
        return Response(
            {"detail": str(getattr(exc, "message", exc)), "code": exc.code},
            status=status.HTTP_403_FORBIDDEN,
        )
    return drf_exception_handler(exc, context)
