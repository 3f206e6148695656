from django.core.exceptions import ValidationError


class SpaceError(ValidationError):
    """A request that cannot be done in the Space's current state (4xx, error frame)."""
