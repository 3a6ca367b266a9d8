"""
Bulk card sharing, exactly once, with a live progress bar and a summary.

With no environment set, this starts the embedded sandbox in-process, signs up an owner,
creates 300 recipients and a card, turns on seeded faults (5 % answered 503, 5 % dropped
after the share was committed) and shares the card with everyone under a scaled quota.
It then checks the sandbox for duplicate share requests: there must be none.

Against a real server, set:

    ONLYONCE_BASE_URL        e.g. https://api.onlyonce.com/v2/
    ONLYONCE_USERNAME        the account e-mail
    ONLYONCE_PASSWORD
    ONLYONCE_PASS_PHRASE     the sender profile's pass phrase (for profile access)
    ONLYONCE_SENDER_ID       the sharing profile's id
    ONLYONCE_CARD_ID         the card to share
    ONLYONCE_RECIPIENTS      a file with one recipient profile id per line

Run: ``python examples/bulk_share.py`` (needs ``pip install 'onlyonce-async[testing,progress]'``).
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import anyio

from onlyonce_async import BulkShareReport, Client, SlidingWindowRateLimiter

RECIPIENTS = 300
QUOTA = (60, 2.0)  # the sandbox's quota, scaled: 60 requests per 2 s instead of per minute
CONCURRENCY = 8


@contextmanager
def progress_bar(total: int | None) -> Iterator[Callable[[int, int | None], None]]:
    """A rich progress bar when rich is installed, else a plain line every 10 %."""
    try:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
    except ImportError:
        step = max(1, (total or 100) // 10)

        def plain(done: int, total: int | None) -> None:
            if done % step == 0 or done == total:
                print(f"  shared {done}/{total if total is not None else '?'}", flush=True)

        yield plain
        return
    columns = ("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn()) as progress:
        task = progress.add_task("sharing", total=total)

        def update(done: int, total: int | None) -> None:
            progress.update(task, completed=done, total=total)

        yield update


def print_summary(rows: list[tuple[str, str]]) -> None:
    """The summary as a rich table when available, else aligned text."""
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        width = max(len(name) for name, _ in rows)
        for name, value in rows:
            print(f"{name:<{width}}  {value}")
        return
    table = Table(title="bulk share summary")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in rows:
        table.add_row(name, value)
    Console().print(table)


async def share(
    client: Client,
    card_id: uuid.UUID,
    sender_id: uuid.UUID,
    recipients: list[uuid.UUID] | AsyncIterator[str],
) -> tuple[BulkShareReport, float]:
    total = len(recipients) if isinstance(recipients, list) else None
    report = BulkShareReport()
    started = time.monotonic()
    with progress_bar(total) as on_progress:
        await client.network.share_all(
            card_id,
            sender_id=sender_id,
            recipient_ids=recipients,
            concurrency=CONCURRENCY,
            on_progress=on_progress,
            report=report,
        )
    return report, time.monotonic() - started


async def run_in_sandbox() -> int:
    from onlyonce_async.testing import Sandbox

    sandbox = Sandbox(rate_limit=QUOTA, seed=1)
    limit, period = QUOTA
    async with sandbox.client(rate_limiter=SlidingWindowRateLimiter(limit, period)) as client:
        # The owner signs up and signs in through the API, like a real user.
        countries = await client.dictionaries.list("country_field")
        await client.account.sign_up(
            email="owner@example.com",
            password="owner-password-1",
            pass_phrase="owner phrase",
            first_name="Olive",
            last_name="Owner",
            country=countries[0].id,
        )
        await client.account.sign_in("owner@example.com", "owner-password-1")
        (profile,) = await client.profiles.list(scope="MINE").collect()
        await client.profiles.enable_access(profile.id, "owner phrase")
        fields = await client.datastore.get(profile.id)
        card_id = await client.cards.create(
            profile.id, name="Business card", fields=[f.id for f in fields if f.id is not None]
        )
        # Recipients are set up directly in the sandbox's state (a test-set-up shortcut).
        recipients = [
            sandbox.create_user(
                email=f"r{n}@example.com", password="pw-recipient", pass_phrase="phrase"
            ).profile_id
            for n in range(RECIPIENTS)
        ]
        sandbox.faults(error_rate=0.05, statuses=(503,), drop_after_commit=0.05, seed=7)
        stats = sandbox.stats
        before = (stats.requests, stats.faults_injected, stats.dropped, stats.rate_limited)
        print(
            f"sharing a card with {RECIPIENTS} recipients through the sandbox "
            f"(quota {limit} per {period:g} s, 5 % 503s, 5 % dropped responses)"
        )
        report, elapsed = await share(client, card_id, profile.id, recipients)
        sandbox.faults()

    pairs = Counter(
        (r.recipient_id, r.card_id)
        for r in sandbox.share_requests()
        if r.sender_id == profile.id and r.card_id == card_id
    )
    duplicates = sum(count - 1 for count in pairs.values() if count > 1)
    quota_rate = limit / period
    requests, injected, dropped, rate_limited = (
        now - then
        for now, then in zip(
            (stats.requests, stats.faults_injected, stats.dropped, stats.rate_limited),
            before,
            strict=True,
        )
    )
    print_summary(
        [
            ("succeeded", str(len(report.succeeded))),
            ("failed", str(len(report.failed))),
            ("retried (injected 503s, retried by the client)", str(injected)),
            ("responses dropped after commit", str(dropped)),
            ("reconciled (found by lookup, not resent)", str(report.reconciled)),
            ("resent (not found after a lost response)", str(report.retried)),
            ("elapsed", f"{elapsed:.1f} s"),
            ("requests sent", str(requests)),
            ("achieved rate vs quota", f"{requests / elapsed:.1f}/s vs {quota_rate:.1f}/s"),
            ("429s from the sandbox", str(rate_limited)),
            ("share requests in sandbox", str(sum(pairs.values()))),
            ("duplicates in sandbox", str(duplicates)),
        ]
    )
    print(
        f"(a sliding window lets {limit} requests start at once, then {limit} per {period:g} s: "
        "over a short run the achieved rate can exceed the average quota without any 429)"
    )
    for outcome in report.failed[:10]:
        print(f"  failed: {outcome.recipient_id} after {outcome.attempts} send(s): {outcome.error}")
    missing = RECIPIENTS - report.total
    return 0 if duplicates == 0 and missing == 0 else 1


async def read_lines(path: Path) -> AsyncIterator[str]:
    """Recipient ids from a file, one per line, read lazily."""
    async with await anyio.open_file(path) as lines:
        async for line in lines:
            if line.strip():
                yield line.strip()


async def run_against_server() -> int:
    env = os.environ
    from onlyonce_async import BearerAuth

    async with Client(
        base_url=env["ONLYONCE_BASE_URL"],
        auth=BearerAuth.with_credentials(env["ONLYONCE_USERNAME"], env["ONLYONCE_PASSWORD"]),
    ) as client:
        sender = uuid.UUID(env["ONLYONCE_SENDER_ID"])
        await client.profiles.enable_access(sender, env["ONLYONCE_PASS_PHRASE"])
        report, elapsed = await share(
            client,
            uuid.UUID(env["ONLYONCE_CARD_ID"]),
            sender,
            read_lines(Path(env["ONLYONCE_RECIPIENTS"])),
        )
    print_summary(
        [
            ("succeeded", str(len(report.succeeded))),
            ("failed", str(len(report.failed))),
            ("retried", str(report.retried)),
            ("reconciled", str(report.reconciled)),
            ("elapsed", f"{elapsed:.1f} s"),
        ]
    )
    return 0 if not report.failed else 1


def main() -> int:
    if os.environ.get("ONLYONCE_BASE_URL"):
        return anyio.run(run_against_server)
    return anyio.run(run_in_sandbox)


if __name__ == "__main__":
    sys.exit(main())
