"""
Subprocesses of the tests (served sandboxes, example services), stopped whatever happens.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

__all__ = ["ROOT", "running", "sandbox_serve"]

#: The repository (the subprocesses' working directory; on their ``PYTHONPATH``).
ROOT = Path(__file__).resolve().parents[2]


def sandbox_serve(*args: str) -> list[str]:
    """
    The command of ``python -m onlyonce_async sandbox serve --port 0 ARGS`` (this interpreter).

    Args:
        *args: More options of ``sandbox serve``.

    Returns:
        The command line.
    """
    return [sys.executable, "-m", "onlyonce_async", "sandbox", "serve", "--port", "0", *args]


@contextlib.contextmanager
def running(
    command: list[str], env: dict[str, str], *, stderr: int = subprocess.STDOUT
) -> Iterator[subprocess.Popen[str]]:
    """
    A text-mode subprocess in its own process group, stopped with that group on exit.

    Args:
        command: The command line (run in `ROOT`, stdin closed, stdout piped).
        env: Its whole environment (put `ROOT` on ``PYTHONPATH`` to run this repository).
        stderr: ``subprocess.STDOUT`` (merged, the default), ``PIPE`` or ``DEVNULL``.

    Returns:
        A context manager yielding the ``Popen``; on exit SIGTERM, then SIGKILL after 10 s.
    """
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
