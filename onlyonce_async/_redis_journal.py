"""
`RedisJournal`: the share journal in Redis, for the workers of one job on several hosts.

Each step of `ShareJournal` that reads and writes is one Lua script, so a claim is atomic
across every process on the Redis server, and leases are timed by Redis's own clock
(``TIME``): the hosts' clocks never matter. A job's entries live in one hash,
``{<key>}:shares:<sender>:<card>``, a field per recipient (its 16 bytes) whose value is
``S:<request id>`` (succeeded), ``X:<error>`` (failed) or ``F:<run>:<lease end, ms>`` (in
flight; an empty run is a released claim). A run's duplicate detection is a set,
``{<key>}:seen:<run>``, deleted when the run ends and expiring after a week if it never does.
The braces keep a journal's keys in one Redis Cluster slot. The shares hash has no expiry:
delete it when the job is over.

asyncio only: redis-py's asyncio client does not run under trio, so `open` raises
`RuntimeError` there (use `SQLiteJournal` on trio). Requires Redis 5 or newer.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import uuid
from collections.abc import Iterable
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from ._journal import Claim, ClaimState, JobKey, JournalError, OpenedInContext

__all__ = ["RedisJournal", "check_async_redis"]

#: How long an unfinished run's duplicate-detection set outlives its last claim.
_SEEN_TTL_MS = 7 * 24 * 3600 * 1000
#: The longest error text kept for a failed share.
_MAX_ERROR = 500

# KEYS: shares, seen.  ARGV: recipient, run, lease ms, first sight (1/0), seen ttl ms.
_CLAIM = """
local recipient, run = ARGV[1], ARGV[2]
if ARGV[4] == '1' then
  if redis.call('SADD', KEYS[2], recipient) == 0 then
    return {'duplicate'}
  end
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local mine = 'F:' .. run .. ':' .. string.format('%d', now + tonumber(ARGV[3]))
local value = redis.call('HGET', KEYS[1], recipient)
if not value then
  redis.call('HSET', KEYS[1], recipient, mine)
  return {'new'}
end
local kind = string.sub(value, 1, 1)
if kind == 'S' then
  return {'succeeded', string.sub(value, 3)}
end
if kind == 'F' then
  local owner, lease = string.match(value, '^F:([^:]*):(%d+)$')
  if owner and owner ~= '' and owner ~= run and tonumber(lease) > now then
    return {'busy'}
  end
  redis.call('HSET', KEYS[1], recipient, mine)
  return {'resumed'}
end
redis.call('HSET', KEYS[1], recipient, mine)
return {'new'}
"""

# KEYS: shares.  ARGV: run, lease ms, recipients...  Returns the 1-based indexes of lost claims.
_RENEW = """
local run = ARGV[1]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local mine = 'F:' .. run .. ':' .. string.format('%d', now + tonumber(ARGV[2]))
local lost = {}
for i = 3, #ARGV do
  local value = redis.call('HGET', KEYS[1], ARGV[i])
  if value and string.match(value, '^F:([^:]*):') == run then
    redis.call('HSET', KEYS[1], ARGV[i], mine)
  else
    table.insert(lost, i - 2)
  end
end
return lost
"""

# KEYS: shares.  ARGV: run, new value, recipients...  Sets the value over the run's own claims.
_SETTLE = """
local run = ARGV[1]
for i = 3, #ARGV do
  local value = redis.call('HGET', KEYS[1], ARGV[i])
  if value and string.match(value, '^F:([^:]*):') == run then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[2])
  end
end
return 0
"""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def check_async_redis(redis: object) -> None:
    """
    Refuse what is not an asyncio Redis client (a sync ``redis.Redis`` would block the event
    loop and fail at the first await).

    Raises:
        TypeError: ``redis`` is not a ``redis.asyncio`` client (``Redis`` or ``RedisCluster``).
    """
    execute = getattr(type(redis), "execute_command", None)
    if not (hasattr(redis, "register_script") and inspect.iscoroutinefunction(execute)):
        raise TypeError(
            f"redis must be a redis.asyncio client (redis.asyncio.Redis or RedisCluster), "
            f"not {type(redis).__module__}.{type(redis).__name__}"
        )


class RedisJournal(OpenedInContext):
    """
    A `ShareJournal` in Redis, shared by the workers of a job on any number of hosts.

    The caller owns the Redis client (and closes it). asyncio only.

    Args:
        redis: A ``redis.asyncio.Redis`` client.
        key: The journal's name, e.g. ``"onlyonce:job:42"``; every worker of a job uses it.
        lease: Seconds a worker's claim holds unless renewed (it is renewed every third of
            it while the share is in progress); a dead worker's claims are taken over after it.

    Raises:
        ValueError: An empty ``key`` or a lease that is not positive.
        TypeError: ``redis`` is not a ``redis.asyncio`` client.
        JournalError: From `open`: Redis cannot be reached.
    """

    def __init__(self, redis: Redis, key: str, *, lease: float = 60.0) -> None:
        check_async_redis(redis)
        if not isinstance(key, str) or not key:
            raise ValueError(f"key must be a non-empty str, not {key!r}")
        if not (isinstance(lease, (int, float)) and lease > 0 and math.isfinite(lease)):
            raise ValueError(f"lease must be positive seconds, not {lease!r}")
        self.redis = redis
        self.key = key
        self._lease = float(lease)
        self._lease_ms = max(1, math.ceil(lease * 1000))
        self._claim: AsyncScript = redis.register_script(_CLAIM)
        self._renew: AsyncScript = redis.register_script(_RENEW)
        self._settle: AsyncScript = redis.register_script(_SETTLE)

    def __repr__(self) -> str:
        return f"RedisJournal(key={self.key!r}, lease={self._lease})"

    @property
    def lease(self) -> float:
        """Seconds a claim holds unless renewed."""
        return self._lease

    def _shares(self, job: JobKey) -> str:
        return f"{{{self.key}}}:shares:{job.sender_id}:{job.card_id}"

    def _seen(self, run: str) -> str:
        return f"{{{self.key}}}:seen:{run}"

    async def open(self) -> None:
        """
        Check that Redis answers.

        Raises:
            JournalError: It does not.
            RuntimeError: Called outside asyncio (e.g. under trio).
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                "RedisJournal is asyncio-only: redis-py's asyncio client does not run "
                "under trio; use SQLiteJournal there"
            ) from None
        await self._call(self.redis.ping())

    async def aclose(self) -> None:
        """Nothing to release: the caller owns the Redis client."""

    async def _call(self, awaitable: Any) -> Any:
        try:
            return await awaitable
        except RedisError as exc:
            raise JournalError(f"Redis share journal {self.key!r}: {exc}") from exc

    async def claim(
        self, job: JobKey, recipient: uuid.UUID, run: str, *, first_sight: bool
    ) -> Claim:
        """See `ShareJournal.claim`."""
        keys = [self._shares(job), self._seen(run)]
        args: list[Any] = [recipient.bytes, run, self._lease_ms, int(first_sight), _SEEN_TTL_MS]
        answer = await self._call(self._claim(keys=keys, args=args))
        try:
            state = ClaimState(_text(answer[0]))
            if state is ClaimState.SUCCEEDED and len(answer) > 1 and _text(answer[1]):
                return Claim(state, uuid.UUID(hex=_text(answer[1])))
        except (ValueError, TypeError, IndexError) as exc:
            # Something else wrote into the journal's keys (nothing is sent on a guess).
            raise JournalError(
                f"Redis share journal {self.key!r}: an entry is not a share journal's"
            ) from exc
        return Claim(state)

    async def renew(self, job: JobKey, recipients: Iterable[uuid.UUID], run: str) -> set[uuid.UUID]:
        """See `ShareJournal.renew`."""
        held = list(recipients)
        if not held:
            return set()
        args: list[Any] = [run, self._lease_ms, *(r.bytes for r in held)]
        lost = await self._call(self._renew(keys=[self._shares(job)], args=args))
        return {held[int(i) - 1] for i in lost}

    async def succeeded(self, job: JobKey, recipient: uuid.UUID, request_id: uuid.UUID) -> None:
        """See `ShareJournal.succeeded`."""
        await self.add_existing(job, [(recipient, request_id)])

    async def failed(self, job: JobKey, recipient: uuid.UUID, run: str, error: str) -> None:
        """See `ShareJournal.failed` (only over the run's own claim)."""
        args: list[Any] = [run, "X:" + error[:_MAX_ERROR], recipient.bytes]
        await self._call(self._settle(keys=[self._shares(job)], args=args))

    async def release(self, job: JobKey, recipients: Iterable[uuid.UUID], run: str) -> None:
        """See `ShareJournal.release`."""
        held = [r.bytes for r in recipients]
        if held:
            args: list[Any] = [run, "F::0", *held]
            await self._call(self._settle(keys=[self._shares(job)], args=args))

    async def add_existing(
        self, job: JobKey, shared: Iterable[tuple[uuid.UUID, uuid.UUID]]
    ) -> None:
        """See `ShareJournal.add_existing`."""
        mapping = {r.bytes: f"S:{q.hex}" for r, q in shared}
        if mapping:
            await self._call(self.redis.hset(self._shares(job), mapping=mapping))  # type: ignore[arg-type]

    async def end_run(self, run: str) -> None:
        """See `ShareJournal.end_run`."""
        await self._call(self.redis.delete(self._seen(run)))
