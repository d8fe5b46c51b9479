"""CSV downloads of the lists: one way to write cells and stream the file.

Every list's "Download CSV" goes through `csv_response`, so each export streams (a large
practice's claims never sit whole in memory), writes money as plain decimals ("1234.50",
"-20.00") and dates as ISO, and defuses spreadsheet formulas in free text (a client named
"=HYPERLINK(...)" must not run when the biller opens the file).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.http import StreamingHttpResponse

from .money import money

# What a spreadsheet reads as the start of a formula (tab and CR too: some strip them).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: str | None) -> str:
    """Free text for a cell: a leading apostrophe where it would start a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_money(value: Decimal | int | str | None) -> str:
    """"1234.50", "-20.00", "" for no amount: a number a spreadsheet sums, no "$"."""
    if value is None or value == "":
        return ""
    return f"{money(value) + 0:.2f}"


def csv_date(value: dt.date | dt.datetime | None) -> str:
    """ISO: "2026-12-03", or "2026-12-03T09:05:00-08:00" for a moment (kept with its zone)."""
    if value is None:
        return ""
    return value.isoformat()


class _Echo:
    """A file-like object whose write answers the line, for the streaming writer."""

    def write(self, value: str) -> str:
        return value


def csv_rows(header: list[str], rows: Iterable[list[str]]) -> Iterator[str]:
    """The file's lines, the header first; cells must already be text (csv_text/money/date)."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(header)  # a BOM, so spreadsheets read UTF-8 names right
    for row in rows:
        yield writer.writerow(row)


def csv_response(*, filename: str, header: list[str],
                 rows: Iterable[list[str]]) -> StreamingHttpResponse:
    """A streamed CSV download named `filename`."""
    response = StreamingHttpResponse(csv_rows(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"  # PHI: never kept by a shared cache
    return response
