"""
The fake clocks of the test suite (one of each kind; never write another).

`Clock` is a manual wall clock (settable, counts its reads) for the sandbox, limiters,
journal leases and the skew estimator; `SwitchableClock` follows anyio's clock until frozen;
`GrantClock` follows anyio's clock and remembers its last reading.
"""

from __future__ import annotations

import anyio

__all__ = ["Clock", "GrantClock", "SwitchableClock"]


class Clock:
    """A settable clock injected into the sandbox or a limiter; counts its reads."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds


class SwitchableClock:
    """
    A limiter clock that follows real time until frozen.

    Frozen, no window ages out: a slot still held by a cancelled call makes an acquisition
    wait for ever (caught by a hang guard) instead of the check depending on speed.
    """

    def __init__(self) -> None:
        self._now = anyio.current_time
        self.frozen: float | None = None

    def __call__(self) -> float:
        return self._now() if self.frozen is None else self.frozen


class GrantClock:
    """
    anyio's clock, remembering the last time it was read: a limiter's grant time.

    A limiter reads its clock and counts the start with no checkpoint in between, and
    ``acquire`` returns without another one, so right after ``await limiter.acquire()``
    ``last`` is the instant of this task's grant, however late the scheduler resumed it.
    """

    def __init__(self) -> None:
        self.last = 0.0

    def __call__(self) -> float:
        self.last = anyio.current_time()
        return self.last
