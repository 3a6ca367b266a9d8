"""
Parts of the SDK that share state through Redis (extra ``redis``; asyncio only).

`RedisRateLimiter` keeps one sliding-window quota for every process that uses the same key:
at most ``limit`` requests start in any ``period``, decided atomically inside Redis on
Redis's own clock, with first-come-first-served waiting and a shared 429 pause. When Redis
cannot be reached it raises `RateLimiterUnavailableError`, unless a ``fallback=`` limiter is
given. Requires Redis 5 or newer.

How it works (scripts, fairness, failures, keys) and why no existing library is used: the
documentation's "Rate limits and quotas" page (``docs/rate-limits.md``).
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import uuid
from types import TracebackType
from typing import Any

try:
    from redis.asyncio import Redis
    from redis.commands.core import AsyncScript
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import RedisError
    from redis.exceptions import TimeoutError as RedisTimeoutError
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        "onlyonce_async.redis needs redis-py; install it with: pip install 'onlyonce-async[redis]'"
    ) from exc

import anyio

from ._errors import RateLimiterUnavailableError
from ._ratelimit import (
    MAX_PAUSE,
    LimiterStats,
    RateLimiter,
    check_penalty,
    check_window,
    paused_error,
)
from ._redis_journal import RedisJournal

__all__ = ["RateLimiterUnavailableError", "RedisJournal", "RedisRateLimiter"]

logger = logging.getLogger("onlyonce_async.redis")

#: How long a waiter's place in the queue outlives its expected retry.
_LEASE_GRACE = 2.0
#: The most jitter added to a wait, so waiters woken by one event do not all ask at once.
_MAX_JITTER = 0.002

_GRANTED, _WAIT, _PAUSED_TOO_LONG = 0, 1, 2

# KEYS: starts, pause, queue, leases.  ARGV: ticket, limit, window, max pause, lease grace.
# Times are integer microseconds of Redis's clock; they fit a Lua double exactly.
# Returns {0, now} granted, {1, wait} try again after wait, {2, pause} paused too long.
_ACQUIRE = """
local starts, pause_key, queue, leases = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local ticket = ARGV[1]
local limit = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local max_pause = tonumber(ARGV[4])
local grace = tonumber(ARGV[5])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])

redis.call('ZREMRANGEBYSCORE', starts, '-inf', now - window)
local stale = redis.call('ZRANGEBYSCORE', leases, '-inf', now)
for _, t in ipairs(stale) do
  redis.call('ZREM', queue, t)
end
if #stale > 0 then
  redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
end

local pause = tonumber(redis.call('GET', pause_key) or '0') - now
if pause > max_pause then
  -- Longer than any penalty can set (an older version's, or a foreign writer's): cut it
  -- to the cap rather than lock every sharer out until the key expires.
  pause = max_pause
  redis.call('SET', pause_key, string.format('%d', now + pause), 'PX',
             math.ceil((pause + window) / 1000))
end

local rank = redis.call('ZRANK', queue, ticket)
if not rank then
  rank = redis.call('ZCARD', queue)
end
local count = redis.call('ZCARD', starts)
local free = limit - count
local wait = math.max(pause, 0)
if rank < free then
  if pause <= 0 then
    redis.call('ZADD', starts, now, ticket)
    redis.call('ZREM', queue, ticket)
    redis.call('ZREM', leases, ticket)
    redis.call('PEXPIRE', starts, math.ceil(window / 1000))
    return {0, now}
  end
elseif count > 0 then
  -- The ticket at rank r needs r + 1 free slots: the (r - free)-th oldest start must expire.
  local index = math.min(rank - free, count - 1)
  local oldest = redis.call('ZRANGE', starts, index, index, 'WITHSCORES')
  wait = math.max(wait, tonumber(oldest[2]) + window - now)
else
  wait = math.max(wait, math.ceil(window / limit))
end

if redis.call('ZSCORE', queue, ticket) == false then
  redis.call('ZADD', queue, now, ticket)
end
redis.call('ZADD', leases, now + wait + grace, ticket)
local ttl = math.ceil((window + wait + grace) / 1000)
redis.call('PEXPIRE', starts, ttl)
redis.call('PEXPIRE', queue, ttl)
redis.call('PEXPIRE', leases, ttl)
return {1, wait}
"""

# KEYS: pause.  ARGV: seconds, window, max pause (microseconds).  Keeps the later of both
# pauses, never one longer than the max pause (a stale longer one is cut to it).
_PENALIZE = """
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local max_until = now + tonumber(ARGV[3])
local until_ = math.min(now + tonumber(ARGV[1]), max_until)
local stored = tonumber(redis.call('GET', KEYS[1]) or '0')
local current = math.max(math.min(stored, max_until), until_)
if current ~= stored then
  redis.call('SET', KEYS[1], string.format('%d', current))
end
redis.call('PEXPIRE', KEYS[1], math.ceil((current - now + tonumber(ARGV[2])) / 1000))
return current
"""


# KEYS: starts, pause, queue, leases.  ARGV: limit, window (microseconds).  Read only.
# Returns {used, waiting, next slot in, paused for} (times in microseconds from Redis's now).
_STATS = """
local starts, pause_key, queue, leases = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local used = redis.call('ZCOUNT', starts, '(' .. (now - window), '+inf')
local waiting = redis.call('ZCOUNT', leases, '(' .. now, '+inf')
local paused = math.max(tonumber(redis.call('GET', pause_key) or '0') - now, 0)
local next_slot = paused
if used >= limit then
  local oldest = redis.call('ZRANGEBYSCORE', starts, '(' .. (now - window), '+inf',
                            'WITHSCORES', 'LIMIT', used - limit, 1)
  next_slot = math.max(next_slot, tonumber(oldest[2]) + window - now)
end
return {used, waiting, next_slot, paused}
"""


def _micros(seconds: float) -> int:
    return math.ceil(seconds * 1_000_000)


def _require_asyncio() -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        raise RuntimeError(
            "RedisRateLimiter is asyncio-only: redis-py's asyncio client does not run "
            "under trio; use SlidingWindowRateLimiter there"
        ) from None


class RedisRateLimiter:
    """
    At most ``limit`` acquisitions in any ``period`` across every process sharing ``key``.

    Every sharer of a key must use the same ``limit``, ``period`` and ``margin``. asyncio
    only: redis-py's asyncio client does not run under trio, so `acquire` and `penalize`
    raise `RuntimeError` there at once.

    Args:
        redis: A ``redis.asyncio.Redis`` client (the caller keeps ownership and closes it).
        key: The name every sharer of one quota uses, e.g. the account's id.
        limit: Starts allowed per window.
        period: The window, in seconds.
        prefix: Prepended to every Redis key this limiter uses.
        margin: Extra seconds added to the window, as in `SlidingWindowRateLimiter`;
            defaults to 1 % of ``period``, at most 0.25 s.
        fallback: A local limiter used while Redis cannot be reached; without one, calls
            raise `RateLimiterUnavailableError` then. It is also penalized with the shared
            limiter, so an outage during a pause still honours the pause.

    Raises:
        ValueError: An argument is out of range.
        TypeError: ``prefix`` is not a ``str``.
    """

    def __init__(
        self,
        redis: Redis,
        key: str,
        limit: int = 60,
        period: float = 60.0,
        *,
        prefix: str = "onlyonce:ratelimit:",
        margin: float | None = None,
        fallback: RateLimiter | None = None,
    ) -> None:
        if not isinstance(key, str) or not key:
            raise ValueError(f"key must be a non-empty str, not {key!r}")
        if not isinstance(prefix, str):
            raise TypeError(f"prefix must be a str, not {prefix!r}")
        self.limit, self.period, self.margin = check_window(limit, period, margin)
        self.key = key
        self.prefix = prefix
        self.fallback = fallback
        self.redis = redis
        base = f"{prefix}{{{key}}}"
        self._keys = [f"{base}:starts", f"{base}:pause", f"{base}:queue", f"{base}:leases"]
        self._acquire_script: AsyncScript = redis.register_script(_ACQUIRE)
        self._penalize_script: AsyncScript = redis.register_script(_PENALIZE)
        self._stats_script: AsyncScript = redis.register_script(_STATS)
        self._owns_redis = False
        self._on_fallback = False

    @classmethod
    def from_url(
        cls,
        url: str,
        key: str,
        limit: int = 60,
        period: float = 60.0,
        *,
        prefix: str = "onlyonce:ratelimit:",
        margin: float | None = None,
        fallback: RateLimiter | None = None,
        **redis_options: Any,
    ) -> RedisRateLimiter:
        """
        A limiter on a Redis client of its own, made from a URL; close it with `aclose`.

        Args:
            url: A Redis URL such as ``redis://localhost:6379/0``.
            key: The name every sharer of one quota uses, e.g. the account's id.
            limit: Starts allowed per window.
            period: The window, in seconds.
            prefix: Prepended to every Redis key this limiter uses.
            margin: Extra seconds added to the window, as for `RedisRateLimiter`.
            fallback: A local limiter used while Redis cannot be reached, as for
                `RedisRateLimiter`.
            **redis_options: Passed to ``redis.asyncio.Redis.from_url`` (timeouts, retry...).

        Returns:
            A limiter that owns its client.
        """
        client = Redis.from_url(url, **redis_options)
        limiter = cls(client, key, limit, period, prefix=prefix, margin=margin, fallback=fallback)
        limiter._owns_redis = True
        return limiter

    def __repr__(self) -> str:
        return (
            f"RedisRateLimiter(key={self.key!r}, limit={self.limit}, period={self.period}, "
            f"prefix={self.prefix!r})"
        )

    async def aclose(self) -> None:
        """
        Close the Redis client if this limiter made it (`from_url`); otherwise do nothing.
        """
        if self._owns_redis:
            await self.redis.aclose()

    async def __aenter__(self) -> RedisRateLimiter:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def acquire(self) -> None:
        """
        Wait until one request may start, and count it for every sharer of the key.

        Raises:
            RateLimitError: The shared pause lasts longer than ``MAX_PAUSE`` seconds.
            RateLimiterUnavailableError: Redis cannot be reached and there is no fallback.
            RuntimeError: Called outside asyncio (e.g. under trio).
        """
        await self._acquire()

    async def penalize(self, seconds: float) -> None:
        """
        After a 429: no sharer of the key starts before Redis's now + ``seconds``, cut to
        ``MAX_PAUSE`` (the pause key never outlives the pause by more than a window).

        Args:
            seconds: How long every sharer of the key waits, from Redis's now.

        Raises:
            ValueError: ``seconds`` is negative or not finite.
            RateLimiterUnavailableError: Redis cannot be reached and there is no fallback.
            RuntimeError: Called outside asyncio (e.g. under trio).
        """
        seconds = check_penalty(seconds)
        _require_asyncio()
        if self.fallback is not None:
            await self.fallback.penalize(seconds)
        window = _micros(self.period + self.margin)
        try:
            await self._run(
                self._penalize_script,
                self._keys[1:2],
                [_micros(seconds), window, _micros(MAX_PAUSE)],
            )
        except RateLimiterUnavailableError as error:
            if self._fallback_for(error) is None:
                raise

    async def stats(self) -> LimiterStats:
        """
        The shared quota now, read from Redis by one read-only script.

        ``waiting`` counts every sharer's queued acquisitions, not only this process's.

        Returns:
            A `LimiterStats` snapshot, times relative to Redis's clock.

        Raises:
            RateLimiterUnavailableError: Redis cannot be reached (a fallback is not asked).
            RuntimeError: Called outside asyncio (e.g. under trio).
        """
        _require_asyncio()
        window = _micros(self.period + self.margin)
        used, waiting, next_slot, paused = await self._run(
            self._stats_script, self._keys, [self.limit, window]
        )
        return LimiterStats(
            limit=self.limit,
            period=self.period,
            used=int(used),
            waiting=int(waiting),
            next_slot_in=int(next_slot) / 1_000_000,
            paused_for=int(paused) / 1_000_000,
        )

    async def _acquire(self) -> float | None:
        """
        `acquire`, returning Redis's time of the grant in seconds (None if the fallback granted).
        """
        _require_asyncio()
        try:
            granted_at = await self._acquire_shared()
        except RateLimiterUnavailableError as error:
            fallback = self._fallback_for(error)
            if fallback is None:
                raise
            await fallback.acquire()
            return None
        if self._on_fallback:
            self._on_fallback = False
            logger.info("Redis is reachable again; rate limiter %r is shared again", self.key)
        return granted_at

    async def _acquire_shared(self) -> float:
        ticket = uuid.uuid4().hex
        args = [
            ticket,
            self.limit,
            _micros(self.period + self.margin),
            _micros(MAX_PAUSE),
            _micros(_LEASE_GRACE),
        ]
        try:
            code, value = await self._wait_in_line(args)
        except RateLimiterUnavailableError:
            # Redis is gone, and with it the way to give the ticket back; its lease lapses.
            raise
        except BaseException:
            # Cancelled, possibly between the script's effect and its answer: give the
            # place back now rather than hold up the queue until the lease lapses.
            await self._leave_queue(ticket)
            raise
        if code == _PAUSED_TOO_LONG:
            # The script has already dropped the ticket.
            raise paused_error(value / 1_000_000)
        return value / 1_000_000

    async def _wait_in_line(self, args: list[Any]) -> tuple[int, int]:
        """
        Ask Redis until it grants or refuses; returns the script's ``(code, value)``.
        """
        while True:
            code, value = await self._run(self._acquire_script, self._keys, args)
            if code != _WAIT:
                return int(code), int(value)
            wait = int(value) / 1_000_000
            # Not a secret: jitter only spreads out waiters woken by the same event.
            jitter = random.uniform(0, min(_MAX_JITTER, wait / 20))  # noqa: S311
            await anyio.sleep(wait + jitter)

    async def _leave_queue(self, ticket: str) -> None:
        # Shielded so that a cancelled waiter still gives its place back; bounded so that a
        # dead Redis cannot hold the cancellation up (the lease would expire anyway).
        with anyio.CancelScope(shield=True), anyio.move_on_after(1.0):
            try:
                async with self.redis.pipeline(transaction=True) as pipe:
                    pipe.zrem(self._keys[2], ticket)
                    pipe.zrem(self._keys[3], ticket)
                    await pipe.execute()
            except RedisError:
                logger.debug("could not return ticket of %r to Redis", self.key, exc_info=True)

    async def _run(self, script: AsyncScript, keys: list[str], args: list[Any]) -> Any:
        try:
            return await script(keys=keys, args=args)
        except (RedisConnectionError, RedisTimeoutError) as error:
            raise RateLimiterUnavailableError(
                f"rate limiter {self.key!r}: Redis cannot be reached ({error}); nothing was sent"
            ) from error
        except RedisError as error:
            raise RateLimiterUnavailableError(
                f"rate limiter {self.key!r}: Redis refused the limiter's script ({error}); "
                "nothing was sent"
            ) from error

    def _fallback_for(self, error: RateLimiterUnavailableError) -> RateLimiter | None:
        # Only an outage falls back: an error Redis answered with (a wrong key type, no
        # permission) is a misconfiguration that a silent local limiter would hide.
        outage = isinstance(error.__cause__, (RedisConnectionError, RedisTimeoutError))
        if self.fallback is None or not outage:
            return None
        if not self._on_fallback:
            self._on_fallback = True
            logger.warning(
                "Redis unreachable (%s); rate limiter %r falls back to %r until it is back",
                error.__cause__,
                self.key,
                self.fallback,
            )
        return self.fallback
