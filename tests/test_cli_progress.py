"""
The progress display of ``onlyonce share``: time left from the quota, and plain lines at a
steady interval without a terminal (driven by a manual clock, never by real time).
"""

from __future__ import annotations

import io

import pytest

from onlyonce_async._cli._progress import Progress, format_left, progress_display
from tests._support.clocks import Clock


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "done"),
        (0.2, "~1 s left"),
        (40, "~40 s left"),
        (60, "~1 min left"),
        (61, "~2 min left"),
        (3600, "~1 h left"),
        (99_600, "~27 h 40 min left"),
        (100_000, "~27 h 47 min left"),
    ],
)
def test_format_left(seconds: float, text: str) -> None:
    """Hours and minutes for long jobs, seconds only under a minute, rounded up."""
    assert format_left(seconds) == text


def test_time_left_comes_from_the_quota() -> None:
    """At 60 requests per 60 s, 99,600 recipients left take ~27 h 40 min, whatever the rate."""
    clock = Clock()
    progress = Progress(io.StringIO(), quota=60 / 60.0, clock=clock)
    progress.update(400, 100_000)
    clock.now += 1.0  # a fast start (skipped recipients) does not shorten the estimate
    assert progress.left() == "~27 h 40 min left"
    assert "~27 h 40 min left" in progress.line()


def test_time_left_without_quota_uses_the_measured_rate() -> None:
    """No quota: remaining divided by the rate so far; unknown before any progress."""
    clock = Clock()
    progress = Progress(io.StringIO(), quota=None, clock=clock)
    progress.update(0, 300)
    assert progress.left() == ""
    clock.now += 10.0
    progress.update(100, 300)  # 10/s, 200 left
    assert progress.left() == "~20 s left"
    progress.update(300, 300)
    assert progress.left() == "done"


def test_no_total_no_time_left() -> None:
    """Without a total the line shows the count and rate only."""
    clock = Clock()
    progress = Progress(io.StringIO(), quota=1.0, clock=clock)
    clock.now += 2.0
    progress.update(4, None)
    assert progress.line() == "sharing: 4 done, 2.0/s"


def test_plain_lines_every_interval_even_when_nothing_moves() -> None:
    """Without a terminal a line comes every 10 s with count and rate, not '1 done' then nothing."""
    clock = Clock()
    err = io.StringIO()
    progress = Progress(err, quota=1.0, clock=clock, interval=10.0)

    def lines() -> list[str]:
        return err.getvalue().splitlines()

    for second in range(1, 35):
        clock.now += 1.0
        if second <= 3:
            progress.update(second, 1000)
        progress.tick()
    # 3 outcomes early, then the quota holds the job: lines at 10, 20 and 30 s.
    assert len(lines()) == 3
    assert lines()[0] == "sharing: 3/1,000 (0 %), 0.3/s, ~17 min left"
    assert lines()[-1].startswith("sharing: 3/1,000 (0 %), 0.1/s")


def test_plain_lines_every_ten_percent() -> None:
    """A fast job writes a line at each 10 % step, and the last one exactly once."""
    clock = Clock()
    err = io.StringIO()
    progress = Progress(err, quota=None, clock=clock, interval=10.0)
    for done in range(1, 101):
        clock.now += 0.01
        progress.update(done, 100)
    progress.finish()
    counts = [line.split()[1].split("/")[0] for line in err.getvalue().splitlines()]
    assert counts == [str(n) for n in range(10, 101, 10)]


def test_display_writes_the_last_state_when_interrupted() -> None:
    """The block shows the last count when it ends, even by an exception."""
    err = io.StringIO()
    clock = Clock()

    def interrupted() -> None:
        with progress_display(err, quota=1.0, clock=clock) as progress:
            progress.update(7, 1000)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert err.getvalue().splitlines()[-1].startswith("sharing: 7/1,000")


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_terminal_bar_shows_the_time_left() -> None:
    """On a terminal the rich bar carries the same time left."""
    err = Terminal()
    with progress_display(err, quota=1.0, clock=Clock()) as progress:
        progress.update(400, 100_000)
    assert "~27 h 40 min left" in err.getvalue()
