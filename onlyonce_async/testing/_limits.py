"""
Server-side rate limiting, seeded fault injection and the sandbox's counters.
"""

from __future__ import annotations

import collections
import math
import random
from collections.abc import Callable, Sequence
from typing import Final

import attrs

__all__ = ["FaultDecision", "Faults", "SandboxStats", "SlidingWindow"]

#: Most rate-limit keys tracked at once (bounds memory; see `SlidingWindow`).
MAX_KEYS: Final = 10_000


@attrs.define
class SandboxStats:
    """
    Counters of what the sandbox did.

    Attributes:
        requests: Requests received (every one, faulted or not).
        rate_limited: 429 responses sent.
        faults_injected: Requests answered with an injected error status.
        dropped: Requests handled and then dropped without a response.
        internal_errors: Requests that reached the last-resort 500 handler (a sandbox bug).
    """

    requests: int = 0
    rate_limited: int = 0
    faults_injected: int = 0
    dropped: int = 0
    internal_errors: int = 0


class SlidingWindow:
    """
    At most ``limit`` requests per key in any ``period`` seconds.

    Keys are verified identities (an account, an API client acting as a user) or, for a
    request without valid credentials, its client address: unverified header values
    never pick the bucket. The table stays bounded: keys are kept least recently used
    first, each request drops the idle ones at the front (amortised O(1)), and past
    ``max_keys`` the least recently used key is forgotten even if it is not idle yet.

    Args:
        limit: Requests allowed per window (an int >= 1).
        period: Window length in seconds (finite, > 0).
        clock: Monotonic seconds (or the sandbox's injected clock).
        max_keys: Most keys tracked at once.

    Raises:
        ValueError: A limit that is not an int >= 1, or a period that is not a finite
            number > 0.
    """

    def __init__(
        self,
        limit: int,
        period: float,
        clock: Callable[[], float],
        max_keys: int = MAX_KEYS,
    ) -> None:
        if (
            isinstance(limit, bool)
            or not isinstance(limit, int)
            or limit < 1
            or not isinstance(period, (int, float))
            or not math.isfinite(period)
            or period <= 0
            or max_keys < 1
        ):
            raise ValueError(
                "rate_limit needs an int limit >= 1 and a finite period > 0,"
                f" not ({limit!r}, {period!r})"
            )
        self.limit = limit
        self.period = period
        self.max_keys = max_keys
        self._clock = clock
        self._hits: collections.OrderedDict[str, collections.deque[float]] = (
            collections.OrderedDict()
        )

    def __len__(self) -> int:
        """How many keys are tracked."""
        return len(self._hits)

    def hit(self, key: str) -> float | None:
        """
        Count one request for ``key``.

        Returns:
            ``None`` when it is allowed, else the seconds until it would be.
        """
        now = self._clock()
        horizon = now - self.period
        while self._hits:
            oldest = next(iter(self._hits.values()))
            if oldest and oldest[-1] > horizon:
                break
            self._hits.popitem(last=False)
        hits = self._hits.pop(key, None)
        if hits is None:
            hits = collections.deque()
            while len(self._hits) >= self.max_keys:
                self._hits.popitem(last=False)
        self._hits[key] = hits
        while hits and hits[0] <= horizon:
            hits.popleft()
        if len(hits) >= self.limit:
            return hits[0] + self.period - now
        hits.append(now)
        return None

    @staticmethod
    def retry_after(seconds: float) -> str:
        """The ``Retry-After`` value: whole seconds, rounded up, at least 1."""
        return str(max(1, math.ceil(seconds)))


@attrs.frozen
class FaultDecision:
    """What the fault injector decided for one request."""

    error_status: int | None = None
    drop: bool = False
    delay: float = 0.0


class Faults:
    """
    Seeded fault injection; the decisions depend only on the seed and request order.

    Args:
        default_seed: The seed used when `configure` is given none.
    """

    def __init__(self, default_seed: int) -> None:
        self._default_seed = default_seed
        self.configure()

    def configure(
        self,
        error_rate: float = 0.0,
        statuses: Sequence[int] = (500, 503),
        drop_after_commit: float = 0.0,
        latency: tuple[float, float] = (0.0, 0.0),
        seed: int | None = None,
    ) -> None:
        """
        Replace the fault settings (the defaults turn faults off).

        Raises:
            ValueError: A rate outside 0..1 (or NaN), no statuses with a non-zero error
                rate, a status outside 400..599, or a latency range that is not finite,
                negative or reversed.
        """
        for name, rate in (("error_rate", error_rate), ("drop_after_commit", drop_after_commit)):
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {rate!r}")
        statuses = tuple(statuses)
        if error_rate and not statuses:
            raise ValueError("statuses must not be empty when error_rate > 0")
        if any(not 400 <= s <= 599 for s in statuses):
            raise ValueError("statuses must be HTTP error statuses (400..599)")
        low, high = latency
        if not (math.isfinite(low) and math.isfinite(high) and 0 <= low <= high):
            raise ValueError(
                f"latency must be finite (low, high) with 0 <= low <= high, not {latency!r}"
            )
        self.error_rate = error_rate
        self.statuses = statuses
        self.drop_after_commit = drop_after_commit
        self.latency = (float(low), float(high))
        self._rng = random.Random(self._default_seed if seed is None else seed)  # noqa: S311
        self.active = bool(error_rate or drop_after_commit or high)

    def decide(self) -> FaultDecision:
        """
        The faults for the next request (always draws the same amount of randomness, so a
        seed gives the same decisions whichever faults fire).
        """
        if not self.active:
            return FaultDecision()
        error_roll = self._rng.random()
        status = self._rng.choice(self.statuses) if self.statuses else 500
        drop_roll = self._rng.random()
        delay = self._rng.uniform(*self.latency)
        return FaultDecision(
            error_status=status if error_roll < self.error_rate else None,
            drop=drop_roll < self.drop_after_commit,
            delay=delay,
        )
