"""
RedisRateLimiter against a real redis-server started by the tests (asyncio only).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import respx
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

import onlyonce_async
import onlyonce_async.redis
from onlyonce_async import (
    Client,
    OnlyOnceError,
    RateLimiter,
    RateLimiterUnavailableError,
    SlidingWindowRateLimiter,
)
from onlyonce_async._ratelimit import MAX_PAUSE
from onlyonce_async.redis import RedisRateLimiter
from tests._support.backends import asyncio_backend  # noqa: F401 (redis-py's asyncio client)
from tests._support.redis_server import RedisServer, running_redis_server

ROOT = Path(__file__).resolve().parent.parent
WORKER = Path(__file__).resolve().parent / "redis_limiter_worker.py"


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    """One redis-server for the module."""
    with running_redis_server() as server:
        yield server


def make_client(server: RedisServer) -> Redis:
    """A client that gives up quickly when the server is gone."""
    return Redis.from_url(server.url, retry=Retry(NoBackoff(), 1), socket_connect_timeout=2)


@pytest.fixture
async def redis(redis_server: RedisServer) -> AsyncIterator[Redis]:
    """A client on an emptied server."""
    client = make_client(redis_server)
    await client.flushall()
    yield client
    await client.aclose()


def max_in_window(grants: list[float], window: float) -> int:
    """The most grants inside any half-open interval of length ``window``."""
    times = sorted(grants)
    best = first = 0
    for last, t in enumerate(times):
        # One microsecond of slack: the limiter's times are whole microseconds.
        while t - times[first] >= window - 1e-6:
            first += 1
        best = max(best, last - first + 1)
    return best


def worker_env() -> dict[str, str]:
    """The environment for a worker process: this worktree's package first."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


async def server_seconds(client: Redis) -> float:
    """Redis's clock, in seconds."""
    seconds, micros = await client.time()
    return seconds + micros / 1_000_000


@pytest.mark.anyio
async def test_two_limiters_on_one_key_never_exceed_limit(redis_server: RedisServer) -> None:
    """Two limiters on separate connections share one quota: never more than 10 per 0.5 s."""
    clients = [make_client(redis_server), make_client(redis_server)]
    limiters = [RedisRateLimiter(c, "shared", 10, 0.5) for c in clients]
    grants: list[float] = []

    async def take(limiter: RedisRateLimiter, count: int) -> None:
        for _ in range(count):
            granted_at = await limiter._acquire()
            assert granted_at is not None
            grants.append(granted_at)

    with anyio.fail_after(15):
        async with anyio.create_task_group() as tg:
            for limiter in limiters:
                for _ in range(3):
                    tg.start_soon(take, limiter, 5)
    for client in clients:
        await client.aclose()

    window = limiters[0].period + limiters[0].margin
    assert len(grants) == 30
    assert max_in_window(grants, window) <= 10
    # Grants 21..30 can only come after two full windows.
    assert max(grants) - min(grants) >= 2 * window - 1e-6


def test_three_processes_share_the_quota(redis_server: RedisServer) -> None:
    """Three OS processes on one key each get all their grants, and together they never
    exceed the quota in any window (how close they come to it is benchmarks/redis_quota.py)."""
    limit, period, count = 20, 1.0, 20
    args = ["acquire", redis_server.url, "procs", str(limit), str(period), str(count)]
    processes = [
        subprocess.Popen(
            [sys.executable, str(WORKER), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=worker_env(),
        )
        for _ in range(3)
    ]
    try:
        for process in processes:
            assert process.stdout is not None
            assert process.stdout.readline() == b"ready\n"
        start_at = f"{time.time() + 0.3}\n".encode()
        for process in processes:
            assert process.stdin is not None
            process.stdin.write(start_at)
            process.stdin.close()
        outputs = [process.stdout.read() for process in processes if process.stdout]
        for process in processes:
            process.wait(timeout=30)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
            for pipe in (process.stdin, process.stdout):
                if pipe is not None:
                    pipe.close()
    assert [process.returncode for process in processes] == [0, 0, 0]
    per_process: list[list[float]] = [json.loads(output) for output in outputs]
    merged = [t for grants in per_process for t in grants]

    margin = min(0.25, period / 100)
    assert [len(grants) for grants in per_process] == [count, count, count]
    assert max_in_window(merged, period + margin) <= limit


@pytest.mark.anyio
async def test_penalize_in_one_process_pauses_another(
    redis_server: RedisServer, redis: Redis
) -> None:
    """A pause set by another process holds this process's acquire until it ends."""
    limiter = RedisRateLimiter(redis, "paused", 10, 1.0)
    before = await server_seconds(redis)
    with anyio.fail_after(30):
        await anyio.run_process(
            [sys.executable, WORKER, "penalize", redis_server.url, "paused", "10", "1", "0.8"],
            env=worker_env(),
        )
    raw = await redis.get("onlyonce:ratelimit:{paused}:pause")
    assert raw is not None
    paused_until = int(raw) / 1_000_000
    assert paused_until > before
    with anyio.fail_after(10):
        granted_at = await limiter._acquire()
    assert granted_at is not None
    assert granted_at >= paused_until


@pytest.mark.anyio
async def test_penalize_keeps_the_longer_pause(redis: Redis) -> None:
    """A shorter penalty does not cut a longer one short."""
    limiter = RedisRateLimiter(redis, "longer")
    await limiter.penalize(30)
    await limiter.penalize(1)
    ttl = await redis.pttl("onlyonce:ratelimit:{longer}:pause")
    raw = await redis.get("onlyonce:ratelimit:{longer}:pause")
    assert raw is not None
    assert int(raw) / 1_000_000 - await server_seconds(redis) > 25
    assert ttl >= 30_000


@pytest.mark.anyio
@pytest.mark.parametrize("seconds", [MAX_PAUSE + 30, 1e9])
async def test_a_penalty_longer_than_max_pause_is_cut_to_it(redis: Redis, seconds: float) -> None:
    """The shared pause, and its key's TTL, never exceed MAX_PAUSE (plus one window for
    the key): a 31-year Retry-After cannot lock out every process sharing the key."""
    limiter = RedisRateLimiter(redis, "long-pause", 60, 1.0)
    await limiter.penalize(seconds)
    key = "onlyonce:ratelimit:{long-pause}:pause"
    raw = await redis.get(key)
    assert raw is not None
    assert int(raw) / 1_000_000 - await server_seconds(redis) <= MAX_PAUSE
    assert 0 < await redis.pttl(key) <= (MAX_PAUSE + 1.0 + limiter.margin) * 1000 + 1


@pytest.mark.anyio
async def test_a_stale_longer_pause_is_cut_to_max_pause(redis: Redis) -> None:
    """A pause key set far in the future by an older version is cut to MAX_PAUSE by the
    next penalize or acquire, instead of living for years."""
    key = "onlyonce:ratelimit:{stale}:pause"
    far = int((await server_seconds(redis) + 1e9) * 1_000_000)
    await redis.set(key, str(far), px=10**12)
    limiter = RedisRateLimiter(redis, "stale", 60, 1.0)
    await limiter.penalize(1)
    raw = await redis.get(key)
    assert raw is not None and int(raw) / 1_000_000 - await server_seconds(redis) <= MAX_PAUSE
    assert await redis.pttl(key) <= (MAX_PAUSE + 2) * 1000
    await redis.set(key, str(far), px=10**12)
    with anyio.move_on_after(0.2):
        await limiter.acquire()  # waits the (cut) pause rather than failing for years
    raw = await redis.get(key)
    assert raw is not None and int(raw) / 1_000_000 - await server_seconds(redis) <= MAX_PAUSE
    assert await redis.pttl(key) <= (MAX_PAUSE + 2) * 1000


async def queued(redis: Redis, key: str) -> int:
    """How many waiters are queued on ``key``."""
    return int(await redis.zcard(f"onlyonce:ratelimit:{{{key}}}:queue"))


async def wait_for_queue(redis: Redis, key: str, length: int) -> None:
    """Wait until ``length`` waiters are queued on ``key`` (10 s hang guard)."""
    with anyio.fail_after(10):
        # Polling: the state lives in Redis, so there is no event to wait on.
        while await queued(redis, key) < length:  # noqa: ASYNC110
            await anyio.sleep(0.01)


@pytest.mark.anyio
async def test_waiters_are_served_first_come_first_served(redis: Redis) -> None:
    """Waiters queued one after another are granted in that order."""
    limiter = RedisRateLimiter(redis, "fifo", 1, 0.15)
    order: list[int] = []

    async def take(index: int) -> None:
        await limiter.acquire()
        order.append(index)

    with anyio.fail_after(15):
        async with anyio.create_task_group() as tg:
            for index in range(5):
                tg.start_soon(take, index)
                # Start the next one only once this one is granted or queued (not after a
                # sleep that a loaded machine may overrun).
                with anyio.fail_after(10):
                    while len(order) + await queued(redis, "fifo") <= index:  # noqa: ASYNC110
                        await anyio.sleep(0.01)
    assert order == [0, 1, 2, 3, 4]


@pytest.mark.anyio
async def test_cancelled_waiter_gives_its_place_back(redis: Redis) -> None:
    """A waiter cancelled while queued leaves no ticket behind."""
    limiter = RedisRateLimiter(redis, "cancel", 1, 30.0)
    await limiter.acquire()
    with anyio.move_on_after(0.3) as scope:
        await limiter.acquire()
    assert scope.cancelled_caught
    assert await redis.zcard("onlyonce:ratelimit:{cancel}:queue") == 0
    assert await redis.zcard("onlyonce:ratelimit:{cancel}:leases") == 0


@pytest.mark.anyio
async def test_ticket_of_a_dead_process_expires(redis: Redis) -> None:
    """A queued ticket whose lease ran out (its process died) does not block the queue."""
    limiter = RedisRateLimiter(redis, "dead", 1, 30.0)
    now = int(await server_seconds(redis) * 1_000_000)
    await redis.zadd("onlyonce:ratelimit:{dead}:queue", {"ghost": now - 5_000_000})
    await redis.zadd("onlyonce:ratelimit:{dead}:leases", {"ghost": now - 1_000_000})
    with anyio.fail_after(10):  # hang guard
        await limiter.acquire()
    assert await redis.zcard("onlyonce:ratelimit:{dead}:queue") == 0


@pytest.mark.anyio
async def test_keys_expire(redis: Redis) -> None:
    """Every key the limiter writes has an expiry covering the window, pause and waiters."""
    limiter = RedisRateLimiter(redis, "ttl", 1, 2.0)
    await limiter.acquire()
    starts_ttl = await redis.pttl("onlyonce:ratelimit:{ttl}:starts")
    assert 0 < starts_ttl <= 2020
    with anyio.move_on_after(0.3):
        await limiter.acquire()
    async with anyio.create_task_group() as tg:
        tg.start_soon(limiter.acquire)
        await wait_for_queue(redis, "ttl", 1)
        for name in ("starts", "queue", "leases"):
            assert await redis.pttl(f"onlyonce:ratelimit:{{ttl}}:{name}") > 0, name
        tg.cancel_scope.cancel()
    await limiter.penalize(5)
    assert await redis.pttl("onlyonce:ratelimit:{ttl}:pause") >= 5000
    for key in await redis.keys("*"):
        assert await redis.pttl(key) > 0, key


@pytest.mark.anyio
async def test_prefixes_and_keys_are_separate_quotas(redis: Redis) -> None:
    """Limiters with another prefix or another key do not share a quota."""
    limiters = [
        RedisRateLimiter(redis, "k", 2, 30.0, prefix="a:"),
        RedisRateLimiter(redis, "k", 2, 30.0, prefix="b:"),
        RedisRateLimiter(redis, "j", 2, 30.0, prefix="a:"),
    ]
    with anyio.fail_after(10):  # hang guard
        for limiter in limiters:
            await limiter.acquire()
            await limiter.acquire()
    with anyio.move_on_after(0.2) as scope:
        await limiters[0].acquire()
    assert scope.cancelled_caught
    keys = sorted(k.decode() if isinstance(k, bytes) else k for k in await redis.keys("*"))
    assert keys == ["a:{j}:starts", "a:{k}:starts", "b:{k}:starts"]


@pytest.mark.anyio
async def test_redis_restart_raises_then_recovers() -> None:
    """While Redis is down acquire and penalize raise; after a restart (no scripts) it works."""
    with running_redis_server() as server:
        client = make_client(server)
        limiter = RedisRateLimiter(client, "restart", 5, 1.0)
        await limiter.acquire()
        server.stop()
        with anyio.fail_after(10):
            with pytest.raises(RateLimiterUnavailableError, match="cannot be reached"):
                await limiter.acquire()
            with pytest.raises(RateLimiterUnavailableError):
                await limiter.penalize(1)
        server.start()
        # A restarted Redis has no scripts cached (counted by INFO, not by the limiter's state).
        assert (await client.info("memory"))["number_of_cached_scripts"] == 0
        with anyio.fail_after(10):
            await limiter.acquire()
        assert (await client.info("memory"))["number_of_cached_scripts"] >= 1
        await client.aclose()


@pytest.mark.anyio
async def test_fallback_limits_locally_while_redis_is_down(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With an opt-in fallback, an outage is logged and the local limiter keeps limiting."""
    caplog.set_level(logging.INFO, logger="onlyonce_async.redis")
    fallback = SlidingWindowRateLimiter(2, 30.0)
    with running_redis_server() as server:
        client = make_client(server)
        limiter = RedisRateLimiter(client, "fallback", 5, 1.0, fallback=fallback)
        await limiter.acquire()
        server.stop()
        with anyio.fail_after(10):
            await limiter.penalize(0)
            await limiter.acquire()
            await limiter.acquire()
        with anyio.move_on_after(0.3) as scope:
            await limiter.acquire()
        assert scope.cancelled_caught
        warnings = [
            r
            for r in caplog.records
            if r.name == "onlyonce_async.redis" and r.levelno == logging.WARNING
        ]
        assert len(warnings) == 1
        assert "falls back" in warnings[0].getMessage()
        server.start()
        with anyio.fail_after(10):
            assert await limiter._acquire() is not None
        assert any("reachable again" in r.getMessage() for r in caplog.records)
        await client.aclose()


@pytest.mark.anyio
async def test_script_flush_is_survived(redis: Redis) -> None:
    """NOSCRIPT (scripts flushed, as after a restart) is handled by reloading the script."""
    limiter = RedisRateLimiter(redis, "flush")
    await limiter.acquire()
    await redis.script_flush()
    await limiter.acquire()
    await limiter.penalize(0)


@pytest.mark.anyio
async def test_script_error_is_not_hidden_by_fallback(redis: Redis) -> None:
    """An error Redis answers with (a key of the wrong type) raises even with a fallback."""
    await redis.set("onlyonce:ratelimit:{wrong}:starts", "not a sorted set")
    limiter = RedisRateLimiter(redis, "wrong", fallback=SlidingWindowRateLimiter())
    with pytest.raises(RateLimiterUnavailableError, match="refused"):
        await limiter.acquire()


@pytest.mark.anyio
async def test_from_url_owns_its_client(redis_server: RedisServer, redis: Redis) -> None:
    """A limiter made from a URL works and closes its own client."""
    async with RedisRateLimiter.from_url(redis_server.url, "url", 3, 1.0) as limiter:
        await limiter.acquire()
        assert isinstance(limiter, RateLimiter)
    assert await redis.zcard("onlyonce:ratelimit:{url}:starts") == 1


@pytest.mark.anyio
async def test_client_429_pauses_every_sharer(redis: Redis) -> None:
    """A 429 seen by a Client using the limiter sets the shared pause in Redis."""
    limiter = RedisRateLimiter(redis, "client", 10, 30.0)
    with respx.mock(base_url="https://api.test") as mock:
        mock.get("/x").mock(
            side_effect=[
                httpx.Response(429, headers={"Retry-After": "1"}),
                httpx.Response(200, json={}),
            ]
        )
        async with Client(base_url="https://api.test", rate_limiter=limiter) as client:
            with anyio.fail_after(10):
                await client.get("/x")
    raw = await redis.get("onlyonce:ratelimit:{client}:pause")
    assert raw is not None
    starts = await redis.zrange("onlyonce:ratelimit:{client}:starts", 0, -1, withscores=True)
    assert len(starts) == 2
    assert float(starts[1][1]) >= int(raw)


@pytest.mark.parametrize("anyio_backend", ["trio"])
@pytest.mark.anyio
async def test_trio_raises_a_clear_error(redis_server: RedisServer) -> None:
    """Under trio, acquire and penalize raise at once instead of hanging."""
    limiter = RedisRateLimiter(Redis.from_url(redis_server.url), "trio")
    with anyio.fail_after(10):  # hang guard
        with pytest.raises(RuntimeError, match="asyncio-only"):
            await limiter.acquire()
        with pytest.raises(RuntimeError, match="asyncio-only"):
            await limiter.penalize(1)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        pytest.param({"key": ""}, ValueError, id="empty-key"),
        pytest.param({"limit": 0}, ValueError, id="zero-limit"),
        pytest.param({"period": -1.0}, ValueError, id="negative-period"),
        pytest.param({"margin": -0.1}, ValueError, id="negative-margin"),
        pytest.param({"prefix": None}, TypeError, id="prefix-not-str"),
    ],
)
def test_invalid_arguments_are_refused(kwargs: dict[str, Any], error: type[Exception]) -> None:
    """Out-of-range arguments raise at construction."""
    arguments: dict[str, Any] = {"key": "k", **kwargs}
    with pytest.raises(error):
        RedisRateLimiter(Redis(), **arguments)


@pytest.mark.anyio
async def test_negative_penalty_is_refused(redis: Redis) -> None:
    """penalize refuses a negative or infinite number of seconds."""
    limiter = RedisRateLimiter(redis, "neg")
    for seconds in (-1.0, float("inf")):
        with pytest.raises(ValueError, match="seconds"):
            await limiter.penalize(seconds)


def test_module_exports() -> None:
    """The module's __all__ names what it defines, and the error is the top-level one."""
    module = onlyonce_async.redis
    assert sorted(module.__all__) == [
        "RateLimiterUnavailableError",
        "RedisJournal",
        "RedisRateLimiter",
    ]
    assert module.RateLimiterUnavailableError is onlyonce_async.RateLimiterUnavailableError
    assert issubclass(RateLimiterUnavailableError, OnlyOnceError)
    assert "RateLimiterUnavailableError" in onlyonce_async.__all__


def test_import_without_redis_names_the_extra() -> None:
    """Without redis-py the module fails with a message naming the extra; the core imports."""
    code = (
        "import sys; sys.modules['redis'] = None\n"
        "import onlyonce_async\n"
        "assert 'redis' not in [m for m in sys.modules if sys.modules[m] is not None]\n"
        "import onlyonce_async.redis\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, env=worker_env(), timeout=30
    )
    assert result.returncode == 1
    assert "ImportError" in result.stderr.decode()
    assert "onlyonce-async[redis]" in result.stderr.decode()
