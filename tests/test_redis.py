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
from redis import Redis as SyncRedis
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

import onlyonce_async
import onlyonce_async.redis
from onlyonce_async import (
    Client,
    OnlyOnceError,
    RateLimiter,
    RateLimitError,
    RateLimiterUnavailableError,
    SlidingWindowRateLimiter,
)
from onlyonce_async._ratelimit import LONGEST_PAUSE
from onlyonce_async.redis import RedisJournal, RedisRateLimiter
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
            granted_at = await limiter.acquire_slot()
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
        granted_at = await limiter.acquire_slot()
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
@pytest.mark.parametrize("seconds", [LONGEST_PAUSE + 30, 1e9])
async def test_a_penalty_longer_than_the_longest_pause_is_cut_to_it(
    redis: Redis, seconds: float
) -> None:
    """The shared pause, and its key's TTL, never exceed LONGEST_PAUSE (plus one window for
    the key): a 31-year Retry-After cannot lock out every process sharing the key."""
    limiter = RedisRateLimiter(redis, "long-pause", 60, 1.0)
    await limiter.penalize(seconds)
    key = "onlyonce:ratelimit:{long-pause}:pause"
    raw = await redis.get(key)
    assert raw is not None
    assert int(raw) / 1_000_000 - await server_seconds(redis) <= LONGEST_PAUSE
    assert 0 < await redis.pttl(key) <= (LONGEST_PAUSE + 1.0 + limiter.margin) * 1000 + 1


@pytest.mark.anyio
async def test_a_stale_longer_pause_is_cut_to_the_longest_pause(redis: Redis) -> None:
    """A pause key set far in the future by an older version is cut to LONGEST_PAUSE by the
    next penalize or acquire, instead of living for years."""
    key = "onlyonce:ratelimit:{stale}:pause"
    far = int((await server_seconds(redis) + 1e9) * 1_000_000)
    await redis.set(key, str(far), px=10**12)
    limiter = RedisRateLimiter(redis, "stale", 60, 1.0)
    await limiter.penalize(1)
    raw = await redis.get(key)
    assert raw is not None and int(raw) / 1_000_000 - await server_seconds(redis) <= LONGEST_PAUSE
    assert await redis.pttl(key) <= (LONGEST_PAUSE + 2) * 1000
    await redis.set(key, str(far), px=10**12)
    with anyio.fail_after(10), pytest.raises(RateLimitError) as caught:  # hang guard
        await limiter.acquire()  # paused for a day, not for years: fails fast
    assert caught.value.retry_after is not None
    assert 60 < caught.value.retry_after <= LONGEST_PAUSE
    raw = await redis.get(key)
    assert raw is not None and int(raw) / 1_000_000 - await server_seconds(redis) <= LONGEST_PAUSE
    assert await redis.pttl(key) <= (LONGEST_PAUSE + 2) * 1000


@pytest.mark.anyio
async def test_a_pause_over_a_minute_fails_fast_then_is_waited_out(redis: Redis) -> None:
    """After penalize(120), acquire() raises RateLimitError (retry_after about 120) at once
    and takes no slot; with 59 s left it waits for its slot instead of raising."""
    starts, pause = "onlyonce:ratelimit:{fast}:starts", "onlyonce:ratelimit:{fast}:pause"
    await RedisRateLimiter(redis, "fast").penalize(120)
    other = RedisRateLimiter(redis, "fast")  # another process's limiter on the same key
    with anyio.fail_after(10), pytest.raises(RateLimitError) as caught:  # hang guard
        await other.acquire()
    assert caught.value.retry_after is not None
    assert 110 < caught.value.retry_after <= 120
    assert await redis.zcard(starts) == 0
    # 61 s later: the pause ends 59 s from now (Redis's clock cannot be moved).
    ends = int((await server_seconds(redis) + 59) * 1_000_000)
    await redis.set(pause, str(ends), px=120_000)
    before = await reservations(redis)
    with anyio.fail_after(10):  # hang guard
        async with anyio.create_task_group() as tg:
            tg.start_soon(other.acquire)  # raising here would fail the task group
            await wait_for_reservations(redis, before + 1)
            slots = await redis.zrange(starts, 0, -1, withscores=True)
            assert len(slots) == 1 and float(slots[0][1]) >= ends  # it sleeps out the pause
            tg.cancel_scope.cancel()


@pytest.mark.anyio
async def test_a_long_retry_after_fails_every_sharer_fast(redis: Redis) -> None:
    """A 429 with Retry-After: 120 through a client on the Redis limiter: the next call, even
    on another client sharing the key, raises RateLimitError at once and sends nothing."""
    with respx.mock(base_url="https://api.test") as mock:
        route = mock.get("/x").mock(
            side_effect=[httpx.Response(429, headers={"Retry-After": "120"})]
        )
        first = Client(base_url="https://api.test", rate_limiter=RedisRateLimiter(redis, "e2e"))
        second = Client(base_url="https://api.test", rate_limiter=RedisRateLimiter(redis, "e2e"))
        async with first, second:
            with anyio.fail_after(10):  # hang guard: sleeping through the pause would hang
                with pytest.raises(RateLimitError) as caught:
                    await first.get("/x")
                assert caught.value.retry_after == 120
                for client in (first, second):
                    with pytest.raises(RateLimitError) as caught:
                        await client.get("/x")
                    assert caught.value.retry_after is not None
                    assert 110 < caught.value.retry_after <= 120
    assert route.call_count == 1


async def reservations(redis: Redis) -> int:
    """How many slots the server has handed out so far (each is one ZADD to a window)."""
    stats = await redis.info("commandstats")
    return int(stats.get("cmdstat_zadd", {}).get("calls", 0))


async def wait_for_reservations(redis: Redis, count: int) -> None:
    """Wait until the server has handed out ``count`` slots (10 s hang guard)."""
    with anyio.fail_after(10):
        # Polling: the state lives in Redis, so there is no event to wait on.
        while await reservations(redis) < count:  # noqa: ASYNC110
            await anyio.sleep(0.01)


@pytest.mark.anyio
async def test_waiters_are_served_first_come_first_served(redis: Redis) -> None:
    """Waiters that asked one after another are granted in that order."""
    limiter = RedisRateLimiter(redis, "fifo", 1, 0.15)
    order: list[int] = []
    base = await reservations(redis)

    async def take(index: int) -> None:
        await limiter.acquire()
        order.append(index)

    with anyio.fail_after(15):
        async with anyio.create_task_group() as tg:
            for index in range(5):
                tg.start_soon(take, index)
                # Start the next one only once this one has asked (not after a sleep that a
                # loaded machine may overrun).
                await wait_for_reservations(redis, base + index + 1)
    assert order == [0, 1, 2, 3, 4]


@pytest.mark.anyio
async def test_processes_are_served_in_ticket_order(redis_server: RedisServer) -> None:
    """Three sharers on their own connections, asking in turn A B C A B C ..., are granted
    in exactly that order, so each gets one grant in every three: nobody is overtaken."""
    clients = [make_client(redis_server) for _ in range(3)]
    limiters = [RedisRateLimiter(c, "turns", 1, 0.05) for c in clients]
    granted: list[tuple[float, int]] = []
    base = await reservations(clients[0])

    async def take(process: int) -> None:
        granted_at = await limiters[process].acquire_slot()
        assert granted_at is not None
        granted.append((granted_at, process))

    with anyio.fail_after(20):
        async with anyio.create_task_group() as tg:
            for turn in range(12):
                tg.start_soon(take, turn % 3)
                await wait_for_reservations(clients[0], base + turn + 1)
    for client in clients:
        await client.aclose()
    in_grant_order = [process for _, process in sorted(granted)]
    assert in_grant_order == [0, 1, 2] * 4


@pytest.mark.anyio
async def test_busy_processes_share_grants_evenly(redis_server: RedisServer) -> None:
    """Three sharers with three tasks each asking again as soon as they are served: in every
    stretch of the grants, counted in order, no sharer gets ahead of another by more than
    its own tasks (a slot is never given to a caller that asked after a waiting one)."""
    clients = [make_client(redis_server) for _ in range(3)]
    limiters = [RedisRateLimiter(c, "busy", 3, 0.1) for c in clients]
    granted: list[tuple[float, int]] = []

    async def loop(process: int) -> None:
        for _ in range(6):
            granted_at = await limiters[process].acquire_slot()
            assert granted_at is not None
            granted.append((granted_at, process))

    with anyio.fail_after(30):
        async with anyio.create_task_group() as tg:
            for process in range(3):
                for _ in range(3):
                    tg.start_soon(loop, process)
    for client in clients:
        await client.aclose()
    counts = [0, 0, 0]
    for _, process in sorted(granted):
        counts[process] += 1
        assert max(counts) - min(counts) <= 2 * 3, counts
    assert counts == [18, 18, 18]
    window = limiters[0].period + limiters[0].margin
    assert max_in_window([t for t, _ in granted], window) <= 3


@pytest.mark.anyio
async def test_cancelled_waiter_gives_its_place_back(redis: Redis) -> None:
    """A waiter cancelled while waiting for its slot frees it for the next caller."""
    limiter = RedisRateLimiter(redis, "cancel", 1, 30.0)
    await limiter.acquire()
    with anyio.move_on_after(0.3) as scope:
        await limiter.acquire()
    assert scope.cancelled_caught
    assert await redis.zcard("onlyonce:ratelimit:{cancel}:starts") == 1


@pytest.mark.anyio
async def test_slot_of_a_dead_process_frees_with_the_window(redis: Redis) -> None:
    """A slot taken by a process that died before using it counts only until it leaves
    the window, as a start would: it never blocks the quota for longer."""
    limiter = RedisRateLimiter(redis, "dead", 1, 0.5)
    now = int(await server_seconds(redis) * 1_000_000)
    await redis.zadd("onlyonce:ratelimit:{dead}:starts", {"ghost": now + 200_000})
    with anyio.fail_after(10):  # hang guard
        granted_at = await limiter.acquire_slot()
    assert granted_at is not None
    assert granted_at >= (now + 200_000) / 1_000_000 + limiter.period


@pytest.mark.anyio
async def test_keys_expire(redis: Redis) -> None:
    """Every key the limiter writes has an expiry covering the window, pause and waiters."""
    limiter = RedisRateLimiter(redis, "ttl", 1, 2.0)
    await limiter.acquire()
    starts_ttl = await redis.pttl("onlyonce:ratelimit:{ttl}:starts")
    assert 0 < starts_ttl <= 2020
    base = await reservations(redis)
    async with anyio.create_task_group() as tg:
        tg.start_soon(limiter.acquire)
        await wait_for_reservations(redis, base + 1)
        # The waiter's slot starts a window from now: the key outlives it by a window.
        assert 2020 < await redis.pttl("onlyonce:ratelimit:{ttl}:starts") <= 4040
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
            assert await limiter.acquire_slot() is None  # granted by the fallback
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
            assert await limiter.acquire_slot() is not None
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


@pytest.mark.parametrize("client", [SyncRedis(), "redis://localhost"], ids=["sync", "a-url"])
def test_a_client_that_is_not_asyncio_is_refused(client: Any) -> None:
    """A sync redis.Redis (or a URL) is refused when the limiter or journal is built, not
    by a TypeError at the first await after blocking the event loop."""
    with pytest.raises(TypeError, match=r"redis\.asyncio client"):
        RedisRateLimiter(client, "k")
    with pytest.raises(TypeError, match=r"redis\.asyncio client"):
        RedisJournal(client, "k")


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


@pytest.mark.anyio
async def test_a_waiter_holding_a_slot_waits_out_its_limiters_pause(redis: Redis) -> None:
    """A pause set by this limiter while a caller sleeps until its slot holds that caller
    too: it starts after the pause, not at the slot it was given before it."""
    limiter = RedisRateLimiter(redis, "held", 1, 0.3)
    base = await reservations(redis)
    await limiter.acquire()
    granted: list[float] = []

    async def take() -> None:
        granted_at = await limiter.acquire_slot()
        assert granted_at is not None
        granted.append(granted_at)

    with anyio.fail_after(15):
        async with anyio.create_task_group() as tg:
            tg.start_soon(take)
            await wait_for_reservations(redis, base + 2)
            await limiter.penalize(1.0)
            raw = await redis.get("onlyonce:ratelimit:{held}:pause")
    assert raw is not None
    assert len(granted) == 1
    assert granted[0] >= int(raw) / 1_000_000


@pytest.mark.anyio
async def test_window_key_outlives_every_slot_handed_out(redis: Redis) -> None:
    """When cancelled callers free slots, a later caller may get a slot before one already
    handed out; the window's key must still live until the latest slot leaves the window."""
    limiter = RedisRateLimiter(redis, "outlive", 2, 10.0)
    key = "onlyonce:ratelimit:{outlive}:starts"
    await limiter.acquire()
    await limiter.acquire()
    base = await reservations(redis)
    scopes = [anyio.CancelScope() for _ in range(4)]

    async def waiter(scope: anyio.CancelScope) -> None:
        with scope:
            await limiter.acquire()

    with anyio.fail_after(15):
        async with anyio.create_task_group() as tg:
            tg.start_soon(waiter, scopes[0])
            tg.start_soon(waiter, scopes[1])
            await wait_for_reservations(redis, base + 2)  # both one window ahead
            tg.start_soon(waiter, scopes[2])
            await wait_for_reservations(redis, base + 3)  # two windows ahead
            scopes[0].cancel()
            scopes[1].cancel()
            while await redis.zcard(key) > 3:  # noqa: ASYNC110 - given back in Redis
                await anyio.sleep(0.01)
            tg.start_soon(waiter, scopes[3])
            await wait_for_reservations(redis, base + 4)  # a freed slot, one window ahead
            slots: list[Any] = await redis.zrange(key, 0, -1, withscores=True)
            latest = max(float(slot[1]) for slot in slots) / 1_000_000
            now = await server_seconds(redis)
            window = limiter.period + limiter.margin
            ttl = await redis.pttl(key)
            scopes[2].cancel()
            scopes[3].cancel()
    assert len(slots) == 4
    assert ttl >= (latest - now + window) * 1000 - 50
