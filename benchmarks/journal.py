"""
Durable bulk jobs: what a `SQLiteJournal` costs, and what it saves.

- throughput: `share_many` with a `SQLiteJournal` vs without, in-process sandbox, quota off
  (target: at least 0.8 times as fast); rounds interleaved (order alternating), medians.
- memory: peak RSS of `share_many` with a journal at 1,000,000 vs 100,000 recipients, each in
  a fresh process against a stateless responder (target: at most 1.2 times).
- rerun: requests sent by running a finished 10,000-recipient job again, with its journal
  and without one (target: at most 1.1 x 100, one page of 100 per existing share).

``python -m benchmarks journal`` runs them; ``--quick`` (or ``ONLYONCE_BENCH_QUICK=1``) uses
small sizes: 300 shares, 10,000 vs 100,000 recipients, a 1,000-recipient rerun.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import anyio
import anyio.to_thread
import httpx

from onlyonce_async import BearerAuth, Client, SlidingWindowRateLimiter, SQLiteJournal
from onlyonce_async.testing import Sandbox

from ._report import table
from ._setup import Scene, build_scene

CONCURRENCY = 8


def quick() -> bool:
    """Whether to run the small sizes."""
    return os.environ.get("ONLYONCE_BENCH_QUICK", "") not in ("", "0") or "--quick" in sys.argv


# Throughput.


async def timed_run(sandbox: Sandbox, scene: Scene, journal: Path | None) -> float:
    async with sandbox.client(rate_limiter=None, auth=BearerAuth(scene.token)) as client:
        start = time.perf_counter()
        ok = 0
        async for outcome in client.network.share_many(
            scene.card_id,
            sender_id=scene.sender_id,
            recipient_ids=scene.recipients,
            concurrency=CONCURRENCY,
            journal=None if journal is None else SQLiteJournal(journal),
        ):
            ok += outcome.ok and not outcome.skipped
        elapsed = time.perf_counter() - start
    assert ok == len(scene.recipients), ok
    return elapsed


async def throughput(directory: Path) -> str:
    shares, rounds = (300, 3) if quick() else (2_000, 3)
    plain: list[float] = []
    journaled: list[float] = []
    for number in range(rounds):
        sandbox = Sandbox(rate_limit=None)
        async with sandbox.client(rate_limiter=SlidingWindowRateLimiter(10_000, 1.0)) as setup:
            a = await build_scene(sandbox, setup, shares, f"plain{number}")
            b = await build_scene(sandbox, setup, shares, f"journal{number}")
        journal = directory / f"throughput-{number}.sqlite"
        order = [(a, None), (b, journal)] if number % 2 == 0 else [(b, journal), (a, None)]
        for scene, path in order:
            elapsed = await timed_run(sandbox, scene, path)
            (plain if path is None else journaled).append(elapsed)
    base, with_journal = statistics.median(plain), statistics.median(journaled)
    return table(
        f"journal throughput: {shares:,} shares, concurrency {CONCURRENCY}, in-process sandbox, "
        f"quota off, median of {rounds} interleaved rounds (target >= 0.8x)",
        ["share_many", "elapsed s", "shares/s", "relative"],
        [
            ["without a journal", base, shares / base, 1.0],
            ["with SQLiteJournal", with_journal, shares / with_journal, base / with_journal],
        ],
    )


# Memory.

PROFILE = {
    "id": "00000000-0000-4000-8000-000000000000",
    "onlyonceId": 1,
    "type": "PERSONAL",
    "publicCardId": "00000000-0000-4000-8000-000000000001",
}


def respond(request: httpx.Request) -> httpx.Response:
    if request.method == "GET":  # the sweep: nothing shared yet
        return httpx.Response(200, json={"last": True, "total": 0, "content": []})
    body = json.loads(request.content)
    return httpx.Response(
        200,
        json={
            "id": str(uuid.uuid4()),
            "sender": {**PROFILE, "id": body["sender"]["id"]},
            "recipient": {**PROFILE, "id": body["recipient"]["id"]},
            "cardId": body["cardId"],
            "status": "PENDING",
        },
    )


def recipients(count: int) -> Iterator[uuid.UUID]:
    for _ in range(count):
        yield uuid.uuid4()


async def memory_child(count: int, path: str) -> None:
    async with Client(transport=httpx.MockTransport(respond), rate_limiter=None) as client:
        ok = 0
        async for outcome in client.network.share_many(
            uuid.uuid4(),
            sender_id=uuid.uuid4(),
            recipient_ids=recipients(count),
            concurrency=CONCURRENCY,
            journal=SQLiteJournal(path),
        ):
            ok += outcome.ok
    assert ok == count, ok
    print(peak_rss_kib())


def peak_rss_kib() -> int:
    """
    This process's peak RSS in KiB: ``VmHWM`` where Linux has it, else ``ru_maxrss``.

    ``ru_maxrss`` keeps the parent's peak across ``fork``/``exec`` on Linux, so a child of a
    big benchmark process would report the parent's size; ``VmHWM`` is the child's own.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def measure(count: int, directory: Path) -> int:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.journal", "child", str(count), str(directory)],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(out.stdout.strip().splitlines()[-1])


async def memory(directory: Path) -> str:
    small, large = (10_000, 100_000) if quick() else (100_000, 1_000_000)
    rss_small = await anyio.to_thread.run_sync(measure, small, directory / "small.sqlite")
    rss_large = await anyio.to_thread.run_sync(measure, large, directory / "large.sqlite")
    return table(
        "journal memory: peak RSS of share_many with a SQLiteJournal (fresh process each; "
        "target <= 1.2x)",
        ["recipients", "peak RSS MiB", f"ratio to {small:,}"],
        [
            [f"{small:,}", rss_small / 1024, 1.0],
            [f"{large:,}", rss_large / 1024, rss_large / rss_small],
        ],
    )


# Requests sent by a rerun.


class Counting(httpx.AsyncBaseTransport):
    """Counts the requests passed to the wrapped transport."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.gets = 0
        self.posts = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            self.gets += 1
        else:
            self.posts += 1
        return await self.inner.handle_async_request(request)


async def rerun(directory: Path) -> str:
    size = 1_000 if quick() else 10_000
    sandbox = Sandbox(rate_limit=None)
    async with sandbox.client(rate_limiter=SlidingWindowRateLimiter(100_000, 1.0)) as setup:
        scene = await build_scene(sandbox, setup, size, "rerun")
    path = directory / "rerun.sqlite"
    rows = []
    runs = [
        ("first run (journal)", path),
        ("rerun, same journal", path),
        ("rerun, no journal (sweep only)", None),
    ]
    for label, journal in runs:
        counting = Counting(sandbox.transport())
        async with Client(
            base_url="https://sandbox.onlyonce.test/v2/",
            transport=counting,
            auth=BearerAuth(scene.token),
            rate_limiter=None,
        ) as client:
            report = await client.network.share_all(
                scene.card_id,
                sender_id=scene.sender_id,
                recipient_ids=scene.recipients,
                concurrency=CONCURRENCY,
                journal=None if journal is None else SQLiteJournal(journal),
            )
        assert len(report.succeeded) == size, report.total
        rows.append(
            [label, counting.gets, counting.posts, counting.gets + counting.posts, report.skipped]
        )
    target = 1.1 * size / 100
    return table(
        f"journal rerun: requests sent for a finished {size:,}-recipient job "
        f"(target <= {target:,.0f} on a rerun)",
        ["run", "GET", "POST", "requests", "skipped"],
        rows,
    )


async def main() -> str:
    with tempfile.TemporaryDirectory(prefix="onlyonce-bench-") as name:
        directory = Path(name)
        parts = [await throughput(directory), await rerun(directory), await memory(directory)]
    return "\n\n".join(parts)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        anyio.run(memory_child, int(sys.argv[2]), sys.argv[3], backend="asyncio")
    else:
        print(anyio.run(main, backend="asyncio"))
