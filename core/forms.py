from django.core.exceptions import ValidationError


def add_service_errors(form, error: ValidationError, field: str | None = None) -> None:
    """Show a service's ValidationError on the form: per field where it names one."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(field, error)


ROW_ID_MAX = 2**63 - 1  # a BigAutoField; SQLite and PostgreSQL both stop here


def row_id(raw) -> int | None:
    """A row id from a query, form or JSON value (a positive 64-bit number), or None. JSON's
    true is no id (Python takes it for 1), nor is 1.5 (int() would make it 1)."""
    if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if 0 < value <= ROW_ID_MAX else None


class RowIdConverter:
    """`<id:name>` in a URL: a row id, so that a number past 64 bits is a 404, never an
    OverflowError in the database driver (Django's `<int:...>` takes any length)."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        value = row_id(value)
        if value is None:
            raise ValueError("not a row id")
        return value

    def to_url(self, value) -> str:
        return str(value)
