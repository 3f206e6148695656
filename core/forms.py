from django.core.exceptions import ValidationError


def add_service_errors(form, error: ValidationError, field: str | None = None) -> None:
    """Show a service's ValidationError on the form: per field where it names one."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(field, error)


def row_id(raw) -> int | None:
    """A row id from a query or form value (a positive 64-bit number), or None."""
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if 0 < value < 2**63 else None
