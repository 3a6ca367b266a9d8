"""
Reading recipient ids from a CSV file, lazily, and writing per-recipient results.
"""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, TextIO

from anyio import AsyncFile

from ._settings import UsageError
from ._text import printable

if TYPE_CHECKING:
    from .._endpoints.bulk import ShareOutcome

__all__ = ["RESULT_COLUMNS", "ResultWriter", "read_recipients"]

#: Header names (case-insensitive) of the column holding the recipient ids.
ID_COLUMNS = ("recipient_id", "id")

RESULT_COLUMNS = (
    "recipient_id",
    "ok",
    "request_id",
    "status",
    "attempts",
    "reconciled",
    "error_type",
    "error",
)


def _row(line: str, name: str, number: int) -> list[str]:
    try:
        return next(csv.reader([line]), [])
    except csv.Error as exc:
        raise UsageError(f"{name}:{number}: bad CSV: {exc}") from None


def _id_column(first: list[str], name: str) -> int | None:
    """
    The index of the id column when ``first`` is a header row, else ``None``.

    Raises:
        UsageError: Several columns and none named like an id column.
    """
    names = [cell.strip().lower().lstrip("\ufeff") for cell in first]
    for wanted in ID_COLUMNS:
        if wanted in names:
            return names.index(wanted)
    if len(names) > 1:
        raise UsageError(
            f"{name}: several columns but none named {' or '.join(ID_COLUMNS)}; "
            "give one id per line or a header row"
        )
    return None


async def read_recipients(lines: AsyncFile[str], name: str) -> AsyncIterator[str]:
    """
    Recipient ids from CSV lines, read one line at a time (memory stays constant).

    The file holds one id per line, or has a header row naming a ``recipient_id`` (or
    ``id``) column. Blank lines are skipped; ids are not validated here (a bad one becomes
    that recipient's failed outcome).

    Raises:
        UsageError: Bad CSV, or a row without the id column.
    """
    column: int | None = None
    number = 0
    async for line in lines:
        number += 1
        row = _row(line, name, number)
        if not any(cell.strip() for cell in row):
            continue
        if column is None:  # the first non-blank row: a header, or already an id
            column = _id_column(row, name)
            if column is not None:
                continue
            column = 0
        if column >= len(row):
            raise UsageError(f"{name}:{number}: no column {column + 1} in this row")
        if cell := row[column].strip():
            yield cell


class ResultWriter:
    """Writes one CSV row per `ShareOutcome` (columns `RESULT_COLUMNS`)."""

    def __init__(self, out: TextIO) -> None:
        self._writer = csv.writer(out, lineterminator="\n")
        self._writer.writerow(RESULT_COLUMNS)

    def write(self, outcome: ShareOutcome) -> None:
        """Write ``outcome``'s row."""
        request, error = outcome.request, outcome.error
        # The status and the error message come from the network: escaped like all output.
        status = "" if request is None else printable(str(request.status.value))
        self._writer.writerow(
            (
                str(outcome.recipient_id),
                "true" if outcome.ok else "false",
                "" if request is None else str(request.id),
                status,
                outcome.attempts,
                "true" if outcome.reconciled else "false",
                "" if error is None else type(error).__name__,
                "" if error is None else printable(str(error)),
            )
        )
