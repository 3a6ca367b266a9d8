"""
Client-side rate limiting: the `RateLimiter` protocol and `SlidingWindowRateLimiter`.

The Only Once API allows 60 requests a minute and counts them in a moving window. A token
or leaky bucket with a burst of ``limit`` (aiolimiter's ``AsyncLimiter``, for one) admits
``limit`` requests at once and then refills continuously, so in the first ``period`` it lets
about twice ``limit`` through and the server answers 429. The only client-side guarantee that
matches the server's is the server's own rule: never more than ``limit`` starts in any window
of ``period``. No maintained anyio (asyncio *and* trio) library implements that window with
first-come first-served waiting and a shared pause, so it is written here; it is small.
"""

from __future__ import annotations

import collections
import math
import weakref
from collections.abc import AsyncGenerator, Callable
from typing import Protocol, runtime_checkable

import anyio
import attrs
import httpx

from ._attempt import start_attempt_timer, took_slot_early
from ._errors import RateLimitError
from ._events import TRACE_EXTENSION, CallTrace
from ._retry import MAX_RETRY_AFTER

__all__ = [
    "LONGEST_PAUSE",
    "LimitedAuth",
    "LimiterStats",
    "RateLimiter",
    "SlidingWindowRateLimiter",
    "check_penalty",
    "paused_error",
    "refused_by_pause",
]

#: The longest pause a limiter records, in seconds: a sanity bound, not a policy. A 429's
#: ``Retry-After`` (or the policy's default) is honoured in full up to one day; a longer one
#: (an HTTP date years ahead, ``1e9``) is recorded as a day, so clock arithmetic and Redis
#: key lifetimes stay sane and one absurd answer heals itself. Whether a call waits for a
#: pause or fails at once is the separate fail-fast threshold, ``MAX_RETRY_AFTER`` (60 s).
LONGEST_PAUSE = 86_400.0


@runtime_checkable
class RateLimiter(Protocol):
    """
    What a `Client` needs from a rate limiter.
    """

    async def acquire(self) -> None:
        """
        Wait until one request may start, and count it.

        Raises:
            RateLimitError: The limiter is paused for longer than ``MAX_RETRY_AFTER`` (60)
                seconds; its ``retry_after`` is the pause left.
        """

    async def penalize(self, seconds: float) -> None:
        """
        After a 429: nobody starts before now + ``seconds`` (at most ``LONGEST_PAUSE``).

        Args:
            seconds: How long every task sharing the limiter waits, from now (the
                response's ``Retry-After``, or a default backoff when it has none).
        """


@attrs.frozen(kw_only=True)
class LimiterStats:
    """
    A snapshot of a rate limiter's quota, for dashboards, autoscaling and ETAs.

    Times are seconds from the moment of the snapshot (a Redis limiter's own clock may
    differ from this process's, so no absolute time is given).

    Attributes:
        limit: Starts allowed per window.
        period: The window, in seconds.
        used: Starts counted in the current window.
        waiting: Acquisitions waiting for a slot (for `RedisRateLimiter`: every sharer's).
        next_slot_in: Seconds until an acquisition could start (0 when one could now).
        paused_for: Seconds the 429 pause still lasts (0 when not paused).
    """

    limit: int
    period: float
    used: int
    waiting: int
    next_slot_in: float
    paused_for: float

    def seconds_for(self, requests: int) -> float:
        """
        About how long until ``requests`` more requests have started at this quota.

        An estimate for an ETA: the pause left, then the free slots of this window at once,
        then ``limit`` per ``period`` (those already waiting go first).

        Args:
            requests: Requests still to send.

        Returns:
            Seconds, 0 when they could all start now.
        """
        if requests <= 0:
            return 0.0
        beyond = requests + self.waiting - (self.limit - self.used)
        if beyond <= 0:
            return self.next_slot_in
        return max(self.next_slot_in, self.paused_for) + beyond * self.period / self.limit


class SlidingWindowRateLimiter:
    """
    At most ``limit`` acquisitions complete in any interval of ``period`` seconds.

    Waiters are served first come, first served. A waiter that is cancelled neither
    consumes nor leaks quota. `penalize` pauses every task sharing the limiter.

    Args:
        limit: Starts allowed per window.
        period: The window, in seconds.
        margin: Extra seconds added to the window so that requests leaving the client a few
            milliseconds apart cannot land inside the server's window; defaults to 1 % of
            ``period``, at most 0.25 s.
        clock: A monotonic clock in seconds; defaults to ``anyio.current_time``.
    """

    def __init__(
        self,
        limit: int = 60,
        period: float = 60.0,
        *,
        margin: float | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.limit, self.period, self.margin = check_window(limit, period, margin)
        self._clock = clock or anyio.current_time
        self._starts: collections.deque[float] = collections.deque(maxlen=limit)
        self._paused_until = -math.inf
        self._lock: anyio.Lock | None = None
        self._waiting = 0

    def __repr__(self) -> str:
        return f"SlidingWindowRateLimiter(limit={self.limit}, period={self.period})"

    @property
    def _fifo(self) -> anyio.Lock:
        # Created on first use: an anyio.Lock must belong to the running event loop.
        # fast_acquire: an uncontended acquire takes the lock without a trip through the
        # event loop (the slow path cost about 50 µs a call); waiters still queue FIFO and
        # a cancelled waiter still leaves the queue without taking the lock.
        if self._lock is None:
            self._lock = anyio.Lock(fast_acquire=True)
        return self._lock

    def _wait_time(self, now: float) -> float:
        wait = self._paused_until - now
        if len(self._starts) >= self.limit:
            wait = max(wait, self._starts[0] + self.period + self.margin - now)
        return wait

    async def acquire(self) -> None:
        """
        Wait until one request may start, and count it.

        Raises:
            RateLimitError: The limiter is paused for longer than ``MAX_RETRY_AFTER`` (60)
                seconds; its ``retry_after`` is the pause left. With 60 s or less left, it
                waits for the pause to end instead.
        """
        if self.try_acquire():
            return
        self._raise_if_paused_too_long()
        self._waiting += 1
        try:
            async with self._fifo:
                while True:
                    now = self._clock()
                    wait = self._wait_time(now)
                    if wait <= 0:
                        # No await between the check and the append: nothing can interleave.
                        self._starts.append(now)
                        return
                    self._raise_if_paused_too_long()
                    await anyio.sleep(wait)
        finally:
            self._waiting -= 1

    def try_acquire(self) -> bool:
        """
        Count one start now if one may start at once (a free slot, no pause, nobody
        queued before it); never waits.

        Returns:
            Whether the start was counted.
        """
        if self._lock is not None and self._lock.locked():
            return False  # others queue for a slot: they come first
        # No await between the check and the append: nothing can interleave.
        now = self._clock()
        if self._wait_time(now) > 0:
            return False
        self._starts.append(now)
        return True

    def stats(self) -> LimiterStats:
        """
        The quota now: used in the current window, waiting, next free slot, pause left.

        Reads the limiter's state only; it neither waits nor counts anything.

        Returns:
            A `LimiterStats` snapshot.
        """
        now = self._clock()
        window_start = now - self.period - self.margin
        used = sum(1 for start in self._starts if start > window_start)
        return LimiterStats(
            limit=self.limit,
            period=self.period,
            used=used,
            waiting=self._waiting,
            next_slot_in=max(self._wait_time(now), 0.0),
            paused_for=max(self._paused_until - now, 0.0),
        )

    async def penalize(self, seconds: float) -> None:
        """
        After a 429: nobody starts before now + ``seconds`` (at most ``LONGEST_PAUSE``).

        A shorter pause never shortens one already in force. While more than
        ``MAX_RETRY_AFTER`` seconds of it are left, `acquire` fails at once.

        Args:
            seconds: How long to pause, from now.

        Raises:
            ValueError: ``seconds`` is negative or not finite.
        """
        now = self._clock()
        self._paused_until = max(self._paused_until, now + check_penalty(seconds))

    def _raise_if_paused_too_long(self) -> None:
        remaining = self._paused_until - self._clock()
        if remaining > MAX_RETRY_AFTER:
            raise paused_error(remaining)


def check_penalty(seconds: float) -> float:
    """
    The pause a penalty of ``seconds`` records: all of it, at most ``LONGEST_PAUSE``.

    The one rule for how long a server's requested wait lasts, shared by every limiter and
    by the bulk share's own wait between sends.

    Args:
        seconds: The requested pause (a ``Retry-After``, or the policy's default).

    Returns:
        ``seconds`` as a float, at most ``LONGEST_PAUSE``.

    Raises:
        ValueError: Negative, NaN or infinite (a caller's bug, not a server's answer).
    """
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, (int, float))
        or not (math.isfinite(seconds) and seconds >= 0)
    ):
        raise ValueError(f"seconds must be a finite number >= 0, not {seconds!r}")
    return min(float(seconds), LONGEST_PAUSE)


def check_window(limit: int, period: float, margin: float | None) -> tuple[int, float, float]:
    """
    Validate a limiter's window and fill in the default margin.

    Shared by every limiter so that they all read ``limit``/``period``/``margin`` alike.

    Returns:
        ``(limit, period, margin)`` with ``margin`` defaulting to 1 % of ``period``, at
        most 0.25 s.

    Raises:
        ValueError: ``limit`` is not a positive int, or ``period``/``margin`` are out of range.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit must be a positive int, not {limit!r}")
    if not (isinstance(period, (int, float)) and math.isfinite(period) and period > 0):
        raise ValueError(f"period must be a positive number of seconds, not {period!r}")
    if margin is None:
        margin = min(0.25, period / 100)
    if not (isinstance(margin, (int, float)) and math.isfinite(margin) and margin >= 0):
        raise ValueError(f"margin must be >= 0, not {margin!r}")
    return limit, float(period), float(margin)


# The errors `paused_error` made (see `refused_by_pause`).
_PAUSE_ERRORS: weakref.WeakSet[BaseException] = weakref.WeakSet()


def paused_error(remaining: float) -> RateLimitError:
    """
    The error for a limiter paused ``remaining`` seconds, longer than ``MAX_RETRY_AFTER``.
    """
    error = RateLimitError(
        f"rate limited: paused for another {remaining:.0f} s",
        retry_after=remaining,
        status_code=429,
    )
    _PAUSE_ERRORS.add(error)
    return error


def refused_by_pause(error: BaseException) -> bool:
    """
    Whether ``error`` is a limiter's refusal to wait out a long pause (`paused_error`).

    Such an error is the failing call's own (nothing was sent; made afresh for each call),
    unlike the outcomes auth flows share between concurrent calls, so the retry loops above
    the call may wait its ``retry_after`` out and try again.
    """
    return error in _PAUSE_ERRORS


class LimitedAuth(httpx.Auth):
    """
    Pass every request httpx sends through the rate limiter, auth-flow requests included.

    An auth flow may send more than one request (a sign-in, then the replay); wrapping the
    flow is the one place that sees each of them, whatever auth the client uses.
    """

    def __init__(self, inner: httpx.Auth | None, limiter: RateLimiter) -> None:
        self._inner = inner
        self._limiter = limiter

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        trace = request.extensions.get(TRACE_EXTENSION)
        # The attempt's first request may have been counted as the attempt began.
        counted = took_slot_early(request)
        if self._inner is None:
            if not counted:
                await self._acquire(request, trace)
            yield request
            return
        flow = self._inner.async_auth_flow(request)
        try:
            outgoing = await flow.__anext__()
            while True:
                if not counted:
                    await self._acquire(outgoing, trace)
                counted = False
                response = yield outgoing
                try:
                    outgoing = await flow.asend(response)
                except StopAsyncIteration:
                    return
        finally:
            await flow.aclose()

    async def _acquire(self, outgoing: httpx.Request, trace: CallTrace | None) -> None:
        """A slot for ``outgoing``; its attempt's timer counts from the grant on."""
        if trace is None:
            await self._limiter.acquire()
        else:
            await self._acquire_traced(trace)
        # The per-attempt timeout counts from here: waiting for quota is not slowness.
        start_attempt_timer(outgoing)

    async def _acquire_traced(self, trace: CallTrace) -> None:
        start = anyio.current_time()
        await self._limiter.acquire()
        trace.quota_waited(anyio.current_time() - start)
