"""
`limiter.stats()`: the quota now, on the in-process limiter and on the Redis one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import anyio
import anyio.lowlevel
import pytest
from redis.asyncio import Redis

from onlyonce_async import LimiterStats, SlidingWindowRateLimiter
from onlyonce_async.redis import RedisRateLimiter
from tests._support.backends import asyncio_only
from tests._support.clocks import Clock
from tests._support.redis_server import RedisServer, running_redis_server


@pytest.mark.anyio
async def test_sliding_window_stats_follow_the_window() -> None:
    """Used, next free slot and pause follow acquisitions, the clock and a penalty."""
    clock = Clock(100.0)
    limiter = SlidingWindowRateLimiter(3, 10.0, margin=0.0, clock=clock)
    assert limiter.stats() == LimiterStats(
        limit=3, period=10.0, used=0, waiting=0, next_slot_in=0.0, paused_for=0.0
    )
    for _ in range(3):
        await limiter.acquire()
    assert (limiter.stats().used, limiter.stats().next_slot_in) == (3, 10.0)
    clock.advance(4)
    await limiter.penalize(5)
    stats = limiter.stats()
    assert (stats.next_slot_in, stats.paused_for) == (6.0, 5.0)
    clock.advance(7)
    assert limiter.stats() == LimiterStats(
        limit=3, period=10.0, used=0, waiting=0, next_slot_in=0.0, paused_for=0.0
    )


@pytest.mark.parametrize(
    ("used", "waiting", "paused", "requests", "expected"),
    [
        pytest.param(0, 0, 0.0, 0, 0.0, id="nothing-to-send"),
        pytest.param(2, 0, 0.0, 8, 0.0, id="fits-this-window"),
        pytest.param(10, 0, 0.0, 5, 3.0 + 5.0, id="next-window"),
        pytest.param(4, 2, 0.0, 10, 6.0, id="waiters-first"),
        pytest.param(0, 0, 30.0, 20, 30.0 + 10.0, id="paused"),
    ],
)
def test_seconds_for_estimates_an_eta(
    used: int, waiting: int, paused: float, requests: int, expected: float
) -> None:
    """The pause, the free slots now, then limit per period, waiters first."""
    stats = LimiterStats(
        limit=10,
        period=10.0,
        used=used,
        waiting=waiting,
        next_slot_in=max(paused, 3.0 if used >= 10 else 0.0),
        paused_for=paused,
    )
    assert stats.seconds_for(requests) == expected


@pytest.mark.anyio
async def test_sliding_window_stats_count_waiters() -> None:
    """A caller waiting for a slot is counted while it waits, and no longer once cancelled."""
    limiter = SlidingWindowRateLimiter(1, 1000.0, clock=Clock(0.0))
    await limiter.acquire()
    async with anyio.create_task_group() as tg:
        tg.start_soon(limiter.acquire)
        tg.start_soon(limiter.acquire)
        await anyio.wait_all_tasks_blocked()
        assert limiter.stats().waiting == 2
        tg.cancel_scope.cancel()
    assert limiter.stats().waiting == 0
    assert limiter.stats().used == 1


@asyncio_only  # redis-py's asyncio client runs on asyncio only
class TestRedis:
    """The same snapshot read from Redis by one read-only script (asyncio only)."""

    @pytest.fixture
    def redis_server(self) -> Iterator[RedisServer]:
        """A redis-server of its own."""
        with running_redis_server() as server:
            yield server

    @pytest.fixture
    async def redis(self, redis_server: RedisServer) -> AsyncIterator[Redis]:
        """A client on an emptied server."""
        client = Redis.from_url(redis_server.url)
        await client.flushall()
        yield client
        await client.aclose()

    @pytest.mark.anyio
    async def test_redis_stats(self, redis: Redis) -> None:
        """Used, waiting (every sharer's), next free slot and the shared pause."""
        limiter = RedisRateLimiter(redis, "stats", limit=2, period=30.0)
        other = RedisRateLimiter(redis, "stats", limit=2, period=30.0)
        empty = await limiter.stats()
        assert (empty.used, empty.waiting, empty.next_slot_in, empty.paused_for) == (0, 0, 0, 0)
        await limiter.acquire()
        assert (await limiter.stats()).next_slot_in == 0
        await other.acquire()
        full = await limiter.stats()
        assert (full.limit, full.period, full.used) == (2, 30.0, 2)
        assert 0 < full.next_slot_in <= 30.0 + limiter.margin
        async with anyio.create_task_group() as tg:
            tg.start_soon(other.acquire)
            with anyio.fail_after(10):  # a hang guard only
                while (await limiter.stats()).waiting != 1:
                    await anyio.lowlevel.checkpoint()
            tg.cancel_scope.cancel()
        await limiter.penalize(5.0)
        paused = await other.stats()
        assert 0 < paused.paused_for <= 5.0
        assert paused.used == 2  # reading counts nothing
