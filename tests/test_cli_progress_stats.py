"""
The CLI's time left reads the rate limiter's stats: a full window and a 429 pause count.
"""

from __future__ import annotations

import io

import pytest

from onlyonce_async import SlidingWindowRateLimiter
from onlyonce_async._cli._progress import Progress
from tests._support.clocks import Clock


@pytest.mark.anyio
async def test_time_left_comes_from_the_limiter_stats() -> None:
    """With the window full and a pause in force, the estimate includes both; the plain
    quota division would not."""
    clock = Clock(0.0)
    limiter = SlidingWindowRateLimiter(60, 60.0, margin=0.0, clock=clock)
    for _ in range(60):
        await limiter.acquire()
    progress = Progress(io.StringIO(), quota=1.0, stats=limiter.stats, clock=clock)
    plain = Progress(io.StringIO(), quota=1.0, clock=clock)
    for display in (progress, plain):
        display.update(0, 120)
    # The window frees in 60 s, then 120 at one a second; the quota alone says 120 s.
    assert (progress.left(), plain.left()) == ("~3 min left", "~2 min left")
    clock.advance(60)
    await limiter.penalize(50.0)
    for display in (progress, plain):
        display.update(90, 120)
    # 30 left fit in the free window, once the 50 s pause is over.
    assert (progress.left(), plain.left()) == ("~50 s left", "~30 s left")
