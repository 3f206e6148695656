from django.core.exceptions import ValidationError


class RecordingError(ValidationError):
    """A recording action that cannot be done as asked (a clear message, nothing changed)."""
