"""
The share journals' contract: claims, leases, outcomes, duplicates; and bad journal files.

`SQLiteJournal` runs on asyncio and trio with a manual clock; `RedisJournal` (asyncio only)
against a real redis-server, its leases timed by Redis's clock.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from redis.asyncio import Redis

import onlyonce_async as oo
from onlyonce_async._journal import Claim, ClaimState, JobKey
from onlyonce_async.redis import RedisJournal
from tests._support.clocks import Clock
from tests._support.helpers import fast_client
from tests._support.network_server import CARD, SENDER, NetworkServer, ids
from tests._support.redis_server import RedisServer, running_redis_server

pytestmark = pytest.mark.anyio

JOB = JobKey(SENDER, CARD)


@pytest.fixture
def manual_clock() -> Clock:
    """A clock for SQLite leases."""
    return Clock(1_000_000.0)


@pytest.fixture
async def sqlite_journal(tmp_path: Path, manual_clock: Clock) -> AsyncIterator[oo.SQLiteJournal]:
    """An open SQLite journal on the manual clock, lease 60 s."""
    async with oo.SQLiteJournal(tmp_path / "j.sqlite", clock=manual_clock) as journal:
        yield journal


async def test_claim_states(sqlite_journal: oo.SQLiteJournal) -> None:
    """New, duplicate, busy for another run, succeeded with its id, failed claimed anew."""
    journal = sqlite_journal
    a, b = ids(2)
    request = uuid.uuid4()
    assert (await journal.claim(JOB, a, "run1", first_sight=True)).state is ClaimState.NEW
    assert (await journal.claim(JOB, a, "run1", first_sight=True)).state is ClaimState.DUPLICATE
    assert (await journal.claim(JOB, a, "run2", first_sight=True)).state is ClaimState.BUSY
    await journal.succeeded(JOB, a, request)
    claim = await journal.claim(JOB, a, "run2", first_sight=False)
    assert claim.state is ClaimState.SUCCEEDED
    assert claim.request_id == request
    assert (await journal.claim(JOB, b, "run1", first_sight=True)).state is ClaimState.NEW
    await journal.failed(JOB, b, "run1", "NotFoundError: no such profile")
    assert (await journal.claim(JOB, b, "run2", first_sight=True)).state is ClaimState.NEW


async def test_jobs_are_kept_apart(sqlite_journal: oo.SQLiteJournal) -> None:
    """One journal holds many jobs: the same recipient of another card is another entry."""
    person = uuid.uuid4()
    other = JobKey(SENDER, uuid.uuid4())
    await sqlite_journal.claim(JOB, person, "run1", first_sight=True)
    await sqlite_journal.succeeded(JOB, person, uuid.uuid4())
    claim = await sqlite_journal.claim(other, person, "run2", first_sight=True)
    assert claim.state is ClaimState.NEW


async def test_lapsed_lease_is_taken_over_and_renewal_keeps_it(
    sqlite_journal: oo.SQLiteJournal, manual_clock: Clock
) -> None:
    """A claim renewed stays held; once its lease runs out another run resumes it."""
    journal = sqlite_journal
    person = uuid.uuid4()
    await journal.claim(JOB, person, "dead", first_sight=True)
    manual_clock.now += 50
    assert await journal.renew(JOB, [person], "dead") == set()
    manual_clock.now += 50  # 100 s after the claim, 50 s after the renewal
    assert (await journal.claim(JOB, person, "next", first_sight=True)).state is ClaimState.BUSY
    manual_clock.now += 11
    claim = await journal.claim(JOB, person, "next", first_sight=False)
    assert claim.state is ClaimState.RESUMED
    assert await journal.renew(JOB, [person], "dead") == {person}


async def test_a_failure_never_overwrites_a_success(sqlite_journal: oo.SQLiteJournal) -> None:
    """A worker whose claim was taken over and succeeded cannot record a failure over it."""
    person = uuid.uuid4()
    await sqlite_journal.claim(JOB, person, "slow", first_sight=True)
    await sqlite_journal.add_existing(JOB, [(person, uuid.uuid4())])
    await sqlite_journal.failed(JOB, person, "slow", "ServerError: 500")
    claim = await sqlite_journal.claim(JOB, person, "next", first_sight=True)
    assert claim.state is ClaimState.SUCCEEDED


async def test_released_claim_is_resumed_at_once(sqlite_journal: oo.SQLiteJournal) -> None:
    """A released claim (unknown outcome) is looked up by the next run without waiting."""
    person = uuid.uuid4()
    await sqlite_journal.claim(JOB, person, "stopped", first_sight=True)
    await sqlite_journal.release(JOB, [person], "stopped")
    claim = await sqlite_journal.claim(JOB, person, "next", first_sight=True)
    assert claim.state is ClaimState.RESUMED


async def test_end_run_forgets_its_duplicates(sqlite_journal: oo.SQLiteJournal) -> None:
    """After a run ends, the same run token sees the recipient as new input again."""
    person = uuid.uuid4()
    await sqlite_journal.claim(JOB, person, "run", first_sight=True)
    await sqlite_journal.succeeded(JOB, person, uuid.uuid4())
    await sqlite_journal.end_run("run")
    claim = await sqlite_journal.claim(JOB, person, "run", first_sight=True)
    assert claim.state is ClaimState.SUCCEEDED


class SignallingJournal(oo.SQLiteJournal):
    """Sets `busy_seen` when a claim finds another worker's live lease."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.busy_seen = anyio.Event()

    async def claim(
        self, job: JobKey, recipient: uuid.UUID, run: str, *, first_sight: bool
    ) -> Claim:
        claim = await super().claim(job, recipient, run, first_sight=first_sight)
        if claim.state is ClaimState.BUSY:
            self.busy_seen.set()
        return claim


async def test_share_all_waits_for_a_live_claim_then_takes_it_over(
    tmp_path: Path, manual_clock: Clock
) -> None:
    """A recipient held by a dead worker is put aside, then taken over and looked up first."""
    server = NetworkServer()
    held, free = ids(2)
    journal = SignallingJournal(tmp_path / "j.sqlite", clock=manual_clock, lease=5.0)
    async with journal, fast_client(transport=httpx.MockTransport(server.handler)) as client:
        await journal.claim(JOB, held, "dead-worker", first_sight=True)
        result: list[oo.BulkShareReport] = []

        async def run() -> None:
            result.append(
                await client.network.share_all(
                    CARD, sender_id=SENDER, recipient_ids=[held, free], journal=journal
                )
            )

        async with anyio.create_task_group() as tg:
            tg.start_soon(run)
            await journal.busy_seen.wait()
            manual_clock.now += 6  # the dead worker's lease runs out
    (report,) = result
    assert {o.recipient_id for o in report.succeeded} == {held, free}
    assert server.lookups == 1  # the taken-over claim was looked up before its send
    assert server.count_for(held) == server.count_for(free) == 1


def read_only(path: Path) -> None:
    path.chmod(stat.S_IRUSR)
    for extra in path.parent.glob(path.name + "-*"):
        extra.unlink()


async def test_read_only_journal_fails_before_any_share(tmp_path: Path) -> None:
    """A journal file the process cannot write is a JournalError; nothing is sent."""
    if os.geteuid() == 0:
        # root writes through file modes; a file system that takes no new file stops it.
        path = Path("/proc/onlyonce-journal.sqlite")
    else:
        path = tmp_path / "ro.sqlite"
        async with oo.SQLiteJournal(path):
            pass
        await anyio.to_thread.run_sync(read_only, path)
    server = NetworkServer()
    async with fast_client(transport=httpx.MockTransport(server.handler)) as client:
        with pytest.raises(oo.JournalError, match="share journal"):
            await client.network.share_all(
                CARD, sender_id=SENDER, recipient_ids=ids(2), journal=oo.SQLiteJournal(path)
            )
    assert server.sends == server.sweeps == 0


def test_foreign_sqlite_file_is_left_untouched(tmp_path: Path) -> None:
    """Refusing a non-journal database changes nothing in it."""
    path = tmp_path / "app.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE users (name TEXT)")
        connection.execute("INSERT INTO users VALUES ('ann')")
    connection.close()
    before = path.read_bytes()

    async def open_it() -> None:
        async with oo.SQLiteJournal(path):
            pass

    with pytest.raises(oo.JournalError, match="not a share journal"):
        anyio.run(open_it)
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT name FROM users").fetchall() == [("ann",)]
    connection.close()
    assert path.read_bytes()[:100] == before[:100]


# RedisJournal: the same contract on Redis (asyncio only).


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    """One redis-server for the module."""
    with running_redis_server() as server:
        yield server


@pytest.fixture
async def redis_journal(redis_server: RedisServer) -> AsyncIterator[RedisJournal]:
    """A Redis journal on an emptied server, lease 0.3 s (Redis's clock)."""
    redis = Redis.from_url(redis_server.url)
    await redis.flushall()
    async with RedisJournal(redis, "onlyonce:job:test", lease=0.3) as journal:
        yield journal
    await redis.aclose()


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_redis_claim_states_and_lease(redis_journal: RedisJournal) -> None:
    """Redis: new, duplicate, busy, succeeded, failed anew, lapsed lease resumed."""
    journal = redis_journal
    a, b, c = ids(3)
    request = uuid.uuid4()
    assert (await journal.claim(JOB, a, "run1", first_sight=True)).state is ClaimState.NEW
    assert (await journal.claim(JOB, a, "run1", first_sight=True)).state is ClaimState.DUPLICATE
    assert (await journal.claim(JOB, a, "run2", first_sight=True)).state is ClaimState.BUSY
    await journal.succeeded(JOB, a, request)
    claim = await journal.claim(JOB, a, "run2", first_sight=False)
    assert (claim.state, claim.request_id) == (ClaimState.SUCCEEDED, request)
    await journal.claim(JOB, b, "run1", first_sight=True)
    await journal.failed(JOB, b, "run1", "NotFoundError: no such profile")
    assert (await journal.claim(JOB, b, "run2", first_sight=True)).state is ClaimState.NEW
    await journal.claim(JOB, c, "dead", first_sight=True)
    with anyio.fail_after(30):  # hang guard: Redis's clock passes the 0.3 s lease
        # The lease ends on Redis's clock, which sends no event: ask again.
        while (await journal.claim(JOB, c, "next", first_sight=False)).state is ClaimState.BUSY:  # noqa: ASYNC110
            await anyio.sleep(0.05)
    assert await journal.renew(JOB, [c], "dead") == {c}
    assert await journal.renew(JOB, [c], "next") == set()
    await journal.release(JOB, [c], "next")
    assert (await journal.claim(JOB, c, "third", first_sight=True)).state is ClaimState.RESUMED
    await journal.end_run("run1")
    assert (await journal.claim(JOB, a, "run1", first_sight=True)).state is ClaimState.SUCCEEDED


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_redis_journal_runs_a_job(redis_journal: RedisJournal) -> None:
    """share_all on a RedisJournal: a rerun sends nothing and yields every recipient."""
    server = NetworkServer()
    people = ids(25)
    async with fast_client(transport=httpx.MockTransport(server.handler)) as client:
        first = await client.network.share_all(
            CARD, sender_id=SENDER, recipient_ids=[*people, *people], journal=redis_journal
        )
        second = await client.network.share_all(
            CARD,
            sender_id=SENDER,
            recipient_ids=people,
            journal=redis_journal,
            skip_existing=False,
        )
    assert len(first.succeeded) == 25
    assert second.skipped == 25
    assert server.sends == 25


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_a_foreign_entry_in_the_redis_journal_is_a_journal_error(
    redis_journal: RedisJournal,
) -> None:
    """An entry something else wrote into the journal's keys is a JournalError when claimed,
    not a ValueError from parsing it; the run stops before any share is sent."""
    person = uuid.uuid4()
    await redis_journal.redis.hset(
        f"{{{redis_journal.key}}}:shares:{SENDER}:{CARD}", person.bytes, "S:not-a-uuid"
    )
    with pytest.raises(oo.JournalError, match="not a share journal's"):
        await redis_journal.claim(JOB, person, "run", first_sight=True)
    server = NetworkServer()
    async with fast_client(transport=httpx.MockTransport(server.handler)) as client:
        with pytest.raises(oo.JournalError):
            await client.network.share_all(
                CARD,
                sender_id=SENDER,
                recipient_ids=[person],
                journal=redis_journal,
                skip_existing=False,
            )
    assert server.sends == 0


@pytest.mark.parametrize("anyio_backend", ["trio"])
async def test_redis_journal_refuses_trio_clearly(redis_server: RedisServer) -> None:
    """Under trio, opening a RedisJournal says it is asyncio-only."""
    redis = Redis.from_url(redis_server.url)
    with pytest.raises(RuntimeError, match="asyncio-only"):
        await RedisJournal(redis, "k").open()


async def test_concurrent_claims_and_outcomes_never_stall(
    sqlite_journal: oo.SQLiteJournal,
) -> None:
    """Many tasks claiming while outcomes are written behind all finish (group commit)."""
    done = 0

    async def worker() -> None:
        nonlocal done
        for _ in range(30):
            person = uuid.uuid4()
            await sqlite_journal.claim(JOB, person, "run", first_sight=True)
            await sqlite_journal.succeeded(JOB, person, uuid.uuid4())
            done += 1

    with anyio.fail_after(60):  # a hang guard
        async with anyio.create_task_group() as tg:
            for _ in range(8):
                tg.start_soon(worker)
    assert done == 240
    claim = await sqlite_journal.claim(JOB, uuid.uuid4(), "other", first_sight=True)
    assert claim.state is ClaimState.NEW


class RenewSignallingJournal(oo.SQLiteJournal):
    """Sets `renewed` after each renewal."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.renewed = anyio.Event()

    async def renew(self, job: JobKey, recipients: Iterable[uuid.UUID], run: str) -> set[uuid.UUID]:
        lost = await super().renew(job, recipients, run)
        self.renewed.set()
        return lost


async def test_a_slow_share_keeps_its_claim_by_renewing_it(
    tmp_path: Path, manual_clock: Clock
) -> None:
    """A share in flight longer than the lease is not taken over: its claim is renewed."""
    server = NetworkServer()
    person = uuid.uuid4()
    arrived, answer = anyio.Event(), anyio.Event()
    original = server.handler

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            arrived.set()
            await answer.wait()
        return await original(request)

    server.handler = handler  # type: ignore[method-assign]
    path = tmp_path / "j.sqlite"
    journal = RenewSignallingJournal(path, clock=manual_clock, lease=3.0)
    transport = httpx.MockTransport(server.handler)
    async with fast_client(transport=transport) as client, anyio.create_task_group() as tg:

        async def run() -> None:
            await client.network.share_all(
                CARD, sender_id=SENDER, recipient_ids=[person], journal=journal
            )

        tg.start_soon(run)
        await arrived.wait()
        manual_clock.now += 2.7
        journal.renewed = anyio.Event()
        await journal.renewed.wait()  # renewed after the clock moved
        manual_clock.now += 2.7  # 5.4 s after the claim, 2.7 s after the renewal
        async with oo.SQLiteJournal(path, clock=manual_clock, lease=3.0) as other:
            claim = await other.claim(JOB, person, "other-worker", first_sight=True)
        assert claim.state is ClaimState.BUSY
        answer.set()
    assert server.count_for(person) == 1


async def test_many_processes_may_create_the_journal_at_once(tmp_path: Path) -> None:
    """Journals opened at the same moment on a new file all open (WAL set once, no lock error)."""
    for attempt in range(10):
        path = tmp_path / f"new-{attempt}.sqlite"
        journals = [oo.SQLiteJournal(path) for _ in range(6)]
        async with anyio.create_task_group() as tg:
            for journal in journals:
                tg.start_soon(journal.open)
        for journal in journals:
            await journal.aclose()
