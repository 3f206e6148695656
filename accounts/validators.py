from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

HANDLE_MAX_LENGTH = 15
# Paths and words a handle must not take, so that /@<handle> never shadows a page.
RESERVED_HANDLES = frozenset(
    {
        "admin",
        "api",
        "static",
        "media",
        "spaces",
        "settings",
        "accounts",
        "healthz",
        "me",
        "notifications",
        "home",
        "login",
        "logout",
        "signup",
        "support",
        "help",
        "root",
        "system",
    }
)


handle_format = RegexValidator(
    regex=r"^[A-Za-z0-9_]+\Z",
    message=_("A handle may contain only letters, digits and underscores."),
    code="invalid_handle",
)


def handle_not_reserved(value: str) -> None:
    if value.lower() in RESERVED_HANDLES:
        raise ValidationError(_("This handle is reserved."), code="reserved_handle")


handle_validators = [handle_format, handle_not_reserved]


class HandleConverter:
    """`<handle:name>` in a URL: the characters a handle may hold, up to its length."""

    regex = "[A-Za-z0-9_]{1,15}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value
