"""
``onlyonce share``: share one card with every recipient in a CSV file, exactly once.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import uuid
from collections.abc import Iterator
from contextlib import aclosing
from pathlib import Path
from typing import Any, TextIO

import anyio

from ._progress import progress_display
from ._recipients import ResultWriter, read_recipients
from ._settings import ClientFactory, Settings, UsageError

__all__ = ["add_parser", "run_share"]


def add_parser(commands: Any) -> None:
    """Add the ``share`` command to the top-level sub-parsers."""
    parser = commands.add_parser(
        "share",
        help="share a card with many recipients (exactly once each)",
        description=(
            "Share a card from a sender profile with every recipient listed in a CSV file "
            "(one id per line, or a header row with a recipient_id or id column), reading "
            "it lazily. Progress goes to stderr; one result row per distinct recipient "
            "(recipient_id, ok, request_id, status, attempts, reconciled, error_type, "
            "error) goes to --output. Needs credentials and ONLYONCE_PASS_PHRASE (the "
            "sender profile's pass phrase). Exit status 1 when any recipient failed."
        ),
    )
    parser.add_argument("--card", required=True, metavar="ID", help="the card to share")
    parser.add_argument("--sender", required=True, metavar="ID", help="the sharing profile")
    parser.add_argument(
        "--recipients", required=True, type=Path, metavar="FILE.csv", help="recipient ids"
    )
    parser.add_argument(
        "--output", type=Path, metavar="RESULTS.csv", help="results file (default: stdout)"
    )
    parser.add_argument(
        "--concurrency", type=_positive, default=8, metavar="N", help="shares in flight (8)"
    )


def _uuid(text: str, option: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise UsageError(f"{option}: not a UUID: {text!r}") from None


@contextlib.contextmanager
def _usage_errors_unwrapped() -> Iterator[None]:
    """Re-raise a `UsageError` from the CSV reader's task as itself, not as a group."""
    try:
        yield
    except Exception as exc:
        found = _only_usage_error(exc)
        if found is None:
            raise
        raise found from None


def _only_usage_error(exc: BaseException) -> UsageError | None:
    if isinstance(exc, UsageError):
        return exc
    inner = getattr(exc, "exceptions", None)  # an exception group (3.10: the backport)
    if inner is not None and len(inner) == 1:
        return _only_usage_error(inner[0])
    return None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, not {text!r}")
    return value


async def run_share(
    args: argparse.Namespace, settings: Settings, make_client: ClientFactory, out: TextIO
) -> int:
    """
    Run the bulk share described by ``args``.

    Returns:
        0 when every recipient has the share request, 1 when any failed.

    Raises:
        UsageError: Missing credentials or pass phrase, unreadable files, bad CSV.
        OnlyOnceError: Enabling access to the sender failed.
    """
    if settings.auth is None:
        raise UsageError("share needs credentials (see onlyonce --help)")
    if settings.pass_phrase is None:
        raise UsageError("share needs ONLYONCE_PASS_PHRASE (the sender profile's pass phrase)")
    try:
        lines = await anyio.open_file(args.recipients, encoding="utf-8", newline="")
    except OSError as exc:
        raise UsageError(f"--recipients: cannot open {args.recipients}: {exc.strerror}") from None
    async with lines:
        if args.output is None:
            return await _share(args, settings, make_client, lines, out)
        try:
            with args.output.open("w", encoding="utf-8", newline="") as results:
                return await _share(args, settings, make_client, lines, results)
        except OSError as exc:
            raise UsageError(f"--output: cannot write {args.output}: {exc.strerror}") from None


async def _share(
    args: argparse.Namespace,
    settings: Settings,
    make_client: ClientFactory,
    lines: anyio.AsyncFile[str],
    results: TextIO,
) -> int:
    assert settings.pass_phrase is not None  # checked by run_share
    card_id, sender_id = _uuid(args.card, "--card"), _uuid(args.sender, "--sender")
    writer = ResultWriter(results)
    done = failed = 0
    async with make_client(settings) as client:
        await client.profiles.enable_access(sender_id, settings.pass_phrase)
        outcomes = client.network.share_many(
            card_id,
            sender_id=sender_id,
            recipient_ids=read_recipients(lines, str(args.recipients)),
            concurrency=args.concurrency,
        )
        with progress_display(sys.stderr) as show, _usage_errors_unwrapped():
            async with aclosing(outcomes):
                async for outcome in outcomes:
                    # Rows are written as outcomes complete: memory stays constant.
                    writer.write(outcome)
                    failed += not outcome.ok
                    done += 1
                    show(done, None)
    sys.stderr.write(f"shared with {done - failed} of {done} recipients, {failed} failed\n")
    return 1 if failed else 0
