"""
Small helpers shared by the tests: fast clients and counting limiters.
"""

from __future__ import annotations

from typing import Any

import httpx

from onlyonce_async import Client, RetryPolicy

BASE = "https://api.onlyonce.com/v2/"
FAST_RETRIES = RetryPolicy(initial=0.001, maximum=0.005, rate_limit_default=0.001)


def fast_client(**kwargs: Any) -> Client:
    """A client with no rate limiter and near-zero backoff, for transport-level tests."""
    kwargs.setdefault("rate_limiter", None)
    kwargs.setdefault("retry_policy", FAST_RETRIES)
    return Client(**kwargs)


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
