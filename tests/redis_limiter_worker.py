"""
One worker process of the Redis rate-limiter tests (run as a script, prints JSON).

Usage::

    python redis_limiter_worker.py acquire URL KEY LIMIT PERIOD COUNT
    python redis_limiter_worker.py penalize URL KEY LIMIT PERIOD SECONDS

``acquire`` prints ``ready``, reads a wall-clock start time from stdin, waits for it, then
acquires ``COUNT`` times and prints the Redis-server times of its grants
as JSON; ``penalize`` pauses the key.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import anyio

from onlyonce_async.redis import RedisRateLimiter


async def _acquire_loop(limiter: RedisRateLimiter, count: int) -> None:
    # Start-up takes seconds on a loaded machine: say "ready", then wait for the start time.
    await limiter.redis.ping()
    print("ready", flush=True)
    start_at = float(await anyio.to_thread.run_sync(sys.stdin.readline))
    grants: list[float] = []
    await asyncio.sleep(max(0.0, start_at - time.time()))
    # A count, not a duration: how many grants fit in a time depends on the machine's load.
    for _ in range(count):
        granted_at = await limiter.acquire_slot()
        assert granted_at is not None
        grants.append(granted_at)
    print(json.dumps(grants))


async def _main(argv: list[str]) -> None:
    mode, url, key, limit, period, *rest = argv
    async with RedisRateLimiter.from_url(url, key, int(limit), float(period)) as limiter:
        if mode == "acquire":
            await _acquire_loop(limiter, int(rest[0]))
        elif mode == "penalize":
            await limiter.penalize(float(rest[0]))
        else:
            raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1:]))
