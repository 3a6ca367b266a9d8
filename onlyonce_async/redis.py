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
    LONGEST_PAUSE,
    LimiterStats,
    RateLimiter,
    check_penalty,
    check_window,
    paused_error,
)
from ._redis_journal import RedisJournal, check_async_redis
from ._retry import MAX_RETRY_AFTER

__all__ = ["RateLimiterUnavailableError", "RedisJournal", "RedisRateLimiter"]

logger = logging.getLogger("onlyonce_async.redis")

_GRANTED, _PAUSED_TOO_LONG = 0, 2

# KEYS: starts, pause.  ARGV: ticket, limit, window, longest pause, fail-fast threshold
# (integer microseconds of Redis's clock; they fit a Lua double exactly).
# Every call reserves a start: the earliest time at which the window holds fewer than
# ``limit`` starts, at or after every earlier reservation's slot and after the pause. The
# reservation is a start in the window at once, so the next caller is placed after it: first
# come, first served, in the order Redis runs the calls, with one call per grant.
# Returns {0, start, now}: start at Redis time ``start`` (``now`` or later), or
# {2, pause left}: paused longer than the fail-fast threshold (nothing reserved).
_ACQUIRE = """
local starts, pause_key = KEYS[1], KEYS[2]
local ticket = ARGV[1]
local limit = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local max_pause = tonumber(ARGV[4])
local fail_fast = tonumber(ARGV[5])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])

redis.call('ZREMRANGEBYSCORE', starts, '-inf', now - window)
local start = now
local paused_until = tonumber(redis.call('GET', pause_key) or '0')
if paused_until - now > max_pause then
  -- Longer than any penalty can set (an older version's, or a foreign writer's): cut it
  -- to the longest pause rather than lock every sharer out until the key expires.
  paused_until = now + max_pause
  redis.call('SET', pause_key, string.format('%d', paused_until), 'PX',
             math.ceil((max_pause + window) / 1000))
end
if paused_until - now > fail_fast then
  return {2, paused_until - now}
end
if paused_until > start then
  start = paused_until
end
local count = redis.call('ZCARD', starts)
if count >= limit then
  -- The limit-th latest start (reservations included) leaves the window at its score +
  -- window; from then on every window holding this start holds at most limit - 1 others.
  local nth = redis.call('ZRANGE', starts, count - limit, count - limit, 'WITHSCORES')
  local free_at = tonumber(nth[2]) + window
  if free_at > start then
    start = free_at
  end
end
redis.call('ZADD', starts, start, ticket)
-- Only ever lengthen the key's life: a slot freed by a cancelled caller lets this start come
-- before a later one already handed out, which must stay in the window until it passes.
local ttl = math.ceil((start - now + window) / 1000)
if redis.call('PTTL', starts) < ttl then
  redis.call('PEXPIRE', starts, ttl)
end
return {0, start, now}
"""

# KEYS: pause.  ARGV: seconds, window, longest pause (microseconds).  Keeps the later of
# both pauses, never one longer than the longest pause (a stale longer one is cut to it).
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


# KEYS: starts, pause.  ARGV: limit, window (microseconds).  Read only.
# Starts scored in the future are reservations: callers sleeping until their slot (waiting).
# Returns {used, waiting, next slot in, paused for} (times in microseconds from Redis's now).
_STATS = """
local starts, pause_key = KEYS[1], KEYS[2]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local low = '(' .. string.format('%d', now - window)
local used = redis.call('ZCOUNT', starts, low, string.format('%d', now))
local waiting = redis.call('ZCOUNT', starts, '(' .. string.format('%d', now), '+inf')
local paused = math.max(tonumber(redis.call('GET', pause_key) or '0') - now, 0)
local next_slot = paused
local count = used + waiting
if count >= limit then
  -- As in the acquire script: the limit-th latest start frees the next slot.
  local nth = redis.call('ZRANGEBYSCORE', starts, low, '+inf', 'WITHSCORES', 'LIMIT',
                         count - limit, 1)
  next_slot = math.max(next_slot, tonumber(nth[2]) + window - now)
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

    Each `acquire` is one script call that hands out the next free slot in the window, first
    come, first served across processes (in the order Redis runs the calls); a caller whose
    slot is later sleeps until it without asking again.

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
        TypeError: ``prefix`` is not a ``str``, or ``redis`` is not a ``redis.asyncio``
            client.
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
        check_async_redis(redis)
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
        self._keys = [f"{base}:starts", f"{base}:pause"]
        self._acquire_script: AsyncScript = redis.register_script(_ACQUIRE)
        self._penalize_script: AsyncScript = redis.register_script(_PENALIZE)
        self._stats_script: AsyncScript = redis.register_script(_STATS)
        self._owns_redis = False
        self._on_fallback = False
        # When a pause this limiter set ends, on the local clock: callers already holding a
        # slot honour it without asking Redis again.
        self._local_pause_until = -math.inf
        self._pauses = 0

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
            RateLimitError: The shared pause lasts longer than ``MAX_RETRY_AFTER`` (60)
                seconds more; its ``retry_after`` is the pause left. With 60 s or less
                left, it waits for the pause to end instead.
            RateLimiterUnavailableError: Redis cannot be reached and there is no fallback.
            RuntimeError: Called outside asyncio (e.g. under trio).
        """
        await self.acquire_slot()

    async def penalize(self, seconds: float) -> None:
        """
        After a 429: no sharer of the key starts before Redis's now + ``seconds``, at most
        ``LONGEST_PAUSE`` (the pause key never outlives the pause by more than a window).

        Every later `acquire`, in any process, waits out the pause (or fails at once while
        more than ``MAX_RETRY_AFTER`` seconds of it are left), and so do this limiter's own
        waiters; a waiter in another process that already holds a slot keeps it. A shorter
        pause never shortens one in force.

        Args:
            seconds: How long every sharer of the key waits, from Redis's now.

        Raises:
            ValueError: ``seconds`` is negative or not finite.
            RateLimiterUnavailableError: Redis cannot be reached and there is no fallback.
            RuntimeError: Called outside asyncio (e.g. under trio).
        """
        seconds = check_penalty(seconds)
        _require_asyncio()
        self._local_pause_until = max(self._local_pause_until, anyio.current_time() + seconds)
        self._pauses += 1
        if self.fallback is not None:
            await self.fallback.penalize(seconds)
        window = _micros(self.period + self.margin)
        try:
            await self._run(
                self._penalize_script,
                self._keys[1:2],
                [_micros(seconds), window, _micros(LONGEST_PAUSE)],
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

    async def acquire_slot(self) -> float | None:
        """
        `acquire`, and say when the request was allowed to start, on Redis's clock.

        The slot is the instant the shared window counts the start at, so grants taken in
        several processes (or hosts) can be laid on one timeline and checked against the
        quota, whatever each host's clock says or however late a busy process wakes up.

        Returns:
            Redis's time of the slot, in seconds since the epoch (``TIME``, to the
            microsecond); ``None`` when Redis could not be reached and the ``fallback``
            limiter granted the start instead.

        Raises:
            RateLimitError: The shared pause lasts longer than ``MAX_RETRY_AFTER`` (60)
                seconds more; its ``retry_after`` is the pause left.
            RateLimiterUnavailableError: Redis cannot be reached and there is no fallback.
            RuntimeError: Called outside asyncio (e.g. under trio).
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
        window = _micros(self.period + self.margin)
        args: list[Any] = [
            None,
            self.limit,
            window,
            _micros(LONGEST_PAUSE),
            _micros(MAX_RETRY_AFTER),
        ]
        while True:
            ticket = args[0] = uuid.uuid4().hex
            pauses = self._pauses
            try:
                reply = await self._run(self._acquire_script, self._keys, args)
            except RateLimiterUnavailableError:
                raise
            except BaseException:
                # Cancelled, possibly between the script's effect and its answer.
                await self._give_back(ticket)
                raise
            if int(reply[0]) == _PAUSED_TOO_LONG:
                raise paused_error(int(reply[1]) / 1_000_000)
            start, now = int(reply[1]), int(reply[2])
            if start > now:
                try:
                    await anyio.sleep((start - now) / 1_000_000)
                except BaseException:
                    # Cancelled while waiting for the slot: free it for the callers after us.
                    await self._give_back(ticket)
                    raise
            if pauses == self._pauses or anyio.current_time() >= self._local_pause_until:
                return start / 1_000_000
            # This limiter was penalized while we waited and the pause outlasts our slot:
            # free the slot and take a new one after the pause (Redis knows of it too).
            await self._give_back(ticket)

    async def _give_back(self, ticket: str) -> None:
        # Shielded so that a cancelled waiter still frees its slot; bounded so that a dead
        # Redis cannot hold the cancellation up (the reservation leaves the window anyway).
        with anyio.CancelScope(shield=True), anyio.move_on_after(1.0):
            try:
                await self.redis.zrem(self._keys[0], ticket)
            except RedisError:
                logger.debug("could not free the slot of %r in Redis", self.key, exc_info=True)

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
