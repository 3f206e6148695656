"""The API's JSON parser: kept apart from core.api, which DRF's settings import while
rest_framework.views is still loading."""

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# Deeper than any body the API takes (a push subscription is the deepest: 2), far below
# the point where Python's json or DRF's validation would recurse out of stack.
JSON_MAX_DEPTH = 32


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing bodies nested deeper than any the API takes (a
    1,500-bracket body made Python's decoder raise RecursionError: a 500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            data = None
            too_deep = True
        else:
            too_deep = _deeper_than(data, JSON_MAX_DEPTH)
        if too_deep:
            raise ParseError(_("The JSON is nested too deeply."), code="json_too_deep")
        return data


def _deeper_than(data, limit: int) -> bool:
    """Whether lists and objects nest past `limit`, walked without recursion."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False
