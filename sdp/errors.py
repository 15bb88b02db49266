"""The one error type of the SDP layer."""

from __future__ import annotations


class SDPParseError(ValueError):
    """Malformed or oversized SDP text.

    Carries where the problem is, so a user can find the offending line in what a peer sent:
    ``line_number`` counts from 1 and ``line`` is that line as received (without its line ending).
    Both are ``None`` when the text is a lone value, such as a candidate string.
    """

    def __init__(self, reason: str, *, line_number: int | None = None, line: str | None = None):
        self.reason = reason
        self.line_number = line_number
        self.line = line
        where = f" (line {line_number}: {line!r})" if line_number is not None else ""
        super().__init__(f"{reason}{where}")
