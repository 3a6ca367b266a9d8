"""
The cancel scope of one attempt: the call's deadline, then a total per request sent.

httpx's ``timeout`` bounds each phase of a request (connect, each write, each read), so a
server sending one byte at a time never trips its read timeout and keeps a call going
for as long as it likes. `AttemptTimer` bounds the whole of one request instead: from the
moment it leaves the rate limiter (time spent waiting for quota does not count) until its
response body has been read. The timer runs in a cancel scope around the send; the rate
limiter's auth wrapper (`LimitedAuth`) starts it through a request extension, and so
restarts it for every request an auth flow sends (a sign-in, then the replay).

The same scope carries the call's ``deadline`` (until the timer starts, and as a cap on it
after) and is the one `Client.aclose` cancels: one cancel scope per attempt does all three,
because each scope costs a timer on the event loop and the send path is measured against
raw httpx (issue 14's benchmark). When the limiter has a slot free as the attempt begins,
the client takes it then (`slot_taken`) and starts the timer before the scope is entered,
so the scope's deadline is set once: moving it costs a second event-loop timer.
"""

from __future__ import annotations

import math
from typing import Final

import anyio
import httpx

__all__ = [
    "ATTEMPT_TIMER_EXTENSION",
    "AttemptTimer",
    "attempt_seconds",
    "start_attempt_timer",
    "took_slot_early",
]

#: The request extension holding the `AttemptTimer` of the attempt it belongs to.
ATTEMPT_TIMER_EXTENSION: Final = "onlyonce_async.attempt_timer"


def attempt_seconds(timeout: float | httpx.Timeout | None) -> float | None:
    """
    The total seconds one request may take for a client or call ``timeout``.

    A number is that total. An ``httpx.Timeout`` gives its largest phase limit (so
    ``httpx.Timeout(30.0)`` means 30 s in all, as ``30.0`` does); ``None`` means none.
    """
    if timeout is None:
        return None
    if isinstance(timeout, httpx.Timeout):
        phases = [t for t in (timeout.connect, timeout.read, timeout.write, timeout.pool) if t]
        return max(phases) if phases else None
    return float(timeout) if math.isfinite(timeout) else None


class AttemptTimer:
    """
    A cancel scope ending at the call's deadline, or ``seconds`` after a request leaves.

    Args:
        seconds: The total per request, or ``None`` for none.
        call_deadline: When the whole call must end, on anyio's clock (``math.inf``: never).
    """

    __slots__ = ("call_deadline", "scope", "seconds", "slot_taken", "started")

    def __init__(self, seconds: float | None, call_deadline: float = math.inf) -> None:
        self.seconds = seconds
        self.call_deadline = call_deadline
        self.scope = anyio.CancelScope(deadline=call_deadline)
        #: Whether a request of the attempt may have left (the limiter granted its slot).
        self.started = False
        #: Whether the limiter counted the attempt's first request before the attempt
        #: began (the timer started then); the limiter's wrapper then lets it go at once.
        self.slot_taken = False

    def start(self) -> None:
        """Give the request now being sent ``seconds`` from now (restarting the timer)."""
        self.started = True
        if self.seconds is not None:
            self.scope.deadline = min(self.call_deadline, anyio.current_time() + self.seconds)

    @property
    def call_expired(self) -> bool:
        """Whether the call's deadline has passed (rather than only this attempt's time)."""
        return anyio.current_time() >= self.call_deadline


def start_attempt_timer(request: httpx.Request) -> None:
    """Start the timer of the attempt ``request`` belongs to, if it has one."""
    timer = request.extensions.get(ATTEMPT_TIMER_EXTENSION)
    if isinstance(timer, AttemptTimer):
        timer.start()


def took_slot_early(request: httpx.Request) -> bool:
    """
    Whether the limiter counted the first request of ``request``'s attempt before the
    attempt began (its timer running since); ``True`` once per attempt.
    """
    timer = request.extensions.get(ATTEMPT_TIMER_EXTENSION)
    if isinstance(timer, AttemptTimer) and timer.slot_taken:
        timer.slot_taken = False
        return True
    return False
