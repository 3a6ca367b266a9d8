"""
The progress display of ``onlyonce share``: a rich bar on a terminal, plain lines otherwise.

Both show the time left estimated from the quota (a job of 100,000 recipients at 60
requests a minute: "~27 h 47 min left"), read from the rate limiter's `stats` when it can
be read in-process (so a pause after a 429 and a full window count too). Without a terminal
a line is written every `PLAIN_INTERVAL` seconds or every 10 % of the job, whichever comes
first, with the count and the rate, so a log shows the job moving even while the quota holds
it back.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from .._ratelimit import LimiterStats

__all__ = ["PLAIN_INTERVAL", "Progress", "format_left", "progress_display"]

#: Seconds between two plain progress lines (at most).
PLAIN_INTERVAL = 10.0


def format_left(seconds: float) -> str:
    """
    A rough time left: ``"~27 h 40 min left"``, ``"~5 min left"``, ``"~40 s left"``.

    Args:
        seconds: The estimate, in seconds (rounded up to whole seconds, then minutes).

    Returns:
        The text, or ``"done"`` when nothing is left.
    """
    if seconds <= 0:
        return "done"
    if seconds < 60:
        return f"~{math.ceil(seconds)} s left"
    minutes = math.ceil(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    if hours == 0:
        return f"~{minutes} min left"
    return f"~{hours} h {minutes} min left" if minutes else f"~{hours} h left"


class Progress:
    """
    Progress of one share job: counts, rate and time left, shown on a stream.

    Args:
        err: Where the display goes.
        quota: Requests per second the job may send (``None``: no quota; the time left then
            comes from the rate measured so far).
        stats: The rate limiter's ``stats`` (an in-process limiter's), which the time left
            is read from first (`LimiterStats.seconds_for`); ``None`` to use ``quota``.
        clock: Monotonic seconds (tests inject one).
        interval: Seconds between plain lines at most.
        label: The first word of each line.
    """

    def __init__(
        self,
        err: TextIO,
        *,
        quota: float | None,
        stats: Callable[[], LimiterStats] | None = None,
        clock: Callable[[], float] = time.monotonic,
        interval: float = PLAIN_INTERVAL,
        label: str = "sharing",
    ) -> None:
        self._err = err
        self._quota = quota
        self._stats = stats
        self._clock = clock
        self._interval = interval
        self._label = label
        self._started = clock()
        self._last_time = self._started
        self._last_step = 0
        self._shown = -1
        self.done = 0
        self.total: int | None = None

    def rate(self) -> float:
        """Outcomes per second since the start (0 before the first second)."""
        elapsed = self._clock() - self._started
        return self.done / elapsed if elapsed > 0 else 0.0

    def left(self) -> str:
        """
        The time left: from the limiter's stats, else what remains divided by the quota (or
        by the rate measured so far).

        Returns:
            ``format_left``'s text, or ``""`` when it cannot be estimated (no total, or no
            quota and no rate yet).
        """
        if self.total is None:
            return ""
        remaining = max(0, self.total - self.done)
        if remaining == 0:
            return format_left(0)
        if self._stats is not None:
            return format_left(self._stats().seconds_for(remaining))
        rate = self._quota if self._quota else self.rate()
        return format_left(remaining / rate) if rate > 0 else ""

    def line(self) -> str:
        """One plain progress line: count (and share of the total), rate, time left."""
        if self.total:
            count = f"{self.done:,}/{self.total:,} ({100 * self.done / self.total:.0f} %)"
        else:
            count = f"{self.done:,} done"
        parts = [f"{self._label}: {count}", f"{self.rate():.1f}/s"]
        if left := self.left():
            parts.append(left)
        return ", ".join(parts)

    def update(self, done: int, total: int | None) -> None:
        """
        Record progress (the ``on_progress`` callback) and write a line when one is due.

        Args:
            done: Outcomes so far.
            total: The job's size, or ``None`` when unknown.
        """
        self.done = done
        if total is not None:
            self.total = total
        self._maybe_show()

    def tick(self) -> None:
        """Write a line when the interval has passed (called by a timer while nothing moves)."""
        self._maybe_show()

    def finish(self) -> None:
        """Write the last line, unless it is already shown."""
        if self._shown != self.done:
            self._show()

    def _maybe_show(self) -> None:
        step = self._step()
        if self.total is not None and self.done >= self.total and self.done != self._shown:
            self._show()  # the last one
        elif step is not None and self.done // step > self._last_step:
            self._show()  # another 10 %
        elif self._clock() - self._last_time >= self._interval:
            self._show()  # steady, even while nothing moves (the quota, a slow server)

    def _step(self) -> int | None:
        return max(1, self.total // 10) if self.total else None

    def _show(self) -> None:
        self._err.write(self.line() + "\n")
        self._err.flush()
        self._shown = self.done
        self._last_time = self._clock()
        step = self._step()
        self._last_step = self.done // step if step else 0


@contextlib.contextmanager
def progress_display(
    err: TextIO,
    *,
    quota: float | None,
    stats: Callable[[], LimiterStats] | None = None,
    clock: Callable[[], float] = time.monotonic,
    label: str = "sharing",
) -> Iterator[Progress]:
    """
    A `Progress` for ``err``; its ``update`` is the ``on_progress`` callback.

    Rich's bar is used when rich is installed (extra ``progress``) and ``err`` is a
    terminal; otherwise plain lines (see the module docstring). The last state is shown
    when the block ends, however it ends.

    Args:
        err: Where the display goes.
        quota: Requests per second, for the time left.
        stats: The rate limiter's ``stats``, read first for the time left (see `Progress`).
        clock: Monotonic seconds.
        label: The bar's description, or the first word of each line.
    """
    bar = _rich_bar(err) if err.isatty() else None
    progress: Progress
    if bar is None:
        progress = Progress(err, quota=quota, stats=stats, clock=clock, label=label)
        try:
            yield progress
        finally:
            progress.finish()
        return
    with bar:
        progress = _RichProgress(err, quota=quota, stats=stats, clock=clock, label=label, bar=bar)
        try:
            yield progress
        finally:
            progress.finish()


def _rich_bar(err: TextIO) -> Any:
    """A rich progress bar on ``err`` (not started), or ``None`` without rich."""
    try:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as RichProgress
    except ImportError:
        return None
    columns = (
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[left]}"),
    )
    return RichProgress(*columns, console=Console(file=err))


class _RichProgress(Progress):
    """A `Progress` drawn as a rich bar, with the time left beside it."""

    def __init__(self, err: TextIO, *, bar: Any, **kwargs: Any) -> None:
        super().__init__(err, **kwargs)
        self._bar = bar
        self._task = bar.add_task(self._label, total=None, left="")

    def _maybe_show(self) -> None:
        self._show()

    def _show(self) -> None:
        self._bar.update(self._task, completed=self.done, total=self.total, left=self.left())
        self._shown = self.done
