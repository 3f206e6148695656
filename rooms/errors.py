"""Errors that Space services raise, each with a stable code for error frames and APIs."""

from django.core.exceptions import PermissionDenied, ValidationError


class SpaceError(ValidationError):
    """A request that cannot be done in the Space's current state (4xx, error frame)."""


class NotAllowed(PermissionDenied):
    """The actor's role does not allow this action."""

    def __init__(self, message: str, code: str = "forbidden"):
        super().__init__(message)
        self.message = message
        self.code = code


def error_code(exc: Exception) -> str:
    if isinstance(exc, NotAllowed):
        return exc.code
    if isinstance(exc, ValidationError):
        errors = (
            [e for field in exc.error_dict.values() for e in field]
            if hasattr(exc, "error_dict")
            else exc.error_list
        )
        return next((e.code for e in errors if e.code), "invalid")
    return "error"


def error_message(exc: Exception) -> str:
    if isinstance(exc, NotAllowed):
        return exc.message
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)
