"""
The fake clocks of the test suite (one of each kind; never write another).

`Clock` is a manual wall clock (settable, counts its reads) for the sandbox, limiters,
journal leases and the skew estimator; `SwitchableClock` follows anyio's clock until frozen.
"""

from __future__ import annotations

import anyio

__all__ = ["Clock", "SwitchableClock"]


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
