"""
Throughput: `share_many` against a raw worker loop, on a stateless app and on the sandbox.

`share_many` (concurrency 8) against 8 raw-httpx workers taking recipients from one iterator
and posting each (issue 14's targets: >= 0.85x on the stateless app, >= 0.95x on the
sandbox). Beside them, for reference, the same 8 workers each calling the typed
`network.share`: one typed share call (its `ShareBody` built, the `ShareRequest` answer
decoded) with no bulk machinery; `share_many` decodes an answer only when its outcome's
`request` is read, which this benchmark does not do. The stateless app
answers every share with one prepared body, so the SDK's own cost shows; the in-process
sandbox (quota off) gets fresh recipients every round. The SDK runs with the default
limiter on (it never waits: see `_stateless.default_limiter`). One run; the three loops'
rounds interleaved (their order rotating); medians over the rounds, and the lowest and
highest ratio of a single round beside them (the noise to read the ratio with). Times are this
process's CPU time: everything runs in-process and nothing waits on I/O, so other work on
the machine does not skew them. Each loop starts its clock on a collected heap, so the
garbage of set-ups and earlier loops is not collected on its time.
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any

import anyio
import httpx

from onlyonce_async import BearerAuth, Client
from onlyonce_async.testing import BASE_URL, Sandbox

from ._report import table
from ._setup import build_scene
from ._stateless import (
    BENCH_URL,
    TOKEN,
    StatelessApp,
    default_limiter,
    interleaved_rounds,
    quick,
    share_template,
    start_clock,
)

#: (rounds, shares per round), normal and --quick.
SIZES, QUICK_SIZES = (7, 600), (3, 200)
CONCURRENCY = 8


async def in_workers(worker: Callable[[], Coroutine[Any, Any, None]]) -> float:
    """CPU seconds for ``CONCURRENCY`` copies of ``worker`` to finish, run side by side."""
    start = start_clock()
    async with anyio.create_task_group() as tg:
        for _ in range(CONCURRENCY):
            tg.start_soon(worker)
    return time.process_time() - start


async def raw_worker_loop(
    http: httpx.AsyncClient,
    token: str,
    card_id: uuid.UUID,
    sender: uuid.UUID,
    people: list[uuid.UUID],
) -> float:
    """8 workers posting one share each per recipient taken from one iterator; seconds."""
    headers = {"Authorization": f"Bearer {token}"}
    recipients: Iterator[uuid.UUID] = iter(people)

    async def worker() -> None:
        for recipient in recipients:
            body = {
                "cardId": str(card_id),
                "sender": {"id": str(sender)},
                "recipient": {"id": str(recipient)},
                "reversed": False,
            }
            response = await http.post("requests", json=body, headers=headers)
            response.raise_for_status()
            response.json()

    return await in_workers(worker)


async def typed_worker_loop(
    client: Client, card_id: uuid.UUID, sender: uuid.UUID, people: list[uuid.UUID]
) -> float:
    """The raw loop's 8 workers, each share a typed `network.share` call; seconds."""
    recipients: Iterator[uuid.UUID] = iter(people)

    async def worker() -> None:
        for recipient in recipients:
            await client.network.share(card_id, sender_id=sender, recipient_id=recipient)

    return await in_workers(worker)


async def sdk_share_many(
    client: Client, card_id: uuid.UUID, sender: uuid.UUID, people: list[uuid.UUID]
) -> float:
    """`share_many` over the recipients; seconds."""
    start = start_clock()
    ok = 0
    async for outcome in client.network.share_many(
        card_id, sender_id=sender, recipient_ids=people, concurrency=CONCURRENCY
    ):
        ok += outcome.ok
    elapsed = time.process_time() - start
    assert ok == len(people), ok
    return elapsed


async def share_row_stateless(app: StatelessApp, rounds: int, shares: int) -> list[object]:
    """The stateless-app row: the same recipients every round (the app keeps nothing)."""
    card_id = uuid.UUID(app.share["cardId"])
    sender = uuid.UUID(app.share["sender"]["id"])
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BENCH_URL) as http,
        Client(
            base_url=BENCH_URL,
            transport=httpx.ASGITransport(app=app),
            auth=BearerAuth(TOKEN),
            rate_limiter=default_limiter(),
        ) as client,
    ):
        people = [uuid.uuid4() for _ in range(shares)]
        times = await interleaved_rounds(
            rounds,
            lambda: raw_worker_loop(http, TOKEN, card_id, sender, people),
            lambda: typed_worker_loop(client, card_id, sender, people),
            lambda: sdk_share_many(client, card_id, sender, people),
        )
    return _share_row("stateless app", shares, times, 0.85)


async def share_row_sandbox(rounds: int, shares: int) -> list[object]:
    """The sandbox row: fresh owner, card and recipients for every round."""
    sandbox = Sandbox(rate_limit=None)
    tags = iter(range(10_000))
    async with (
        sandbox.client(rate_limiter=None) as setup,
        httpx.AsyncClient(transport=sandbox.transport(), base_url=BASE_URL) as http,
    ):

        async def raw() -> float:
            scene = await build_scene(sandbox, setup, shares, f"raw{next(tags)}")
            return await raw_worker_loop(
                http, scene.token, scene.card_id, scene.sender_id, scene.recipients
            )

        def sdk(loop: Callable[..., Awaitable[float]]) -> Callable[[], Awaitable[float]]:
            async def run() -> float:
                scene = await build_scene(sandbox, setup, shares, f"sdk{next(tags)}")
                async with sandbox.client(
                    rate_limiter=default_limiter(), auth=BearerAuth(scene.token)
                ) as client:
                    return await loop(client, scene.card_id, scene.sender_id, scene.recipients)

            return run

        times = await interleaved_rounds(rounds, raw, sdk(typed_worker_loop), sdk(sdk_share_many))
    return _share_row("in-process sandbox", shares, times, 0.95)


def _share_row(server: str, shares: int, times: list[list[float]], target: float) -> list[object]:
    """The table row of one server from each loop's times (raw, typed, share_many)."""
    raw_s, typed_s, sdk_s = (statistics.median(loop) for loop in times)
    ratio = raw_s / sdk_s
    # How far single rounds stray from the medians' ratio: the noise to read the ratio with.
    each = [raw / sdk for raw, sdk in zip(times[0], times[2], strict=True)]
    verdict = "yes" if ratio >= target else "NO"
    return [
        server,
        shares / raw_s,
        shares / typed_s,
        raw_s / typed_s,
        shares / sdk_s,
        ratio,
        f"{min(each):.2f}-{max(each):.2f}",
        f">= {target}x",
        verdict,
    ]


async def main() -> str:
    app = StatelessApp(await share_template())
    rounds, shares = QUICK_SIZES if quick() else SIZES
    return table(
        f"throughput: share_many vs a raw worker loop, {shares} shares, concurrency "
        f"{CONCURRENCY} ({rounds} interleaved rounds, medians)",
        [
            "server",
            "raw shares/s",
            "network.share loop shares/s",
            "loop / raw",
            "share_many shares/s",
            "share_many / raw",
            "single rounds",
            "target",
            "met",
        ],
        [
            await share_row_stateless(app, rounds, shares),
            await share_row_sandbox(rounds, shares),
        ],
    )


if __name__ == "__main__":
    print(anyio.run(main, backend="asyncio"))
