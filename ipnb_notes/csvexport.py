"""Every CSV the app exports is written here: the formula guard once, the digest headers once.

A spreadsheet may run a cell that starts with `=`, `+`, `-`, `@`, a tab, a carriage return, a
line feed or a NUL as a formula (OWASP "CSV injection", ASVS 5.0 1.2.10), and some trim
leading blanks first or read the full-width `＝＋－＠` as their ASCII forms: such a cell gets a
leading `'`, which the spreadsheet shows as text. Numbers stay numbers (a negative number is
no formula); anything else is written as its text and guarded, whatever its type, so a label
that is not a `str` (a lazy translation, an enum) cannot slip through.

`response` builds a whole file and sends its SHA-256 as `X-Content-SHA256` and RFC 9530's
`Repr-Digest` (CRY-03). `streaming_response` is for files too long to hold in memory (the
audit trail): its digest cannot precede its body, so it carries none.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse

from ipnb_notes.http import add_content_digest

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\0", "＝", "＋", "－", "＠")
# Blanks a spreadsheet may skip before it looks for a formula.
_LEADING_BLANKS = " \t\r\n\0\u00a0\u3000"
CONTENT_TYPE = "text/csv; charset=utf-8"

Cell = str | int | float | Decimal


def cell(value: Any) -> Cell:
    """The value as a spreadsheet will read it safely: numbers as they are, None as an empty
    cell, any other value as its text, with a leading `'` when that text starts a formula."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if starts_a_formula(text) else text


def starts_a_formula(text: str) -> bool:
    return text.startswith(FORMULA_START) or text.lstrip(_LEADING_BLANKS).startswith(
        FORMULA_START
    )


def row(values: Iterable[Any]) -> list[Cell]:
    return [cell(value) for value in values]


def lines(header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """The file as CSV text, one line at a time (the header first)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for values in _with_header(header, rows):
        writer.writerow(row(values))
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        yield text


def response(
    filename: str, header: Iterable[Any], rows: Iterable[Iterable[Any]]
) -> HttpResponse:
    """A whole CSV file as an attachment, with its SHA-256 digest headers."""
    body = "".join(lines(header, rows)).encode()
    result = HttpResponse(body, content_type=CONTENT_TYPE)
    result["Content-Disposition"] = f'attachment; filename="{filename}"'
    return add_content_digest(result, body)


def streaming_response(
    filename: str, header: Iterable[Any], rows: Iterable[Iterable[Any]]
) -> StreamingHttpResponse:
    """A CSV file sent as it is written, for exports too long to hold (no digest)."""
    result = StreamingHttpResponse(lines(header, rows), content_type=CONTENT_TYPE)
    result["Content-Disposition"] = f'attachment; filename="{filename}"'
    return result


def _with_header(
    header: Iterable[Any], rows: Iterable[Iterable[Any]]
) -> Iterator[Iterable[Any]]:
    yield header
    yield from rows
