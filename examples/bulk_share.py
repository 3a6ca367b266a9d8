"""
Bulk card sharing, exactly once, even when the job stops part way and is run again.

With no environment set, this starts the embedded sandbox in-process, signs up an owner,
creates 300 recipients and a card, turns on seeded faults (5 % answered 503, 5 % dropped
after the change was made) and shares the card with everyone under a scaled quota, keeping
a journal (an SQLite file). Part way, the job stops as a crash would: while a share is in
flight, after the server created it and before its answer arrived, the worst moment. The
job is then run again from the journal. The summary accounts for every dropped response
and counts the share requests in the sandbox: no recipient has two.

One share is in flight at a time: the quota sets the pace (one at a time is as fast here
as eight), and it makes the run reproducible: two runs with the same seeds print the same
figures, whatever else the machine is doing. Only the timing line differs.

Options: ``--journal PATH`` keeps the journal there (default: a temporary directory, removed
at the end); ``--seed N`` changes the faults' seed (default 7).

Against a real server, set:

    ONLYONCE_BASE_URL        e.g. https://api.onlyonce.com/v2/
    ONLYONCE_USERNAME        the account e-mail
    ONLYONCE_PASSWORD
    ONLYONCE_PASS_PHRASE     the sender profile's pass phrase (for profile access)
    ONLYONCE_SENDER_ID       the sharing profile's id
    ONLYONCE_CARD_ID         the card to share
    ONLYONCE_RECIPIENTS      a file with one recipient profile id per line

and give ``--journal PATH`` to be able to resume (run the same command again).

Run: ``python examples/bulk_share.py`` or ``nox -s demo`` (needs
``pip install 'onlyonce-async[testing,progress]'``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import anyio
import httpx

from onlyonce_async import BulkShareReport, Client, SlidingWindowRateLimiter, SQLiteJournal

RECIPIENTS = 300
QUOTA = (60, 2.0)  # the sandbox's quota, scaled: 60 requests per 2 s instead of per minute
CONCURRENCY = 1
STOP_AT_SHARE = 120  # the job stops while its 120th share request is in flight
SANDBOX_SEED = 1
FAULT_SEED = 7


@contextmanager
def progress_bar(label: str, total: int | None) -> Iterator[Callable[[int, int | None], None]]:
    """A rich progress bar on a terminal, else a plain line every 10 %."""
    try:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
    except ImportError:
        Progress = None  # type: ignore[assignment,misc]
    if Progress is None or not sys.stdout.isatty():
        step = max(1, (total or 100) // 10)

        def plain(done: int, total: int | None) -> None:
            if done % step == 0 or done == total:
                print(f"  {label}: {done}/{total if total is not None else '?'}", flush=True)

        yield plain
        return
    columns = ("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn()) as progress:
        task = progress.add_task(label, total=total)

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


class Observer(httpx.AsyncBaseTransport):
    """
    The demo's window on the wire: counts the responses that never arrived (share requests
    and lookups apart), and stops the job while its ``stop_at``-th share is in flight.

    It adds no fault of its own: the drops are the sandbox's seeded faults. The stop is the
    demo's "crash": the server has made the share, its answer is never read.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport, stop_at: int | None) -> None:
        self._inner = inner
        self.stop_at = stop_at
        self.job: anyio.CancelScope | None = None
        self.shares_sent = 0
        self.stopped_recipient: uuid.UUID | None = None
        self.dropped_shares: Counter[uuid.UUID] = Counter()
        self.dropped_reads = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        is_share = request.method == "POST" and request.url.path.endswith("/requests")
        if is_share:
            self.shares_sent += 1
        try:
            response = await self._inner.handle_async_request(request)
        except httpx.RemoteProtocolError:
            if is_share:
                self.dropped_shares[_recipient(request)] += 1
            else:
                self.dropped_reads += 1
            raise
        finally:
            if is_share and self.shares_sent == self.stop_at and self.job is not None:
                self.stopped_recipient = _recipient(request)
                self.job.cancel()  # the process "dies" here: the answer is never read
        await anyio.lowlevel.checkpoint()  # where the cancellation lands
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def _recipient(request: httpx.Request) -> uuid.UUID:
    return uuid.UUID(json.loads(request.content)["recipient"]["id"])


async def share(
    client: Client,
    card_id: uuid.UUID,
    sender_id: uuid.UUID,
    recipients: list[uuid.UUID] | AsyncIterator[str],
    journal_path: Path,
    label: str,
    job: anyio.CancelScope | None = None,
) -> BulkShareReport:
    """One run of the job; a report of what finished, also when ``job`` is cancelled."""
    total = len(recipients) if isinstance(recipients, list) else None
    report = BulkShareReport()
    with progress_bar(label, total) as on_progress, job or anyio.CancelScope():
        await client.network.share_all(
            card_id,
            sender_id=sender_id,
            recipient_ids=recipients,
            concurrency=CONCURRENCY,
            on_progress=on_progress,
            report=report,
            journal=SQLiteJournal(journal_path),
        )
    return report


async def set_up(client: Client) -> tuple[uuid.UUID, uuid.UUID]:
    """The owner signs up and signs in through the API, like a real user, and makes a card."""
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
    return profile.id, card_id


async def run_in_sandbox(journal_path: Path, fault_seed: int) -> int:
    from onlyonce_async.testing import BASE_URL, Sandbox

    sandbox = Sandbox(rate_limit=QUOTA, seed=SANDBOX_SEED)
    limit, period = QUOTA
    observer = Observer(sandbox.transport(), stop_at=STOP_AT_SHARE)
    started = time.monotonic()
    async with Client(
        base_url=BASE_URL,
        transport=observer,
        # A quarter under the server's quota: however busy the machine, scheduling jitter
        # never meets a 429 (which would make this run differ from the next).
        rate_limiter=SlidingWindowRateLimiter(limit, period * 1.25),
    ) as client:
        sender_id, card_id = await set_up(client)
        # Recipients are set up directly in the sandbox's state (a test-set-up shortcut).
        recipients = [
            sandbox.create_user(
                email=f"r{n}@example.com", password="pw-recipient", pass_phrase="phrase"
            ).profile_id
            for n in range(RECIPIENTS)
        ]
        sandbox.faults(error_rate=0.05, statuses=(503,), drop_after_commit=0.05, seed=fault_seed)
        stats = sandbox.stats
        before = (stats.requests, stats.faults_injected, stats.dropped, stats.rate_limited)
        print(
            f"sharing a card with {RECIPIENTS} recipients through the sandbox "
            f"(quota {limit} per {period:g} s, 5 % 503s, 5 % dropped responses)"
        )
        print(f"journal: {journal_path}")
        print(f"run 1: the job stops while share request #{STOP_AT_SHARE} is in flight")
        observer.job = anyio.CancelScope()
        first = await share(
            client, card_id, sender_id, recipients, journal_path, "run 1", observer.job
        )
        observer.stop_at = None
        print("run 2: the same job again, resumed from the journal")
        second = await share(client, card_id, sender_id, recipients, journal_path, "run 2")
        sandbox.faults()
    elapsed = time.monotonic() - started

    requests, injected, dropped, rate_limited = (
        now - then
        for now, then in zip(
            (stats.requests, stats.faults_injected, stats.dropped, stats.rate_limited),
            before,
            strict=True,
        )
    )
    pairs = Counter(
        (r.recipient_id, r.card_id)
        for r in sandbox.share_requests()
        if r.sender_id == sender_id and r.card_id == card_id
    )
    duplicates = sum(count - 1 for count in pairs.values() if count > 1)
    # Each recipient's outcome in the run that decided it (run 2 skips what run 1 shared).
    final = {o.recipient_id: o for o in (*second.succeeded, *second.failed)}
    final.update({o.recipient_id: o for o in (*first.succeeded, *first.failed)})
    # Every dropped share response was found by lookup (reconciled), or resent after the
    # lookup found nothing, or is still in flight; a dropped read is simply read again.
    reconciled = resent = in_flight = 0
    for recipient in observer.dropped_shares:
        outcome = final.get(recipient)
        if outcome is not None and outcome.reconciled:
            reconciled += 1
        elif outcome is not None and outcome.ok and outcome.attempts > 1:
            resent += 1
        else:
            in_flight += 1
    dropped_shares = sum(observer.dropped_shares.values())
    accounted = reconciled + resent + in_flight + observer.dropped_reads
    adds_up = accounted == dropped == dropped_shares + observer.dropped_reads
    stopped = observer.stopped_recipient
    resumed = {o.recipient_id: o for o in second.succeeded}.get(stopped)  # type: ignore[arg-type]
    if resumed is not None and resumed.skipped:
        found = "found by the sweep, not resent"
    elif resumed is not None and resumed.reconciled:
        found = "found by lookup, not resent"
    else:
        found = "not found"
    failed = {o.recipient_id for o in second.failed}
    print_summary(
        [
            ("recipients", str(RECIPIENTS)),
            ("run 1 (stopped part way): shared", str(len(first.succeeded))),
            ("run 1: in flight at the stop", str(len(first.unknown))),
            ("run 2 (resumed): skipped (already shared)", str(second.skipped)),
            ("run 2: shared now", str(len(second.succeeded) - second.skipped)),
            ("failed", str(len(failed))),
            ("the share in flight at the stop", found),
            ("503s injected (retried by the client)", str(injected)),
            ("responses dropped after commit", str(dropped)),
            ("  share: reconciled", str(reconciled)),
            ("  share: resent", str(resent)),
            ("  share: still in flight", str(in_flight)),
            ("  dropped lookup or sweep page", str(observer.dropped_reads)),
            ("  accounted for", f"{accounted} of {dropped}" + (", adds up" if adds_up else "")),
            ("requests sent", str(requests)),
            ("429s from the sandbox", str(rate_limited)),
            ("share requests in sandbox", str(sum(pairs.values()))),
            ("duplicates after resume", str(duplicates)),
        ]
    )
    print(
        "reconciled: the answer was lost, a lookup found the request, it was not sent again;\n"
        "resent: the lookup found nothing, so the share was sent again; a dropped lookup or\n"
        "sweep page is read again (reads are safe to repeat)."
    )
    print(
        f"timing: {elapsed:.1f} s, {requests / elapsed:.1f} requests/s, quota "
        f"{limit / period:.1f}/s (varies from run to run; no figure above does)"
    )
    shared = {r for r, _ in pairs}
    ok = duplicates == 0 and shared == set(recipients) and adds_up and not failed
    return 0 if ok else 1


async def read_lines(path: Path) -> AsyncIterator[str]:
    """Recipient ids from a file, one per line, read lazily."""
    async with await anyio.open_file(path) as lines:
        async for line in lines:
            if line.strip():
                yield line.strip()


async def run_against_server(journal_path: Path) -> int:
    env = os.environ
    from onlyonce_async import BearerAuth

    async with Client(
        base_url=env["ONLYONCE_BASE_URL"],
        auth=BearerAuth.with_credentials(env["ONLYONCE_USERNAME"], env["ONLYONCE_PASSWORD"]),
    ) as client:
        sender = uuid.UUID(env["ONLYONCE_SENDER_ID"])
        await client.profiles.enable_access(sender, env["ONLYONCE_PASS_PHRASE"])
        started = time.monotonic()
        report = await share(
            client,
            uuid.UUID(env["ONLYONCE_CARD_ID"]),
            sender,
            read_lines(Path(env["ONLYONCE_RECIPIENTS"])),
            journal_path,
            "sharing",
        )
    print_summary(
        [
            ("succeeded", str(len(report.succeeded))),
            ("skipped (already shared)", str(report.skipped)),
            ("failed", str(len(report.failed))),
            ("of which unknown (run again to resume)", str(len(report.unknown))),
            ("reconciled", str(report.reconciled)),
            ("elapsed", f"{time.monotonic() - started:.1f} s"),
        ]
    )
    return 0 if not report.failed else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].strip())
    parser.add_argument("--journal", type=Path, help="the journal file (default: a temporary one)")
    parser.add_argument("--seed", type=int, default=FAULT_SEED, help="the faults' seed")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="onlyonce-demo-") as directory:
        journal = args.journal or Path(directory) / "shares.sqlite"
        if os.environ.get("ONLYONCE_BASE_URL"):
            return anyio.run(run_against_server, journal)
        return anyio.run(run_in_sandbox, journal, args.seed)


if __name__ == "__main__":
    sys.exit(main())
