"""
Observability overhead: one SDK call with no listener, with one listener, with OpenTelemetry.

Each run is a fresh process timing ``client.get`` against an in-memory transport (so the
SDK's own cost is what is measured, not a server's), keeping its fastest batch, in CPU time.
The same call on the code of ``main`` (without the events), unpacked from git into a
temporary directory, runs in the same rounds: the no-listener path should stay within 2 %
of it. Runs are interleaved
(one of each mode per round) and the table shows medians; ratios are to the first row.
"""

from __future__ import annotations

import io
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import anyio

from ._report import table

ROOT = Path(__file__).resolve().parent.parent
WORKER = Path(__file__).resolve().parent / "_observability_worker.py"
#: Branches whose code is measured beside this checkout's, when git has them.
BASELINES = ("main",)


def _unpack(branch: str, into: Path) -> bool:
    """``branch``'s ``onlyonce_async`` unpacked under ``into``; whether git could provide it."""
    git = shutil.which("git")
    if git is None:
        return False
    try:
        archive = subprocess.run(
            [git, "-C", str(ROOT), "archive", branch, "onlyonce_async"],
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return True


def _time(code: Path, mode: str, calls: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(code)}
    result = subprocess.run(
        [sys.executable, str(WORKER), mode, str(calls)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return float(result.stdout.strip())


def measure() -> str:
    """Run the rounds and format the table."""
    quick = bool(os.environ.get("ONLYONCE_BENCH_QUICK"))
    rounds, calls = (3, 1_000) if quick else (7, 5_000)
    with tempfile.TemporaryDirectory() as tmp:
        runs: list[tuple[str, Path, str]] = []
        for branch in BASELINES:
            if _unpack(branch, Path(tmp) / branch):
                runs.append((f"{branch}, no listener", Path(tmp) / branch, "plain"))
        runs += [
            ("no listener", ROOT, "plain"),
            ("one listener", ROOT, "listener"),
            ("OpenTelemetry on", ROOT, "otel"),
        ]
        samples: dict[str, list[float]] = {name: [] for name, _, _ in runs}
        for _ in range(rounds):
            for name, code, mode in runs:
                samples[name].append(_time(code, mode, calls))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    base = medians[runs[0][0]]
    rows = [
        (name, medians[name], min(samples[name]), f"{medians[name] / base:.3f}")
        for name, _, _ in runs
    ]
    title = (
        f"observability overhead: client.get on an in-memory transport, {calls} calls a run "
        f"(best of 10 batches), median of {rounds} interleaved runs; ratio to the first row"
    )
    return table(title, ["mode", "µs/call (median)", "µs/call (best)", "ratio"], rows)


async def main() -> str:
    """The benchmark's table."""
    return await anyio.to_thread.run_sync(measure)
