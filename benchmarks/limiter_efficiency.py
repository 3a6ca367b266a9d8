"""
Limiter efficiency: 5 x limit shares at a scaled quota, against the sandbox's own limit.

Side by side: our `SlidingWindowRateLimiter`, aiolimiter's `AsyncLimiter` at the same
nominal rate (a leaky bucket), and no limiter at all. Reported: the steady-state rate (shares
completed after the first window, over the time they took) as a fraction of the quota, and
the 429s the sandbox had to send.
"""

from __future__ import annotations

import time

import anyio
from aiolimiter import AsyncLimiter

from onlyonce_async import BearerAuth, RateLimiter, SlidingWindowRateLimiter
from onlyonce_async.testing import Sandbox

from ._report import table
from ._setup import build_scene

LIMIT, PERIOD = 30, 1.0


class AioLimiterAdapter:
    """aiolimiter's leaky bucket behind our RateLimiter protocol (it has no penalize)."""

    def __init__(self, limit: int, period: float) -> None:
        self._bucket = AsyncLimiter(limit, period)

    async def acquire(self) -> None:
        await self._bucket.acquire()

    async def penalize(self, seconds: float) -> None:
        return None


async def run_variant(name: str, limiter: RateLimiter | None) -> list[object]:
    sandbox = Sandbox(rate_limit=(LIMIT, PERIOD))
    async with sandbox.client(rate_limiter=SlidingWindowRateLimiter(LIMIT, PERIOD)) as setup:
        scene = await build_scene(sandbox, setup, 5 * LIMIT, name)
    await anyio.sleep(PERIOD + 0.1)  # let the set-up requests leave the sandbox's window
    rate_limited_before = sandbox.stats.rate_limited
    done_at: list[float] = []
    async with sandbox.client(rate_limiter=limiter, auth=BearerAuth(scene.token)) as client:
        start = time.monotonic()
        report = await client.network.share_all(
            scene.card_id,
            sender_id=scene.sender_id,
            recipient_ids=scene.recipients,
            concurrency=16,
            on_progress=lambda done, total: done_at.append(time.monotonic()),
        )
    elapsed = time.monotonic() - start
    steady = (len(done_at) - LIMIT) / (done_at[-1] - done_at[LIMIT - 1])
    quota = LIMIT / PERIOD
    return [
        name,
        len(report.succeeded),
        len(report.failed),
        elapsed,
        steady,
        f"{100 * steady / quota:.1f} %",
        sandbox.stats.rate_limited - rate_limited_before,
    ]


async def main() -> str:
    rows = [
        await run_variant("SlidingWindowRateLimiter", SlidingWindowRateLimiter(LIMIT, PERIOD)),
        await run_variant("aiolimiter.AsyncLimiter", AioLimiterAdapter(LIMIT, PERIOD)),
        await run_variant("no limiter", None),
    ]
    return table(
        f"limiter efficiency: {5 * LIMIT} shares, quota {LIMIT} per {PERIOD:g} s",
        ["limiter", "ok", "failed", "elapsed s", "steady rate/s", "of quota", "sandbox 429s"],
        rows,
    )


if __name__ == "__main__":
    print(anyio.run(main, backend="asyncio"))
