"""
Reading recipient ids from a CSV file, lazily, and writing per-recipient results.

``--output`` holds one row per recipient of the whole job, across runs. Each run writes its
rows to ``RESULTS.csv.partial`` beside it, then copies over the rows of the earlier file
for the recipients this run did not reach (it was interrupted before them), and replaces
the file in one step. Rewriting rather than appending keeps one row per recipient (a rerun
yields every recipient again, as *skipped* when an earlier run shared it); writing aside
and replacing means a run killed midway leaves the earlier file whole. The run remembers
which recipients it wrote (one short string each) to know which earlier rows to keep.
"""

from __future__ import annotations

import csv
import os
import uuid
from collections.abc import AsyncGenerator
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, TextIO

import anyio
from anyio import AsyncFile

from ._settings import UsageError
from ._text import printable

if TYPE_CHECKING:
    from .._endpoints.bulk import ShareOutcome

__all__ = [
    "RESULT_COLUMNS",
    "ResultFile",
    "ResultWriter",
    "count_recipients",
    "open_recipients",
    "read_recipients",
]

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
    "skipped",
    "unknown",
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
    names = [cell.strip().lower() for cell in first]
    for wanted in ID_COLUMNS:
        if wanted in names:
            return names.index(wanted)
    if len(names) > 1:
        raise UsageError(
            f"{name}: several columns but none named {' or '.join(ID_COLUMNS)}; "
            "give one id per line or a header row"
        )
    return None


async def read_recipients(lines: AsyncFile[str], name: str) -> AsyncGenerator[str, None]:
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


async def open_recipients(path: Path) -> AsyncFile[str]:
    """
    The recipients file, open for `read_recipients`.

    A UTF-8 byte order mark (spreadsheets save "CSV UTF-8" with one) is dropped, so it is
    never part of the first header name or id.

    Raises:
        OSError: The file cannot be opened.
    """
    return await anyio.open_file(path, encoding="utf-8-sig", newline="")


async def count_recipients(path: Path) -> int:
    """
    The number of ids in the recipients file (duplicates included), checking it all.

    Raises:
        UsageError: The file cannot be read, or has bad CSV or a row without the id column.
    """
    try:
        lines = await open_recipients(path)
    except OSError as exc:
        raise UsageError(f"--recipients: cannot open {path}: {exc.strerror}") from None
    count = 0
    async with lines:
        try:
            async for _ in read_recipients(lines, str(path)):
                count += 1
        except UnicodeDecodeError as exc:
            raise UsageError(f"--recipients: {path} is not UTF-8 text: {exc.reason}") from None
    return count


def _result_row(outcome: ShareOutcome) -> tuple[object, ...]:
    request, error = outcome.request, outcome.error
    # The status and the error message come from the network: escaped like all output.
    return (
        str(outcome.recipient_id),
        _flag(outcome.ok),
        "" if outcome.request_id is None else str(outcome.request_id),
        "" if request is None else printable(str(request.status.value)),
        outcome.attempts,
        _flag(outcome.reconciled),
        "" if error is None else type(error).__name__,
        "" if error is None else printable(str(error)),
        _flag(outcome.skipped),
        _flag(outcome.unknown),
    )


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _key(recipient_id: str) -> str:
    """One spelling per recipient: the canonical UUID, or the text as given."""
    try:
        return str(uuid.UUID(recipient_id.strip()))
    except ValueError:
        return recipient_id


class ResultWriter:
    """Writes one CSV row per `ShareOutcome` (columns `RESULT_COLUMNS`)."""

    def __init__(self, out: IO[str]) -> None:
        self._writer = csv.writer(out, lineterminator="\n")
        self._writer.writerow(RESULT_COLUMNS)

    def write(self, outcome: ShareOutcome) -> None:
        """Write ``outcome``'s row."""
        self._writer.writerow(_result_row(outcome))


class ResultFile:
    """
    The results of ``onlyonce share``: this run's rows on a stream, or the whole job's in
    ``--output`` (see the module docstring). Use `open`, then ``with``.
    """

    def __init__(self, out: IO[str], path: Path | None, partial: Path | None) -> None:
        self._out = out
        self._writer = ResultWriter(out)
        self._path = path
        self._partial = partial
        self._written: set[str] = set()

    @classmethod
    def open(cls, path: Path | None, stream: TextIO) -> ResultFile:
        """
        Results to ``stream`` (``path`` is ``None``) or for the job in ``path``.

        Raises:
            UsageError: ``path`` exists and is not a results file, or cannot be written.
        """
        if path is None:
            return cls(stream, None, None)
        if path.exists():
            _check_results_file(path)
        partial = path.with_name(path.name + ".partial")
        try:
            out = partial.open("w", encoding="utf-8", newline="")
        except OSError as exc:
            raise UsageError(f"--output: cannot write {partial}: {exc.strerror}") from None
        return cls(out, path, partial)

    def write(self, outcome: ShareOutcome) -> None:
        """Write ``outcome``'s row (this run's outcome replaces an earlier run's row)."""
        self._writer.write(outcome)
        if self._path is not None:
            self._written.add(_key(str(outcome.recipient_id)))

    def __enter__(self) -> ResultFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.finish()

    def finish(self) -> None:
        """
        Add the earlier run's rows this run did not write, and put the file in place.

        Raises:
            UsageError: The file cannot be written (this run's rows stay in the
                ``.partial`` file beside it).
        """
        if self._path is None:
            self._out.flush()
            return
        if self._partial is None:
            return  # finished already
        path, partial, self._partial = self._path, self._partial, None
        try:
            with self._out:
                if path.exists():
                    self._copy_earlier_rows(path)
            os.replace(partial, path)
        except _READ_ERRORS as exc:  # the earlier file was spoilt while the job ran
            raise UsageError(
                f"--output: cannot update {path} ({_describe(exc)}); "
                f"this run's rows are in {partial}"
            ) from None

    def _copy_earlier_rows(self, path: Path) -> None:
        writer = csv.DictWriter(
            self._out, RESULT_COLUMNS, restval="", extrasaction="ignore", lineterminator="\n"
        )
        with _open_earlier(path) as earlier:
            for row in csv.DictReader(earlier):
                recipient = row.get("recipient_id") or ""
                if recipient and _key(recipient) not in self._written:
                    writer.writerow(row)


def _open_earlier(path: Path) -> TextIO:
    """
    An existing results file, open for reading; a UTF-8 byte order mark (a spreadsheet
    saved it) is dropped so that the first column is still ``recipient_id``.

    Raises:
        OSError: It cannot be opened.
    """
    return path.open(encoding="utf-8-sig", newline="")


#: What reading an existing results file can raise (it may have been edited by hand).
_READ_ERRORS = (OSError, UnicodeDecodeError, csv.Error)


def _describe(exc: OSError | UnicodeDecodeError | csv.Error, line: int | None = None) -> str:
    """What is wrong with a results file, for a message (never its content)."""
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text: {exc.reason}"
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return f"bad CSV: {exc}" if line is None else f"line {line}: bad CSV: {exc}"


def _check_results_file(path: Path) -> None:
    """
    Check, before anything is shared, that ``path`` is a results file of ``onlyonce share``
    that `ResultFile.finish` can read back in full.

    Raises:
        UsageError: ``path`` cannot be read to its end (unreadable, not UTF-8, bad CSV, a
            field over the csv module's limit), or has no ``recipient_id`` column.
    """
    reader = None
    try:
        with _open_earlier(path) as existing:
            reader = csv.reader(existing)
            header = next(reader, [])
            if "recipient_id" in header:
                for _ in reader:  # to the end, as finish() will read it
                    pass
    except _READ_ERRORS as exc:
        line = None if reader is None else reader.line_num
        raise UsageError(
            f"--output: cannot read the existing {path} ({_describe(exc, line)}); "
            "repair it or give another path"
        ) from None
    if "recipient_id" not in header:
        raise UsageError(
            f"--output: {path} exists and is not a results file of onlyonce share "
            "(no recipient_id column); give another path"
        )
