"""
``onlyonce share``: share one card with every recipient in a CSV file, exactly once, across
runs.

A journal is kept by default (an SQLite file named after the sender and the card, in the
current directory), so running the same command again resumes: nobody gets a second
request. ``--redis-url`` uses a Redis journal and quota instead, for one job on several
hosts. SIGINT/SIGTERM drain the job: no new recipient is taken, shares in flight get
``--grace`` seconds to finish, and the command prints how to resume and exits with status 5.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import signal
import sys
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from contextlib import aclosing
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import anyio

from ._exit import EXIT_INTERRUPTED
from ._progress import progress_display
from ._recipients import ResultFile, count_recipients, open_recipients, read_recipients
from ._settings import ClientFactory, Settings, UsageError

if TYPE_CHECKING:
    from .._client import Client
    from .._journal import ShareJournal
    from .._ratelimit import RateLimiter

# The SDK is imported where a share runs, not here: the parser (`--help`) needs none of it.

__all__ = ["DEFAULT_GRACE", "QUOTA", "add_parser", "run_share"]

#: Seconds the shares in flight get to finish after SIGINT/SIGTERM. Under the 30 s that
#: Kubernetes and the 90 s that systemd wait before they kill (``docker stop`` waits 10 s:
#: pass ``--grace 8`` there, or ``docker stop -t 30``). Each share in flight needs about
#: one request; at the quota a few of them may wait for a slot.
DEFAULT_GRACE = 20.0
#: The API's quota (requests, seconds): the client's default limiter, and the time left.
QUOTA = (60, 60.0)
#: The environment variable holding a Redis URL with a password (arguments are visible).
REDIS_URL_VARIABLE = "ONLYONCE_REDIS_URL"


def add_parser(commands: Any) -> None:
    """Add the ``share`` command to the top-level sub-parsers."""
    parser = commands.add_parser(
        "share",
        help="share a card with many recipients (exactly once each, resumable)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Share a card from a sender profile with every recipient listed in a CSV file\n"
            "(one id per line, or a header row with a recipient_id or id column).\n"
            "Progress goes to stderr; one result row per distinct recipient goes to --output\n"
            "(recipient_id, ok, request_id, status, attempts, reconciled, error_type, error,\n"
            "skipped, unknown). Needs credentials and ONLYONCE_PASS_PHRASE (the sender\n"
            "profile's pass phrase).\n"
            "\n"
            "Exactly once across runs: a journal records each share before it is sent, so\n"
            "running the same command again resumes the job and nobody gets a second request.\n"
            "By default it is the file onlyonce-share-SENDER-CARD.sqlite in the current\n"
            "directory. With --redis-url (or ONLYONCE_REDIS_URL, which may hold a password),\n"
            "the journal and the quota live in Redis: run the same command on several hosts\n"
            "to split one job between them (extra: pip install 'onlyonce-async[redis]').\n"
            "\n"
            "SIGINT or SIGTERM stops taking recipients, lets the shares in flight finish\n"
            f"within --grace seconds (default {DEFAULT_GRACE:g}), prints the command that resumes\n"
            f"and exits with status {EXIT_INTERRUPTED}; a second signal stops at once (what was\n"
            "in flight is looked up by the next run, never sent twice).\n"
            "\n"
            "exit status: 0 every recipient has the request; 1 a recipient failed or its\n"
            "outcome is unknown (run again to resume); 2 usage error; 3 network error;\n"
            f"{EXIT_INTERRUPTED} interrupted (run again to resume)."
        ),
    )
    parser.add_argument("--card", required=True, metavar="ID", help="the card to share")
    parser.add_argument("--sender", required=True, metavar="ID", help="the sharing profile")
    parser.add_argument(
        "--recipients", required=True, type=Path, metavar="FILE.csv", help="recipient ids"
    )
    parser.add_argument(
        "--output",
        type=Path,
        metavar="RESULTS.csv",
        help="results of the whole job, kept across runs (default: this run's rows on stdout)",
    )
    parser.add_argument(
        "--concurrency", type=_positive, default=8, metavar="N", help="shares in flight (8)"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--journal",
        type=Path,
        metavar="PATH",
        help="the SQLite journal (default: onlyonce-share-SENDER-CARD.sqlite here)",
    )
    where.add_argument(
        "--no-journal",
        action="store_true",
        help="keep no journal (a rerun still skips recipients the server shows as shared)",
    )
    where.add_argument(
        "--redis-url",
        metavar="URL",
        help="journal and quota in Redis, shared by every host running this job "
        f"(no password here: put such a URL in {REDIS_URL_VARIABLE})",
    )
    parser.add_argument(
        "--grace",
        type=_seconds,
        default=DEFAULT_GRACE,
        metavar="SECONDS",
        help=f"after SIGINT/SIGTERM, how long shares in flight may take ({DEFAULT_GRACE:g})",
    )


def _uuid(text: str, option: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise UsageError(f"{option}: not a UUID: {text!r}") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, not {text!r}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected seconds (0 or more), not {text!r}")
    return value


@contextlib.contextmanager
def _one_error_unwrapped() -> Iterator[None]:
    """
    Re-raise an exception group holding one exception (from a task group) as that one.

    What fails a run (a `UsageError` from the CSV reader, a journal or network error) then
    reaches `main` as itself, to be reported in one line.
    """
    try:
        yield
    except Exception as exc:
        found = _only_error(exc)
        if found is None or found is exc:
            raise
        raise found from None


def _only_error(exc: BaseException) -> BaseException | None:
    inner = getattr(exc, "exceptions", None)  # an exception group (3.10: the backport)
    if inner is None:
        return exc
    if len(inner) == 1:
        return _only_error(inner[0])
    return None


def default_journal(sender_id: uuid.UUID, card_id: uuid.UUID) -> Path:
    """The default journal file: named after the sender and the card, in the current directory."""
    return Path(f"onlyonce-share-{sender_id}-{card_id}.sqlite")


def _redis_url(args: argparse.Namespace) -> str | None:
    if args.redis_url is not None:
        from urllib.parse import urlsplit

        try:
            password = urlsplit(args.redis_url).password
        except ValueError:
            raise UsageError("--redis-url: not a URL") from None
        if password:
            raise UsageError(
                f"--redis-url: a password does not belong in an argument (process lists and "
                f"shell history show it); set {REDIS_URL_VARIABLE} to the URL instead"
            )
        return str(args.redis_url)
    if args.journal is None and not args.no_journal:
        return os.environ.get(REDIS_URL_VARIABLE) or None
    return None


@contextlib.asynccontextmanager
async def _redis(args: argparse.Namespace) -> AsyncIterator[Any]:
    """
    A Redis client for ``--redis-url`` (or ``ONLYONCE_REDIS_URL``), or ``None``.

    Raises:
        UsageError: redis-py is missing, or the URL is refused.
    """
    url = _redis_url(args)
    if url is None:
        yield None
        return
    try:
        from redis.asyncio import Redis
    except ImportError:
        raise UsageError(
            "--redis-url needs the redis extra: pip install 'onlyonce-async[redis]'"
        ) from None
    try:
        redis = Redis.from_url(url)
    except ValueError as exc:
        raise UsageError(f"--redis-url: {exc}") from None
    try:
        yield redis
    finally:
        with anyio.CancelScope(shield=True):
            await redis.aclose()


def _shared_limiter(redis: Any) -> RateLimiter | None:
    """The quota shared through Redis by every process of the job, or ``None``."""
    if redis is None:
        return None
    from ..redis import RedisRateLimiter

    return RedisRateLimiter(redis, "onlyonce:quota", *QUOTA)


@contextlib.asynccontextmanager
async def _journal(
    args: argparse.Namespace, redis: Any, sender_id: uuid.UUID, card_id: uuid.UUID
) -> AsyncIterator[tuple[ShareJournal | None, str]]:
    """
    The job's journal, open (so checked before anything is sent), and where it is.

    Raises:
        UsageError: The journal cannot be used (unwritable, not a journal, Redis down).
    """
    from .._errors import OnlyOnceError
    from .._sqlite_journal import SQLiteJournal

    journal: ShareJournal
    if redis is not None:
        from ..redis import RedisJournal

        journal, where = RedisJournal(redis, f"onlyonce:share:{sender_id}:{card_id}"), "Redis"
    elif args.no_journal:
        yield None, ""
        return
    else:
        path = args.journal if args.journal is not None else default_journal(sender_id, card_id)
        journal, where = SQLiteJournal(path), str(path)
    try:
        await journal.open()
    except OnlyOnceError as exc:  # JournalError, or RateLimiterUnavailable-like Redis errors
        option = "--redis-url" if redis is not None else "--journal"
        raise UsageError(f"{option}: {exc}") from None
    try:
        yield journal, f"the journal ({where})"
    finally:
        with anyio.CancelScope(shield=True):
            await journal.aclose()


async def _preflight(
    client: Client, sender_id: uuid.UUID, card_id: uuid.UUID, pass_phrase: str
) -> None:
    """
    Check the sender and the card before any recipient is read.

    Raises:
        UsageError: No such sender profile (for these credentials), or no such card.
    """
    from .._errors import AccessDeniedError, NotFoundError

    try:
        await client.profiles.enable_access(sender_id, pass_phrase)
    except (NotFoundError, AccessDeniedError) as exc:
        raise UsageError(
            f"--sender {sender_id}: no such profile for these credentials ({exc})"
        ) from None
    try:
        await client.cards.get(sender_id, card_id)
    except (NotFoundError, AccessDeniedError) as exc:
        raise UsageError(
            f"--card {card_id}: the sender {sender_id} has no such card ({exc})"
        ) from None


def resume_command(args: argparse.Namespace, argv0: str | None = None) -> str:
    """
    The shell command that runs the same job again (it resumes from the journal).

    Paths are made absolute so it works from any directory; credentials are not in it
    (they come from the environment, which must be the same).

    Args:
        args: The parsed arguments of this run.
        argv0: The program as invoked (default ``sys.argv[0]``).
    """
    program = Path(sys.argv[0] if argv0 is None else argv0).name
    if program in ("__main__.py", "-m", "-c"):
        words = [sys.executable, "-m", "onlyonce_async"]
    else:
        words = ["onlyonce"]
    words += ["share", "--card", str(args.card), "--sender", str(args.sender)]
    words += ["--recipients", str(Path(args.recipients).absolute())]
    if args.output is not None:
        words += ["--output", str(Path(args.output).absolute())]
    words += ["--concurrency", str(args.concurrency)]
    if args.redis_url is not None:
        words += ["--redis-url", args.redis_url]
    elif _redis_url(args) is not None:
        pass  # ONLYONCE_REDIS_URL names the Redis journal: the same environment resumes
    elif args.no_journal:
        words.append("--no-journal")
    else:
        journal = args.journal or default_journal(uuid.UUID(args.sender), uuid.UUID(args.card))
        words += ["--journal", str(Path(journal).absolute())]
    if args.grace != DEFAULT_GRACE:
        words += ["--grace", f"{args.grace:g}"]
    return shlex.join(words)


async def run_share(
    args: argparse.Namespace, settings: Settings, make_client: ClientFactory, out: TextIO
) -> int:
    """
    Run the bulk share described by ``args``.

    Returns:
        0 when every recipient has the share request, 1 when any failed or its outcome
        is unknown, `EXIT_INTERRUPTED` when stopped by SIGINT/SIGTERM.

    Raises:
        UsageError: Missing credentials or pass phrase, unreadable files, bad CSV, an
            unusable journal, no such sender or card.
        OnlyOnceError: Enabling access to the sender failed.
    """
    if settings.auth is None:
        raise UsageError("share needs credentials (see onlyonce --help)")
    if settings.pass_phrase is None:
        raise UsageError("share needs ONLYONCE_PASS_PHRASE (the sender profile's pass phrase)")
    card_id, sender_id = _uuid(args.card, "--card"), _uuid(args.sender, "--sender")
    if args.output is not None and _same_file(args.output, args.recipients):
        raise UsageError("--output must not be the --recipients file (it is replaced)")
    async with _redis(args) as redis:
        client = make_client(settings)
        async with client:
            limiter = _shared_limiter(redis)
            if limiter is not None:
                client = client.with_options(rate_limiter=limiter)
            await _preflight(client, sender_id, card_id, settings.pass_phrase)
            # One pass over the file before anything is shared: bad CSV is found now, and
            # the count gives the progress display its total and the time left.
            total = await count_recipients(args.recipients)
            with ResultFile.open(args.output, out) as results:
                async with _journal(args, redis, sender_id, card_id) as (journal, where):
                    return await _share(
                        args, client, card_id, sender_id, journal, where, total, results
                    )


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


async def _share(
    args: argparse.Namespace,
    client: Client,
    card_id: uuid.UUID,
    sender_id: uuid.UUID,
    journal: ShareJournal | None,
    where: str,
    total: int,
    results: ResultFile,
) -> int:
    err = sys.stderr
    stop = anyio.Event()
    done = failed = unknown = skipped = 0
    limit, period = QUOTA

    async def taken_until_stopped() -> AsyncGenerator[str, None]:
        file = await open_recipients(args.recipients)
        async with file, aclosing(read_recipients(file, str(args.recipients))) as ids:
            async for recipient in ids:
                if stop.is_set():
                    return
                yield recipient

    # An in-process limiter's stats give the time left (a Redis one's need a round trip:
    # the quota alone estimates it then).
    from .._ratelimit import SlidingWindowRateLimiter

    limiter = client.rate_limiter
    stats = limiter.stats if isinstance(limiter, SlidingWindowRateLimiter) else None
    display = progress_display(err, quota=limit / period, stats=stats)
    with display as progress, _one_error_unwrapped():
        async with anyio.create_task_group() as tg:
            with anyio.CancelScope() as job:
                tg.start_soon(_watch_signals, stop, job, args.grace, err)
                tg.start_soon(_tick, progress)
                outcomes = client.network.share_many(
                    card_id,
                    sender_id=sender_id,
                    recipient_ids=taken_until_stopped(),
                    concurrency=args.concurrency,
                    # Duplicates in the file count as done: the total counts them too.
                    on_progress=lambda done, _: progress.update(done, total),
                    journal=journal,
                )
                async with aclosing(outcomes):
                    async for outcome in outcomes:
                        # Rows are written as outcomes complete: memory stays flat.
                        results.write(outcome)
                        done += 1
                        skipped += outcome.skipped
                        unknown += outcome.unknown
                        failed += not outcome.ok and not outcome.unknown
            tg.cancel_scope.cancel()
    results.finish()
    sent = done - skipped - failed - unknown
    summary = (
        f"{done} recipients: {sent} shared now, {skipped} skipped (already shared), "
        f"{failed} failed, {unknown} unknown"
    )
    err.write(summary + "\n")
    if stop.is_set() or unknown:
        resume = resume_command(args)
        if journal is not None:
            kept = f"{where} records every share sent or in flight"
        else:
            kept = "no journal: the next run skips recipients the server shows as shared"
        reason = "interrupted" if stop.is_set() else "some outcomes are unknown"
        err.write(f"{reason}; {kept}. To resume, run the same command again:\n  {resume}\n")
        err.flush()
        if stop.is_set():
            return EXIT_INTERRUPTED
    return 1 if failed or unknown else 0


async def _watch_signals(
    stop: anyio.Event, job: anyio.CancelScope, grace: float, err: TextIO
) -> None:
    """
    The first SIGINT/SIGTERM drains the job (within ``grace`` seconds); a second stops it.
    """
    try:
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            await _drain_on_signals(signals, stop, job, grace, err)
    except NotImplementedError:  # pragma: no cover - Windows: Ctrl-C stops at once
        return


async def _drain_on_signals(
    signals: Any, stop: anyio.Event, job: anyio.CancelScope, grace: float, err: TextIO
) -> None:
    async for signum in signals:
        name = signal.Signals(signum).name
        if stop.is_set():
            err.write(f"{name} again: stopping now (what is in flight stays recorded)\n")
            job.cancel()
            return
        stop.set()
        err.write(
            f"{name}: taking no more recipients; shares in flight get {grace:g} s to "
            "finish (signal again to stop now)\n"
        )
        err.flush()
        job.deadline = min(job.deadline, anyio.current_time() + grace)


async def _tick(progress: Any) -> None:
    """Let the progress display write its steady lines while no outcome comes."""
    while True:
        await anyio.sleep(1.0)
        progress.tick()
