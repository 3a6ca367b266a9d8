"""
Several worker processes on one journal, against one sandbox served over TCP (asyncio only:
uvicorn and redis-py's asyncio client). Duplicates are counted in the sandbox's state.

Two and three processes on one SQLite file and on one `RedisJournal` split the recipients
and send nobody two requests; a worker killed with SIGKILL mid-run leaves claims in flight
that a resumed worker takes over once their lease runs out, looking each up before any send.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import anyio.to_thread
import pytest
from redis import Redis as SyncRedis

from onlyonce_async.testing import Sandbox
from tests._support.backends import asyncio_backend  # noqa: F401 (uvicorn, redis-py's asyncio client)
from tests._support.processes import ROOT
from tests._support.redis_server import RedisServer, running_redis_server

pytestmark = pytest.mark.anyio

WORKER = ROOT / "tests" / "bulk_journal_worker.py"
PASSWORD, PASS_PHRASE = "owner-pw-1", "owner-phrase"


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    """One redis-server for the module."""
    with running_redis_server() as server:
        yield server


class Job:
    """An owner with a card, recipients written to a file, and the sandbox serving them."""

    def __init__(self, sandbox: Sandbox, base_url: str, tmp_path: Path, recipients: int) -> None:
        self.sandbox = sandbox
        self.base_url = base_url
        self.tmp_path = tmp_path
        owner = sandbox.create_user(
            email="owner@example.com", password=PASSWORD, pass_phrase=PASS_PHRASE
        )
        self.owner = owner
        users = [
            sandbox.create_user(email=f"r{n}@example.com", password="pw", pass_phrase="p")
            for n in range(recipients)
        ]
        self.people = [user.profile_id for user in users]
        self.recipients = tmp_path / "recipients.txt"
        self.recipients.write_text("".join(f"{p}\n" for p in self.people))
        self.card = uuid.UUID(int=0)

    async def make_card(self) -> None:
        async with self.sandbox.client(rate_limiter=None) as client:
            await client.account.sign_in(self.owner.email, PASSWORD)
            await client.profiles.enable_access(self.owner.profile_id, PASS_PHRASE)
            fields = await client.datastore.get(self.owner.profile_id)
            self.card = await client.cards.create(
                self.owner.profile_id, name="card", fields=[f.id for f in fields if f.id]
            )

    def config(self, journal: dict[str, str], *, lease: float, concurrency: int = 4) -> str:
        return json.dumps(
            {
                "base_url": self.base_url,
                "email": self.owner.email,
                "password": PASSWORD,
                "pass_phrase": PASS_PHRASE,
                "sender": str(self.owner.profile_id),
                "card": str(self.card),
                "recipients": str(self.recipients),
                "journal": journal,
                "lease": lease,
                "concurrency": concurrency,
            }
        )

    def shares(self) -> Counter[uuid.UUID]:
        return Counter(
            r.recipient_id for r in self.sandbox.share_requests() if r.card_id == self.card
        )

    def duplicates(self) -> int:
        return sum(n - 1 for n in self.shares().values())


@asynccontextmanager
async def job(tmp_path: Path, recipients: int) -> AsyncIterator[Job]:
    sandbox = Sandbox(rate_limit=None)
    async with sandbox.serve_tcp() as base_url:
        the_job = Job(sandbox, base_url, tmp_path, recipients)
        await the_job.make_card()
        yield the_job


def worker_env() -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


class Worker:
    """One worker process, read line by line."""

    def __init__(self, config: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER), config],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=worker_env(),
            text=True,
        )
        self.outcomes = 0

    async def line(self) -> str:
        assert self.process.stdout is not None
        with anyio.fail_after(120):  # a hang guard, not a timing assert
            text: str = await anyio.to_thread.run_sync(self.process.stdout.readline)
        if not text:
            stderr = self.process.stderr.read() if self.process.stderr else ""
            pytest.fail(f"worker exited early: {stderr}")
        return text.strip()

    async def ready(self) -> None:
        assert await self.line() == "ready"

    def go(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    async def summary(self) -> dict[str, int]:
        while (text := await self.line()) == "outcome":
            self.outcomes += 1
        result: dict[str, int] = json.loads(text)
        await anyio.to_thread.run_sync(self.process.wait)
        self.close()
        return result

    async def wait_for_outcomes(self, count: int) -> None:
        while self.outcomes < count:
            assert await self.line() == "outcome"
            self.outcomes += 1

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.close()

    def close(self) -> None:
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


async def run_together(configs: list[str]) -> list[dict[str, int]]:
    workers = [Worker(config) for config in configs]
    try:
        for worker in workers:
            await worker.ready()
        for worker in workers:
            worker.go()
        return [await worker.summary() for worker in workers]
    finally:
        for worker in workers:
            if worker.process.poll() is None:
                worker.kill()


def sqlite_journal(tmp_path: Path) -> dict[str, str]:
    return {"sqlite": str(tmp_path / "job.sqlite")}


def redis_journal(redis_server: RedisServer) -> dict[str, str]:
    return {"redis": redis_server.url, "key": f"onlyonce:job:{uuid.uuid4().hex}"}


@pytest.mark.parametrize("workers", [2, 3])
@pytest.mark.parametrize("store", ["sqlite", "redis"])
async def test_workers_split_the_job_with_no_duplicates(
    tmp_path: Path, redis_server: RedisServer, workers: int, store: str
) -> None:
    """N processes on one journal: every recipient shared once, each worker sending some."""
    async with job(tmp_path, 150) as the_job:
        # Slow answers keep the job going for seconds, so every worker gets a share of it
        # even on a loaded machine (one worker alone would take about 2 s).
        the_job.sandbox.faults(latency=(0.03, 0.06))
        journal = sqlite_journal(tmp_path) if store == "sqlite" else redis_journal(redis_server)
        config = the_job.config(journal, lease=30.0)
        summaries = await run_together([config] * workers)
        the_job.sandbox.faults()
        assert the_job.duplicates() == 0
        assert set(the_job.shares()) == set(the_job.people)
    for summary in summaries:
        # Each worker yields one outcome per recipient; together they send each once.
        assert summary["sent"] + summary["skipped"] == 150
        assert summary["failed"] == summary["unknown"] == 0
        assert summary["sent"] > 0
    assert sum(s["sent"] for s in summaries) == 150


def in_flight_claims(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        (count,) = connection.execute(
            "SELECT count(*) FROM shares WHERE state = 0 AND owner IS NOT NULL"
        ).fetchone()
    connection.close()
    return int(count)


def redis_claims(journal: dict[str, str], the_job: Job) -> int:
    client = SyncRedis.from_url(journal["redis"])
    try:
        key = f"{{{journal['key']}}}:shares:{the_job.owner.profile_id}:{the_job.card}"
        values: list[bytes] = client.hvals(key)  # type: ignore[assignment]
    finally:
        client.close()
    return len([v for v in values if v.startswith(b"F:") and not v.startswith(b"F::")])


@pytest.mark.parametrize("store", ["sqlite", "redis"])
async def test_sigkill_then_resume_takes_over_the_claims(
    tmp_path: Path, redis_server: RedisServer, store: str
) -> None:
    """A worker killed mid-run: the resumed one takes its lapsed claims over, 0 duplicates."""
    async with job(tmp_path, 80) as the_job:
        the_job.sandbox.faults(latency=(0.05, 0.1))
        journal = sqlite_journal(tmp_path) if store == "sqlite" else redis_journal(redis_server)
        config = the_job.config(journal, lease=1.0, concurrency=8)
        first = Worker(config)
        await first.ready()
        first.go()
        await first.wait_for_outcomes(10)
        first.kill()
        before = sum(the_job.shares().values())
        assert 10 <= before < 80
        # The killed worker left live claims for the resumed one to take over.
        if store == "sqlite":
            assert in_flight_claims(tmp_path / "job.sqlite") > 0
        else:
            assert redis_claims(journal, the_job) > 0
        the_job.sandbox.faults()
        (summary,) = await run_together([config])
        assert the_job.duplicates() == 0
        assert set(the_job.shares()) == set(the_job.people)
    assert summary["sent"] + summary["skipped"] == 80
    assert summary["failed"] == summary["unknown"] == 0
    assert summary["skipped"] >= before


async def test_bad_redis_journal_fails_before_any_share(tmp_path: Path) -> None:
    """An unreachable Redis is a JournalError before the sweep or any share."""
    from redis.asyncio import Redis

    import onlyonce_async as oo
    from onlyonce_async.redis import RedisJournal
    from tests._support.redis_server import free_port

    async with job(tmp_path, 3) as the_job:
        redis = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)
        journal = RedisJournal(redis, "onlyonce:job:x")
        async with the_job.sandbox.client(rate_limiter=None) as client:
            await client.account.sign_in(the_job.owner.email, PASSWORD)
            await client.profiles.enable_access(the_job.owner.profile_id, PASS_PHRASE)
            with pytest.raises(oo.JournalError, match="onlyonce:job:x"):
                await client.network.share_all(
                    the_job.card,
                    sender_id=the_job.owner.profile_id,
                    recipient_ids=the_job.people,
                    journal=journal,
                )
        await redis.aclose()
        assert the_job.shares() == Counter()
