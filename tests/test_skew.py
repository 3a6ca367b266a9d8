"""
ServerClock: a conservative server-time estimate from Date headers (injected local clock).
"""

from __future__ import annotations

import email.utils

import httpx
import pytest

from onlyonce_async._skew import MAX_MARGIN, UNKNOWN_MARGIN, WINDOW, ServerClock
from tests._support.clocks import Clock


def dated(server_time: float | None) -> httpx.Response:
    """A response whose Date header says ``server_time`` (truncated, as servers do)."""
    headers = (
        {} if server_time is None else {"Date": email.utils.formatdate(server_time, usegmt=True)}
    )
    return httpx.Response(200, headers=headers)


def test_unknown_server_uses_local_clock_minus_margin() -> None:
    """Before any Date is seen, now() is the local clock less UNKNOWN_MARGIN."""
    clock = Clock(1_000_000.5)
    assert ServerClock(clock).now() == int(1_000_000.5 - UNKNOWN_MARGIN)


@pytest.mark.parametrize(
    "skew",
    [
        pytest.param(-30.0, id="behind"),
        pytest.param(30.0, id="ahead"),
        pytest.param(0.7, id="sub-second"),
        pytest.param(-3600.25, id="an-hour"),
    ],
)
@pytest.mark.parametrize("fraction", [0.0, 0.3, 0.999])
def test_never_in_the_servers_future(skew: float, fraction: float) -> None:
    """Whatever the skew and sub-second phase, now() <= the server's integer time, within 2 s."""
    clock = Clock(1_700_000_000.0 + fraction)
    server = ServerClock(clock)
    server.observe(dated(clock.now + skew))  # received with no transit time
    for step in (0.0, 0.4, 0.6, 1.0, 17.3):
        clock.now += step
        server_now = int(clock.now + skew)
        assert server_now - 2 <= server.now() <= server_now


def test_tightest_recent_sample_wins() -> None:
    """A slow response (long transit) does not drag the estimate down."""
    clock = Clock(2_000_000.0)
    server = ServerClock(clock)
    server.observe(dated(clock.now + 10))
    clock.now += 5.0  # this response sat 5 s in transit: its bound is 5 s too low
    server.observe(dated(clock.now + 10 - 5))
    assert server.now() == int(clock.now + 10)


def test_only_recent_samples_count() -> None:
    """After WINDOW newer responses an old (server clock stepped back) sample is gone."""
    clock = Clock(3_000_000.0)
    server = ServerClock(clock)
    server.observe(dated(clock.now + 100))
    for _ in range(WINDOW):
        server.observe(dated(clock.now))
    assert server.now() == int(clock.now)


def test_missing_date_is_ignored() -> None:
    """A response without a usable Date changes nothing."""
    clock = Clock(4_000_000.0)
    server = ServerClock(clock)
    server.observe(dated(None))
    server.observe(httpx.Response(200, headers={"Date": "yesterday"}))
    assert server.offset == -UNKNOWN_MARGIN


def test_correct_makes_progress_and_adds_margin() -> None:
    """correct() always lowers the estimate by >= 1 s; margin grows only for Date estimates."""
    clock = Clock(5_000_000.0)
    server = ServerClock(clock)
    server.correct(dated(clock.now - 30))  # the local clock was off: no extra margin
    assert server.offset == pytest.approx(-30.0)
    server.observe(dated(clock.now - 30))
    before = server.offset
    server.correct(dated(clock.now - 30))  # a Date-based estimate failed: margin 1
    assert server.offset <= before - 1.0
    server.observe(dated(clock.now - 30))
    assert server.offset == pytest.approx(-31.0)
    for _ in range(10):
        server.correct(dated(None))  # no Date to restart from: one second lower each time
    assert server.offset == pytest.approx(-41.0)
    # The margin stopped growing at MAX_MARGIN: a later Date is trusted less by exactly that.
    server.observe(dated(clock.now + 100))
    assert server.offset == pytest.approx(100.0 - MAX_MARGIN)
