"""
Import time: ``import onlyonce_async`` beside ``import httpx``, and ``onlyonce --version``.

Every measurement is a fresh interpreter, so nothing is cached in ``sys.modules``; the
candidates are interleaved round by round (a load spike hits all of them alike) and the
table shows medians. The import is timed inside the process, so interpreter start-up is
left out; ``onlyonce --version`` is timed as a whole process beside ``python -c pass``.
Goal: ``import onlyonce_async`` at most 1.3× ``import httpx`` (which it imports).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from ._report import table

ROUNDS = 10
ROOT = Path(__file__).resolve().parents[1]

#: Label → the statement timed inside a fresh interpreter.
IMPORTS = {
    "import httpx": "import httpx",
    "import onlyonce_async": "import onlyonce_async",
    "from onlyonce_async import Client": "from onlyonce_async import Client",
    # What the package imported eagerly before its names became lazy, PyJWT aside.
    "every public name but SignedJWTAuth": (
        "import onlyonce_async as oo; [getattr(oo, n) for n in oo.__all__ if n != 'SignedJWTAuth']"
    ),
    "import onlyonce_async.testing": "import onlyonce_async.testing",
}

#: Label → a whole command, timed from outside.
COMMANDS = {
    "python -c pass": ["-c", "pass"],
    "onlyonce --version": ["-m", "onlyonce_async", "--version"],
}

_TIMED_IMPORT = (
    "import sys, time; t = time.perf_counter(); {statement}; "
    "print(time.perf_counter() - t); "
    "print(int('jwt' in sys.modules), int('cryptography' in sys.modules))"
)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    return env


def _time_import(statement: str, env: dict[str, str]) -> tuple[float, bool]:
    """Seconds to run ``statement`` in a fresh interpreter, and whether PyJWT came along."""
    output = subprocess.run(
        [sys.executable, "-c", _TIMED_IMPORT.format(statement=statement)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return float(output[0]), output[1:] != ["0", "0"]


def _time_command(args: list[str], env: dict[str, str]) -> float:
    """Wall-clock seconds of a whole ``python`` process."""
    started = time.perf_counter()
    subprocess.run([sys.executable, *args], env=env, capture_output=True, check=True)
    return time.perf_counter() - started


async def main() -> str:
    """Run every candidate ROUNDS times, interleaved; return the table."""
    env = _env()
    imports: dict[str, list[float]] = {label: [] for label in IMPORTS}
    loads_jwt: dict[str, bool] = dict.fromkeys(IMPORTS, False)
    commands: dict[str, list[float]] = {label: [] for label in COMMANDS}
    for _ in range(ROUNDS):
        for label, statement in IMPORTS.items():
            seconds, jwt_loaded = _time_import(statement, env)
            imports[label].append(seconds)
            loads_jwt[label] |= jwt_loaded
        for label, args in COMMANDS.items():
            commands[label].append(_time_command(args, env))
    httpx_median = statistics.median(imports["import httpx"])
    rows: list[list[object]] = [
        [
            label,
            1000 * statistics.median(times),
            f"{statistics.median(times) / httpx_median:.2f}×",
            "yes" if loads_jwt[label] else "no",
        ]
        for label, times in imports.items()
    ]
    python_median = statistics.median(commands["python -c pass"])
    rows += [
        [
            label,
            1000 * statistics.median(times),
            f"{statistics.median(times) / python_median:.2f}× python",
            "",
        ]
        for label, times in commands.items()
    ]
    return table(
        f"import time: fresh interpreters, median of {ROUNDS}, interleaved "
        "(goal: import onlyonce_async ≤ 1.30× import httpx)",
        ["what", "ms (median)", "ratio", "loads PyJWT/cryptography"],
        rows,
    )
