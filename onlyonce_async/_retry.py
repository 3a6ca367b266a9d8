"""
When to retry a request, how long to wait first, and the one retry loop (`retry_context`).

Connect errors (nothing reached the server), 429 and 503 are retried for every method.
Read errors, timeouts and 500/502/504 leave the outcome unknown, so they are retried only
for idempotent methods; a POST whose outcome is unknown surfaces to the caller (bulk
sharing reconciles such a POST by looking the request up).
"""

from __future__ import annotations

import math
import random
import weakref
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Final, TypeVar

import anyio
import attrs
import httpx

from ._errors import APIError, ClientClosedError, OnlyOnceError, RateLimitError, TransportError
from ._httpdate import parse_retry_after

__all__ = [
    "IDEMPOTENT_METHODS",
    "MAX_RETRY_AFTER",
    "Attempt",
    "RetryPolicy",
    "Retrying",
    "first_attempt_then",
    "not_retried",
    "outcome_unknown",
    "retry_context",
]

IDEMPOTENT_METHODS: Final = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"})
#: The fail-fast threshold, in seconds (DESIGN §2.3): the longest wait the SDK sleeps
#: through inside a call. A server asking a call to wait longer gets a `RateLimitError` at
#: once, and so does a call on a rate limiter paused for longer. It does not shorten the
#: pause itself (a limiter keeps the whole ``Retry-After``, up to ``LONGEST_PAUSE``).
MAX_RETRY_AFTER: Final = 60.0

_ALWAYS_RETRIED_STATUSES: Final = frozenset({429, 503})
_IDEMPOTENT_RETRIED_STATUSES: Final = frozenset({500, 502, 504})
_NOTHING_SENT: Final = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

T = TypeVar("T")


# Errors that end a call whatever the policy says (see `not_retried`).
_NOT_RETRIED: weakref.WeakSet[BaseException] = weakref.WeakSet()


def not_retried(error: OnlyOnceError) -> OnlyOnceError:
    """
    Mark ``error`` as final for every `retry_context` it passes through, and return it.

    For an outcome shared with a call that did not cause it (the failed sign-in or access
    renewal a concurrent call made): retrying would start a new episode per waiter.
    """
    _NOT_RETRIED.add(error)
    return error


def _nothing_sent(error: TransportError) -> bool:
    return isinstance(error.__cause__, _NOTHING_SENT)


def outcome_unknown(error: BaseException) -> bool:
    """
    Whether the server may have acted on a request that ended with ``error``.

    True for transport failures after the request may have been sent (read errors,
    dropped connections, read timeouts), for a close of the client while the request may
    have been in flight, and for 500, 502 and 504 answers.
    """
    if isinstance(error, TransportError):
        return not _nothing_sent(error)
    if isinstance(error, ClientClosedError):
        return error.maybe_sent
    if isinstance(error, APIError):
        return error.status_code in _IDEMPOTENT_RETRIED_STATUSES
    return False


def _seconds(instance: Any, attribute: attrs.Attribute[float], value: Any) -> None:
    """An attrs validator: a finite number of seconds, >= 0."""
    name = attribute.name
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, not {type(value).__name__}")
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a finite number of seconds >= 0, not {value!r}")


def _pause(instance: Any, attribute: attrs.Attribute[float], value: Any) -> None:
    """An attrs validator: seconds, at most ``MAX_RETRY_AFTER`` (a pause everyone waits out)."""
    _seconds(instance, attribute, value)
    if value > MAX_RETRY_AFTER:
        raise ValueError(f"{attribute.name} must be at most {MAX_RETRY_AFTER:g} seconds")


def _flag(instance: Any, attribute: attrs.Attribute[bool], value: Any) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{attribute.name} must be a bool, not {type(value).__name__}")


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """
    Exponential backoff with full jitter, capped.

    Each attribute is also a keyword argument of the constructor.

    Attributes:
        initial: The first backoff's upper bound, in seconds.
        maximum: The cap on any one backoff, in seconds.
        jitter: Draw each wait uniformly from ``[0, bound]`` (full jitter) so that many
            clients failing together do not retry together.
        rate_limit_default: The pause after a 429 that carries no ``Retry-After``.

    Raises:
        TypeError: A setting of the wrong type (``jitter`` must be a ``bool``, the others
            numbers).
        ValueError: A number of seconds that is negative or not finite, or a
            ``rate_limit_default`` above 60 s (``MAX_RETRY_AFTER``: a default pause longer
            than that would fail every call sharing the limiter at once).
    """

    initial: float = attrs.field(default=0.5, validator=_seconds)
    maximum: float = attrs.field(default=8.0, validator=_seconds)
    jitter: bool = attrs.field(default=True, validator=_flag)
    rate_limit_default: float = attrs.field(default=1.0, validator=_pause)

    def backoff(self, attempt: int) -> float:
        """
        Seconds to wait before retry number ``attempt`` (0-based).

        Args:
            attempt: The number of retries already made (0 before the first retry).

        Returns:
            Seconds, drawn from 0 to ``min(maximum, initial * 2 ** attempt)`` (that bound
            itself without jitter).
        """
        bound = min(self.maximum, self.initial * (2.0 ** min(attempt, 30)))
        return random.uniform(0.0, bound) if self.jitter else bound  # noqa: S311 - not a secret

    def should_retry(self, method: str, error: OnlyOnceError) -> bool:
        """
        Whether ``error`` on a ``method`` request may be retried at all.

        Args:
            method: The request's HTTP method (idempotent methods are retried after more errors).
            error: What the attempt ended with.

        Returns:
            Whether the request may be sent again (the attempt budget aside).
        """
        idempotent = method.upper() in IDEMPOTENT_METHODS
        if isinstance(error, TransportError):
            return idempotent or _nothing_sent(error)
        if not isinstance(error, APIError):
            return False
        if error.status_code in _ALWAYS_RETRIED_STATUSES:
            return True
        return idempotent and error.status_code in _IDEMPOTENT_RETRIED_STATUSES

    def delay(self, attempt: int, error: OnlyOnceError) -> float:
        """
        Seconds to wait before retrying after ``error``.

        ``Retry-After`` wins when the server sent one; otherwise exponential backoff.

        Args:
            attempt: The number of retries already made (0 before the first retry).
            error: What the attempt ended with.

        Returns:
            Seconds to wait.

        Raises:
            RateLimitError: The server asked for a wait longer than ``MAX_RETRY_AFTER``.
        """
        retry_after = error.retry_after if isinstance(error, RateLimitError) else None
        if retry_after is None and isinstance(error, APIError) and error.response is not None:
            retry_after = parse_retry_after(error.response.headers.get("Retry-After"))
        if retry_after is not None and retry_after > MAX_RETRY_AFTER:
            if isinstance(error, RateLimitError):
                raise error
            raise RateLimitError(
                f"server asked to retry after {retry_after:.0f} s",
                retry_after=retry_after,
                status_code=error.status_code if isinstance(error, APIError) else 429,
                response=error.response if isinstance(error, APIError) else None,
            ) from error
        if retry_after is not None:
            return retry_after
        if isinstance(error, RateLimitError):
            return self.rate_limit_default
        return self.backoff(attempt)

    def retry_context(
        self,
        method: str,
        *,
        retries: int,
        wait: Callable[[int, OnlyOnceError], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        on_retry: RetryHook | None = None,
    ) -> Retrying:
        """
        The retry loop for a ``method`` request under this policy.

        ``async for attempt in policy.retry_context("GET", retries=2): with attempt: ...``
        runs the block until it succeeds, raises an error `should_retry` refuses, or has
        run ``retries + 1`` times; between attempts it waits `delay` (``Retry-After``
        first, else backoff).

        Args:
            method: The request's HTTP method (see `should_retry`).
            retries: Attempts after the first.
            wait: Seconds before retry number ``n`` after an error; `delay` when ``None``.
            sleep: How to wait (``anyio.sleep``).
            on_retry: Told of each retry decision (see `retry_context`).

        Returns:
            A `Retrying` to ``async for`` over.
        """
        return retry_context(
            attempts=retries + 1,
            retry_on=lambda error: self.should_retry(method, error),
            wait=wait or self.delay,
            sleep=sleep,
            on_retry=on_retry,
        )


#: The type of the ``wait`` a `retry_context` takes: retries made so far, error → seconds.
WaitFunction = Callable[[int, OnlyOnceError], float]
#: Told of each retry decision: retries made so far, the error, the seconds it will wait.
RetryHook = Callable[[int, OnlyOnceError, float], None]


class Attempt:
    """
    One attempt of a `retry_context` loop: a context manager around the attempt's work.

    An `OnlyOnceError` raised inside the ``with`` block is swallowed when the loop will
    try again (the loop then waits and yields the next attempt); otherwise it propagates.

    Attributes:
        number: The attempt's number, 1 for the first.
    """

    __slots__ = ("_loop", "number")

    def __init__(self, loop: Retrying, number: int) -> None:
        self._loop = loop
        self.number = number

    def __repr__(self) -> str:
        return f"<Attempt number={self.number}>"

    def __enter__(self) -> Attempt:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if exc is None:
            self._loop._succeeded()
            return False
        if not isinstance(exc, OnlyOnceError):
            return False
        return self._loop._schedule(self, exc)


class Retrying:
    """
    An async iterator of `Attempt` objects (stamina's ``retry_context`` shape).

    ``async for attempt in retry_context(...): with attempt: ...`` runs the block until it
    succeeds (leave the loop with ``return`` or ``break``: the iterator also stops after a
    block that raised nothing), an error is not retried, or the attempts run out; the last
    error then propagates out of the ``with`` block. This is the one retry loop of the SDK.
    """

    __slots__ = ("_attempts", "_delay", "_number", "_on_retry", "_retry_on", "_sleep", "_wait")

    def __init__(
        self,
        *,
        attempts: int,
        retry_on: Callable[[OnlyOnceError], bool],
        wait: WaitFunction,
        sleep: Callable[[float], Awaitable[None]],
        on_retry: RetryHook | None = None,
    ) -> None:
        self._attempts = attempts
        self._on_retry = on_retry
        self._retry_on = retry_on
        self._wait = wait
        self._sleep = sleep
        self._number = 0
        self._delay: float | None = 0.0  # None: the last attempt succeeded

    def __aiter__(self) -> Retrying:
        return self

    async def __anext__(self) -> Attempt:
        if self._delay is None:
            raise StopAsyncIteration
        if self._number:
            await self._sleep(self._delay)
        self._number += 1
        self._delay = None
        return Attempt(self, self._number)

    def _succeeded(self) -> None:
        self._delay = None

    def _after_first(self, error: OnlyOnceError) -> bool:
        """
        Take up a loop whose first attempt ran outside it and failed with ``error``:
        whether to go on (the next step then waits and yields attempt 2).

        Raises:
            OnlyOnceError: ``wait``'s own refusal (e.g. a ``Retry-After`` past the cap).
        """
        self._number = 1
        return self._schedule(Attempt(self, 1), error)

    def _schedule(self, attempt: Attempt, error: OnlyOnceError) -> bool:
        """
        The retry decision after ``attempt`` failed with ``error``: whether to try again.

        Raises:
            OnlyOnceError: ``wait`` refused to wait (e.g. a ``Retry-After`` past the cap).
        """
        if attempt.number >= self._attempts or error in _NOT_RETRIED or not self._retry_on(error):
            return False
        self._delay = self._wait(attempt.number - 1, error)
        if self._on_retry is not None:
            # The one place a retry is decided: its INFO line and event are made here.
            self._on_retry(attempt.number - 1, error, self._delay)
        return True


def retry_context(
    *,
    attempts: int,
    retry_on: Callable[[OnlyOnceError], bool],
    wait: WaitFunction,
    sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    on_retry: RetryHook | None = None,
) -> Retrying:
    """
    The SDK's one retry loop: ``async for attempt in retry_context(...): with attempt: ...``.

    Args:
        attempts: How many attempts in all, at least 1.
        retry_on: Whether an error may be retried at all.
        wait: Seconds to wait before the next attempt, given the retries made so far
            (0 before the first retry) and the error; it may raise instead (that error
            then ends the loop).
        sleep: How to wait (``anyio.sleep``; tests pass a recorder).
        on_retry: Called with the retries made so far, the error and the wait, each time
            the loop decides to try again (the retry log line and event are made there).

    Returns:
        The `Retrying` iterator.

    Raises:
        ValueError: ``attempts`` below 1.
    """
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, not {attempts!r}")
    return Retrying(attempts=attempts, retry_on=retry_on, wait=wait, sleep=sleep, on_retry=on_retry)


async def first_attempt_then(
    attempt: Callable[[int], Awaitable[T]], retrying: Callable[[], Retrying]
) -> T:
    """
    ``attempt(1)``, then, only if it failed, the loop ``retrying()`` makes for the rest.

    The same attempts, waits and decisions as ``async for attempt in retrying(): with
    attempt: return await attempt(attempt.number)``, without building the loop for the
    first attempt, which nearly always succeeds (issue 14's throughput benchmark measured
    the loop at about 3 µs a request).

    Args:
        attempt: Makes attempt number ``n`` (1 for the first) and returns its result.
        retrying: Makes the `retry_context` loop, called once the first attempt failed.

    Returns:
        The result of the first attempt that succeeded.

    Raises:
        OnlyOnceError: The last attempt's error, or the first one not retried.
    """
    try:
        return await attempt(1)
    except OnlyOnceError as error:
        loop = retrying()
        if not loop._after_first(error):
            raise
    async for next_attempt in loop:
        with next_attempt:
            return await attempt(next_attempt.number)
    raise AssertionError("unreachable")  # pragma: no cover
