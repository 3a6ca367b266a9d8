"""
Throughput: `share_many` against a hand-written raw-httpx + semaphore loop.

Both send the same ``POST /requests`` to the same in-process sandbox (quota off) with the
same concurrency; the SDK's extra work (validation, retry bookkeeping, decoding into models,
exactly-once reconciliation) should cost little.
"""

from __future__ import annotations

import time

import anyio
import httpx

from onlyonce_async import BearerAuth, SlidingWindowRateLimiter
from onlyonce_async.testing import Sandbox

from ._report import table
from ._setup import Scene, build_scene

SHARES = 2_000
CONCURRENCY = 8


async def with_sdk(sandbox: Sandbox, scene: Scene) -> float:
    async with sandbox.client(rate_limiter=None, auth=BearerAuth(scene.token)) as client:
        start = time.perf_counter()
        ok = 0
        async for outcome in client.network.share_many(
            scene.card_id,
            sender_id=scene.sender_id,
            recipient_ids=scene.recipients,
            concurrency=CONCURRENCY,
        ):
            ok += outcome.ok
        elapsed = time.perf_counter() - start
    assert ok == len(scene.recipients), ok
    return elapsed


async def with_raw_httpx(sandbox: Sandbox, scene: Scene) -> float:
    semaphore = anyio.Semaphore(CONCURRENCY)
    headers = {"Authorization": f"Bearer {scene.token}"}
    async with httpx.AsyncClient(
        transport=sandbox.transport(), base_url="https://sandbox.onlyonce.test/v2/"
    ) as http:

        async def one(recipient: object) -> None:
            async with semaphore:
                body = {
                    "cardId": str(scene.card_id),
                    "sender": {"id": str(scene.sender_id)},
                    "recipient": {"id": str(recipient)},
                    "reversed": False,
                }
                response = await http.post("requests", json=body, headers=headers)
                response.raise_for_status()
                response.json()

        start = time.perf_counter()
        async with anyio.create_task_group() as tg:
            for recipient in scene.recipients:
                tg.start_soon(one, recipient)
        return time.perf_counter() - start


async def main() -> str:
    sandbox = Sandbox(rate_limit=None)
    async with sandbox.client(rate_limiter=SlidingWindowRateLimiter(10_000, 1.0)) as setup:
        sdk_scene = await build_scene(sandbox, setup, SHARES, "sdk")
        raw_scene = await build_scene(sandbox, setup, SHARES, "raw")
    raw = await with_raw_httpx(sandbox, raw_scene)
    sdk = await with_sdk(sandbox, sdk_scene)
    return table(
        f"throughput: {SHARES:,} shares, concurrency {CONCURRENCY}, in-process sandbox",
        ["client", "elapsed s", "shares/s", "relative"],
        [
            ["raw httpx + semaphore", raw, SHARES / raw, 1.0],
            ["share_many", sdk, SHARES / sdk, raw / sdk],
        ],
    )


if __name__ == "__main__":
    print(anyio.run(main, backend="asyncio"))
