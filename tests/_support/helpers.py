"""
Small helpers shared by the tests: fast clients, a recording transport, counting limiters,
JSON responses, a gate for fake servers.
"""

from __future__ import annotations

from typing import Any

import anyio
import httpx

from onlyonce_async import Client, RetryPolicy, SlidingWindowRateLimiter

from .clocks import SwitchableClock

BASE = "https://api.onlyonce.com/v2/"
FAST_RETRIES = RetryPolicy(initial=0.001, maximum=0.005, rate_limit_default=0.001)


def fast_client(**kwargs: Any) -> Client:
    """A client with no rate limiter and near-zero backoff, for transport-level tests."""
    kwargs.setdefault("rate_limiter", None)
    kwargs.setdefault("retry_policy", FAST_RETRIES)
    return Client(**kwargs)


class Recorder:
    """
    A fake server for transport-level tests: records requests, answers from a script.

    Args:
        *responses: The answers, in order; the last one repeats. None given: 200 ``{}``.
    """

    def __init__(self, *responses: httpx.Response) -> None:
        self.requests: list[httpx.Request] = []
        self._responses = list(responses) or [httpx.Response(200, json={})]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self._responses[min(len(self.requests), len(self._responses)) - 1]

    def transport(self) -> httpx.MockTransport:
        """A mock transport answering through this recorder."""
        return httpx.MockTransport(self)


class CountingLimiter:
    """A `RateLimiter` that only counts what passes through it."""

    def __init__(self) -> None:
        self.acquired = 0
        self.penalties: list[float] = []

    async def acquire(self) -> None:
        self.acquired += 1

    async def penalize(self, seconds: float) -> None:
        self.penalties.append(seconds)


def json_response(status: int, body: Any = None, **kwargs: Any) -> httpx.Response:
    """An httpx response with a JSON body (or none)."""
    if body is None:
        return httpx.Response(status, **kwargs)
    return httpx.Response(status, json=body, **kwargs)


class Gate:
    """
    Holds the first ``count`` callers of `arrive` until all of them are there.

    Fake servers use it to make concurrent requests overlap deterministically, instead of
    hoping a sleep is long enough on a loaded machine.
    """

    def __init__(self, count: int) -> None:
        self._count = count
        self._arrived = 0
        self._all_here = anyio.Event()

    async def arrive(self) -> None:
        """Wait, if among the first ``count``, until the last of them arrives."""
        if self._arrived >= self._count:
            return
        self._arrived += 1
        if self._arrived == self._count:
            self._all_here.set()
        await self._all_here.wait()


async def assert_whole_quota_free(
    limiter: SlidingWindowRateLimiter, clock: SwitchableClock
) -> None:
    """
    Once every real start has aged out, ``limiter.limit`` acquisitions pass with the clock
    frozen: no phantom slots. ``clock`` must be the limiter's clock.
    """
    await anyio.sleep(limiter.period + limiter.margin)
    clock.frozen = anyio.current_time()
    try:
        with anyio.fail_after(30):  # hang guard: a phantom slot would wait for ever
            for _ in range(limiter.limit):
                await limiter.acquire()
    finally:
        clock.frozen = None
