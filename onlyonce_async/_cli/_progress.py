"""
A progress display on stderr: a rich bar when rich is installed, plain lines otherwise.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TextIO

__all__ = ["progress_display"]

Update = Callable[[int, "int | None"], None]


@contextlib.contextmanager
def progress_display(err: TextIO, *, label: str = "sharing") -> Iterator[Update]:
    """
    Yield an ``on_progress(done, total)`` callback that shows progress on ``err``.

    Rich's bar is used when rich is installed (extra ``progress``) and ``err`` is a
    terminal; otherwise a plain line is written every 10 % (every 100 without a total).
    """
    if err.isatty():
        try:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
        except ImportError:
            pass
        else:
            columns = ("[progress.description]{task.description}", BarColumn())
            with Progress(
                *columns, MofNCompleteColumn(), TimeElapsedColumn(), console=Console(file=err)
            ) as bar:
                task = bar.add_task(label, total=None)

                def update(done: int, total: int | None) -> None:
                    bar.update(task, completed=done, total=total)

                yield update
            return
    last_shown = -1

    def plain(done: int, total: int | None) -> None:
        nonlocal last_shown
        step = max(1, total // 10) if total else 100
        if done // step != last_shown // step or done == total:
            last_shown = done
            of = f"/{total}" if total else ""
            err.write(f"{label}: {done}{of} done\n")
            err.flush()

    yield plain
