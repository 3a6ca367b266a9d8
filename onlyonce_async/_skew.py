"""
The server's clock, estimated from response ``Date`` headers, for JWT ``iat`` claims.

The JWT API server accepts a token only when ``iat <= now`` with zero leeway, ``now`` being
its own integer Unix time. So ``iat`` must never be in the server's future, yet as close to
its present as possible (the token lives 60 s from ``iat``).

Why the estimate is safe: a ``Date`` header ``D`` is the server's time when it wrote the
response, truncated to the second, so the server's true time ``S`` then was ``D <= S < D + 1``.
That moment came before our local clock read ``t`` on receipt. Hence
``offset = D - t`` is a *lower bound* of (server clock - local clock): ``S - t_then >= D - t``.
Every response gives such a bound; the largest of the recent ones is the tightest, and
``floor(local_now + offset)`` is then never after the server's integer ``now``, and trails
it by at most about one second plus the response's transit time.

Only recent samples count (a window of `WINDOW` responses), so a clock stepped by NTP on
either side is followed instead of being held against the estimate forever. A server that
still answers "not yet valid" (a clock stepped back, a ``Date`` rounded rather than
truncated) is handled by `ServerClock.correct`: it restarts the estimate from that
response, at least one second lower than before; when the failed estimate came from
``Date`` headers, one more second of margin is kept from then on (up to `MAX_MARGIN`), so
such a server costs one retried request, not one a minute.

Before any response is seen, the local clock minus `UNKNOWN_MARGIN` is used.
"""

from __future__ import annotations

import collections
import math
import time
from collections.abc import Callable
from typing import Final

import httpx

from ._httpdate import parse_http_date

__all__ = ["MAX_MARGIN", "UNKNOWN_MARGIN", "WINDOW", "ServerClock"]

#: How many recent ``Date`` samples the estimate is taken over.
WINDOW: Final = 32
#: Seconds subtracted from the local clock while the server's is unknown.
UNKNOWN_MARGIN: Final = 1.0
#: The most margin corrections add (a token lives 60 s; ``iat`` may trail by this much).
MAX_MARGIN: Final = 5.0


class ServerClock:
    """
    A conservative estimate of the server's clock.

    Args:
        clock: The local wall clock, in Unix seconds; ``time.time`` by default.
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._samples: collections.deque[float] = collections.deque(maxlen=WINDOW)
        self._margin = 0.0

    def __repr__(self) -> str:
        return f"<ServerClock offset={self.offset:+.3f}s samples={len(self._samples)}>"

    @property
    def offset(self) -> float:
        """Seconds to add to the local clock for a time never after the server's."""
        if not self._samples:
            return -UNKNOWN_MARGIN - self._margin
        return max(self._samples) - self._margin

    def now(self) -> int:
        """The server's present, never in its future: an integer Unix time."""
        return math.floor(self._clock() + self.offset)

    def observe(self, response: httpx.Response) -> None:
        """Take a sample from ``response``'s ``Date`` header (ignored when absent)."""
        server_time = parse_http_date(response.headers.get("Date"))
        if server_time is not None:
            self._samples.append(server_time - self._clock())

    def learn(self, response: httpx.Response) -> bool:
        """
        Take ``response``'s sample; whether it moved the estimate at least a second ahead
        (the server's clock is further ahead than thought: a token refused as expired
        was signed with too old an ``iat``).
        """
        before = self.offset
        self.observe(response)
        return self.offset >= before + 1.0

    def correct(self, response: httpx.Response) -> None:
        """
        The server said ``iat`` was in its future: restart from ``response``'s ``Date``.

        The new offset is this response's bound less the (grown) margin, and at least one
        second lower than the estimate that failed, so repeated corrections make progress.
        """
        failed = self.offset
        if self._samples:
            # The estimate came from Date headers and was still too high: this server needs
            # more margin. (Without samples, it was only the local clock that was off.)
            self._margin = min(self._margin + 1.0, MAX_MARGIN)
        server_time = parse_http_date(response.headers.get("Date"))
        bound = server_time - self._clock() if server_time is not None else math.inf
        self._samples.clear()
        # Stored before the margin is taken off, like every sample.
        self._samples.append(min(bound - self._margin, failed - 1.0) + self._margin)
