"""HTTP Range requests (RFC 9110 §14) over one file: one range, or the whole file (for
`serving`).

A Range header that does not parse is ignored, as RFC 9110 §14.2 allows (the whole file,
200); so is a list of several ranges (players ask for one). A range that starts past
the end is unsatisfiable (416).
"""

import re

RANGE = re.compile(r"bytes=(\d*)-(\d*)", re.IGNORECASE)  # the unit is case-insensitive


class Unsatisfiable(Exception):
    pass


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The (first, last) byte positions asked for, inclusive; None for the whole file.
    Raises Unsatisfiable for a range that no byte of the file satisfies."""
    if not header:
        return None
    match = RANGE.fullmatch(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # a suffix: the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            raise Unsatisfiable
        return max(0, size - length), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None  # invalid: ignored, like any malformed header
    if start >= size:
        raise Unsatisfiable
    return start, min(end, size - 1)
