"""
Durable bulk jobs against the fake network server: reruns, stops part way, the sweep, ids.

Each test is a defect of issue 12 on the code before journals: a rerun that resends, a run
stopped part way that loses track of shares in flight, a failed lookup reported as a plain
failure, a recipient dropped for its spelling, a pool of workers larger than the input.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import httpx
import pytest

import onlyonce_async as oo
from onlyonce_async._journal import Claim, JobKey, MemoryJournal
from tests._support.helpers import fast_client
from tests._support.network_server import CARD, SENDER, NetworkServer, ids

pytestmark = pytest.mark.anyio


def client_for(server: NetworkServer) -> oo.Client:
    return fast_client(transport=httpx.MockTransport(server.handler))


async def share_all(server: NetworkServer, recipients: Any, **kwargs: Any) -> oo.BulkShareReport:
    async with client_for(server) as client:
        return await client.network.share_all(
            CARD, sender_id=SENDER, recipient_ids=recipients, **kwargs
        )


def live_claims(path: Path) -> int:
    """Entries in flight that a run still holds (an owner), read straight from the file."""
    with sqlite3.connect(path) as connection:
        (count,) = connection.execute(
            "SELECT count(*) FROM shares WHERE state = 0 AND owner IS NOT NULL"
        ).fetchone()
    connection.close()
    return int(count)


def total_requests(server: NetworkServer) -> int:
    return len(server.requests)


@pytest.mark.parametrize("skip_existing", [True, False], ids=["sweep", "no-sweep"])
async def test_rerun_after_closing_early_sends_nobody_twice(
    tmp_path: Path, skip_existing: bool
) -> None:
    """A job closed after 12 of 20 outcomes and run again gives 20 requests for 20 people."""
    server = NetworkServer()
    people = ids(20)
    journal = oo.SQLiteJournal(tmp_path / "job.sqlite")
    async with client_for(server) as client:
        outcomes = client.network.share_many(
            CARD, sender_id=SENDER, recipient_ids=people, concurrency=4, journal=journal
        )
        async with aclosing(outcomes):
            seen = 0
            async for _ in outcomes:
                seen += 1
                if seen == 12:
                    break
        # Closing gave every claim back: the rerun never waits for a lease to run out.
        assert await anyio.to_thread.run_sync(live_claims, tmp_path / "job.sqlite") == 0
        report = await client.network.share_all(
            CARD,
            sender_id=SENDER,
            recipient_ids=people,
            journal=journal,
            skip_existing=skip_existing,
        )
    assert total_requests(server) == 20
    assert all(server.count_for(p) == 1 for p in people)
    assert report.total == 20
    assert len(report.succeeded) == 20
    assert report.skipped >= 12
    assert all(o.request_id is not None for o in report.succeeded)


async def test_rerun_without_journal_is_saved_by_the_sweep() -> None:
    """Even with no journal, a rerun of a finished job sends nothing: the sweep finds them."""
    server = NetworkServer()
    people = ids(30)
    await share_all(server, people)
    report = await share_all(server, people)
    assert total_requests(server) == 30
    assert report.skipped == 30
    assert all(o.ok and o.skipped and o.attempts == 0 for o in report.succeeded)
    assert {o.request_id for o in report.succeeded} == {uuid.UUID(r["id"]) for r in server.requests}


async def test_sweep_costs_one_request_per_hundred_existing(tmp_path: Path) -> None:
    """Rerunning a finished job of 250 reads 3 pages and sends no share and no lookup."""
    server = NetworkServer()
    people = ids(250)
    await share_all(server, people, journal=oo.SQLiteJournal(tmp_path / "j.sqlite"))
    sends, sweeps, lookups = server.sends, server.sweeps, server.lookups
    report = await share_all(server, people, journal=oo.SQLiteJournal(tmp_path / "j.sqlite"))
    assert report.skipped == 250
    assert server.sends == sends
    assert server.lookups == lookups
    assert server.sweeps - sweeps == 3


async def test_cancelled_in_flight_is_unknown_and_looked_up_on_resume(tmp_path: Path) -> None:
    """A share cancelled in flight is reported unknown, stays in flight, and is not resent."""
    server = NetworkServer()
    slow = uuid.uuid4()
    arrived = anyio.Event()
    original = server.handler

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and str(slow) in request.content.decode():
            await original(request)  # the server commits it...
            arrived.set()
            await anyio.sleep_forever()  # ...and the answer never comes back
        return await original(request)

    server.handler = handler  # type: ignore[method-assign]
    journal = oo.SQLiteJournal(tmp_path / "j.sqlite")
    report = oo.BulkShareReport()
    async with client_for(server) as client:
        async with anyio.create_task_group() as tg:

            async def run() -> None:
                await client.network.share_all(
                    CARD, sender_id=SENDER, recipient_ids=[slow], journal=journal, report=report
                )

            tg.start_soon(run)
            await arrived.wait()
            tg.cancel_scope.cancel()
        (outcome,) = report.unknown
        assert outcome.recipient_id == slow
        assert isinstance(outcome.error, oo.ShareOutcomeUnknownError)
        server.handler = original  # type: ignore[method-assign]
        again = await client.network.share_all(
            CARD, sender_id=SENDER, recipient_ids=[slow], journal=journal, skip_existing=False
        )
    assert server.count_for(slow) == 1
    (found,) = again.succeeded
    assert found.reconciled and found.skipped


async def test_client_closed_in_flight_is_unknown_and_looked_up_on_resume(tmp_path: Path) -> None:
    """A share whose client is closed while its POST is in flight may exist: it is unknown
    (not failed), stays in flight, and the next run looks it up instead of resending."""
    server = NetworkServer()
    slow = uuid.uuid4()
    arrived = anyio.Event()
    original = server.handler

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            await original(request)  # the server commits it...
            arrived.set()
            await anyio.sleep_forever()  # ...and the client is closed before the answer
        return await original(request)

    server.handler = handler  # type: ignore[method-assign]
    journal = oo.SQLiteJournal(tmp_path / "j.sqlite")
    client = client_for(server)
    async with anyio.create_task_group() as tg:

        async def close_when_sent() -> None:
            await arrived.wait()
            await client.aclose()

        tg.start_soon(close_when_sent)
        report = await client.network.share_all(
            CARD, sender_id=SENDER, recipient_ids=[slow], journal=journal, skip_existing=False
        )
    assert report.succeeded == []
    (outcome,) = report.unknown
    assert isinstance(outcome.error, oo.ShareOutcomeUnknownError)
    server.handler = original  # type: ignore[method-assign]
    async with client_for(server) as client:
        again = await client.network.share_all(
            CARD, sender_id=SENDER, recipient_ids=[slow], journal=journal, skip_existing=False
        )
    assert server.count_for(slow) == 1
    (found,) = again.succeeded
    assert found.reconciled and found.skipped


async def test_a_closed_client_sends_nothing_and_says_so() -> None:
    """A call made after aclose() raises ClientClosedError saying nothing was sent."""
    server = NetworkServer()
    client = client_for(server)
    await client.aclose()
    with pytest.raises(oo.ClientClosedError) as caught:
        await client.network.share(CARD, sender_id=SENDER, recipient_id=uuid.uuid4())
    assert caught.value.maybe_sent is False
    assert server.sends == 0


class BreakingJournal(MemoryJournal):
    """A journal whose storage breaks under ``workers`` claims at once: each one fails."""

    def __init__(self, workers: int) -> None:
        super().__init__()
        self.workers = workers
        self.waiting = 0
        self.all_waiting = anyio.Event()

    async def claim(
        self, job: JobKey, recipient: uuid.UUID, run: str, *, first_sight: bool
    ) -> Claim:
        self.waiting += 1
        if self.waiting == self.workers:
            self.all_waiting.set()
        await self.all_waiting.wait()
        raise oo.JournalError("the share journal's storage broke")


async def test_a_journal_failing_under_several_workers_is_one_journal_error() -> None:
    """A journal failing for several workers at once fails the run with that JournalError,
    not an exception group; nothing is sent."""
    server = NetworkServer()
    with anyio.fail_after(30), pytest.raises(oo.JournalError, match="storage broke"):
        await share_all(server, ids(6), concurrency=3, journal=BreakingJournal(3))
    assert server.sends == 0


async def test_failed_lookup_stays_in_flight_and_the_rerun_looks_it_up(tmp_path: Path) -> None:
    """A lost response whose lookup failed is looked up by the next run, never resent."""
    server = NetworkServer()
    person = uuid.uuid4()
    server.script[str(person)] = ["drop"]
    server.lookup_fails = True
    journal = oo.SQLiteJournal(tmp_path / "j.sqlite")
    first = await share_all(server, [person], journal=journal, skip_existing=False)
    assert len(first.unknown) == 1
    server.lookup_fails = False
    second = await share_all(server, [person], journal=journal, skip_existing=False)
    assert server.posts[str(person)] == 1
    assert server.count_for(person) == 1
    (outcome,) = second.succeeded
    assert outcome.reconciled


async def test_failed_recipients_are_tried_again(tmp_path: Path) -> None:
    """A recipient that failed (nothing created) is sent again by the next run."""
    server = NetworkServer()
    person = uuid.uuid4()
    server.unknown.add(str(person))
    journal = oo.SQLiteJournal(tmp_path / "j.sqlite")
    first = await share_all(server, [person], journal=journal)
    assert isinstance(first.failed[0].error, oo.NotFoundError)
    server.unknown.clear()
    second = await share_all(server, [person], journal=journal)
    (outcome,) = second.succeeded
    assert not outcome.skipped
    assert server.count_for(person) == 1


async def test_input_raising_leaves_in_flight_shares_for_the_next_run(tmp_path: Path) -> None:
    """The input failing mid-run: every share sent is known to the rerun; none is resent."""
    server = NetworkServer()
    people = ids(32)
    journal = oo.SQLiteJournal(tmp_path / "j.sqlite")

    def failing() -> Iterator[uuid.UUID]:
        yield from people[:26]
        raise OSError("the recipients file went away")

    report = oo.BulkShareReport()
    with pytest.raises(OSError, match="went away"):
        await share_all(server, failing(), journal=journal, concurrency=8, report=report)
    created = {r["recipient"]["id"] for r in server.requests}
    reported = {str(o.recipient_id) for o in (*report.succeeded, *report.unknown)}
    assert created <= reported  # every share the server created is in the report
    again = await share_all(server, people, journal=journal, skip_existing=False)
    assert len(again.succeeded) == 32
    assert all(server.count_for(p) == 1 for p in people)


@pytest.mark.parametrize(
    "spelling",
    [
        pytest.param(lambda u: "{" + str(u) + "}", id="braces"),
        pytest.param(lambda u: u.urn, id="urn"),
        pytest.param(lambda u: u.hex, id="no-hyphens"),
        pytest.param(lambda u: str(u).upper(), id="upper"),
    ],
)
async def test_every_uuid_spelling_is_one_recipient(spelling: Any, tmp_path: Path) -> None:
    """A recipient first given in another spelling, then canonical, is shared once."""
    for journal in (None, oo.SQLiteJournal(tmp_path / "j.sqlite")):
        server = NetworkServer()
        person = uuid.uuid4()
        report = await share_all(server, [spelling(person), str(person)], journal=journal)
        assert report.failed == []
        (outcome,) = report.succeeded
        assert outcome.recipient_id == person
        assert server.count_for(person) == 1


async def test_workers_start_only_as_input_arrives() -> None:
    """A huge concurrency with a tiny input starts a handful of tasks, not one per slot."""
    server = NetworkServer()
    most = 0

    async def recipients() -> AsyncIterator[uuid.UUID]:
        nonlocal most
        for person in ids(3):
            most = max(most, len(anyio.get_running_tasks()))
            yield person
            await anyio.sleep(0.001)
        most = max(most, len(anyio.get_running_tasks()))

    report = await share_all(server, recipients(), concurrency=10_000)
    assert len(report.succeeded) == 3
    assert most < 50
    empty = await share_all(server, [], concurrency=200_000)
    assert empty.total == 0


async def test_duplicates_are_found_through_the_journal(tmp_path: Path) -> None:
    """With a journal, a repeated recipient gets one outcome and one request."""
    server = NetworkServer()
    a, b = ids(2)
    done: list[int] = []
    report = await share_all(
        server,
        [a, b, str(a), b.hex, a],
        journal=oo.SQLiteJournal(tmp_path / "j.sqlite"),
        on_progress=lambda d, t: done.append(d),
    )
    assert sorted(str(o.recipient_id) for o in report.succeeded) == sorted([str(a), str(b)])
    assert server.count_for(a) == server.count_for(b) == 1
    assert sorted(done) == [1, 2, 3, 4, 5]


async def test_two_runs_at_once_on_one_journal_split_the_work(tmp_path: Path) -> None:
    """Two concurrent runs on one journal file send each recipient once between them."""
    server = NetworkServer()
    people = ids(60)
    reports: list[oo.BulkShareReport] = []

    async def worker() -> None:
        async with oo.SQLiteJournal(tmp_path / "j.sqlite") as journal:
            reports.append(await share_all(server, people, journal=journal, concurrency=4))

    async with anyio.create_task_group() as tg:
        tg.start_soon(worker)
        tg.start_soon(worker)
    assert all(server.count_for(p) == 1 for p in people)
    assert total_requests(server) == 60
    for report in reports:
        assert len(report.succeeded) == 60  # each yields every recipient
    sent = [sum(1 for o in r.succeeded if not o.skipped) for r in reports]
    assert sum(sent) == 60


async def test_bad_journal_raises_before_anything_is_sent(tmp_path: Path) -> None:
    """An unwritable, corrupt or foreign SQLite journal is a JournalError; nothing is sent."""
    corrupt = tmp_path / "corrupt.sqlite"
    corrupt.write_bytes(b"this is not a database" * 100)
    foreign = tmp_path / "foreign.sqlite"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE invoices (id INTEGER)")
    connection.close()
    missing_dir = tmp_path / "no" / "such" / "dir" / "j.sqlite"
    for path, words in [
        (corrupt, "not a database"),
        (foreign, "not a share journal"),
        (missing_dir, "cannot open"),
    ]:
        server = NetworkServer()
        with pytest.raises(oo.JournalError, match=words):
            await share_all(server, ids(3), journal=oo.SQLiteJournal(path))
        assert server.sends == 0
        assert server.sweeps == 0
    assert foreign.exists()


class StallingJournal(oo.SQLiteJournal):
    """Stalls a moment after committing each claim, and says when one is committed."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.claimed = anyio.Event()

    async def claim(
        self, job: JobKey, recipient: uuid.UUID, run: str, *, first_sight: bool
    ) -> Claim:
        claim = await super().claim(job, recipient, run, first_sight=first_sight)
        self.claimed.set()
        await anyio.sleep(0.05)  # a cancellation arriving now must not lose the claim
        return claim


async def test_a_stop_during_a_claim_gives_the_claim_back(tmp_path: Path) -> None:
    """Cancelled while its claim commits, a run still releases it: no live claim is left."""
    server = NetworkServer()
    journal = StallingJournal(tmp_path / "j.sqlite")
    async with client_for(server) as client, anyio.create_task_group() as tg:

        async def run() -> None:
            await client.network.share_all(
                CARD, sender_id=SENDER, recipient_ids=ids(1), journal=journal
            )

        tg.start_soon(run)
        await journal.claimed.wait()
        tg.cancel_scope.cancel()
    assert await anyio.to_thread.run_sync(live_claims, tmp_path / "j.sqlite") == 0
    assert server.sends == 0
