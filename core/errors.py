"""Errors that services raise, each with a stable code for error frames and API answers."""

from django.core.exceptions import PermissionDenied, ValidationError


class NotAllowed(PermissionDenied):
    """The actor's role does not allow this action."""

    def __init__(self, message: str, code: str = "forbidden"):
        super().__init__(message)
        self.message = message
        self.code = code


def error_code(exc: Exception) -> str:
    """The first code an error carries: a NotAllowed's own, or a ValidationError's."""
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
    """What to tell the person, in one line."""
    if isinstance(exc, NotAllowed):
        return exc.message
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)
