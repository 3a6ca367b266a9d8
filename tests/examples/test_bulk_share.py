"""
The bulk-share examples as real processes: the demo stops its job part way and resumes it
(two runs with the same seeds print the same figures), and the workers example kills one
of its worker processes and still finishes with no duplicate.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.examples.test_examples import EXAMPLES, ROOT, example_env
from tests.redis_server import RedisServer, running_redis_server

#: A hang guard only: the demo takes about 15 s on an idle machine.
TIMEOUT = 600


def _start(script: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(EXAMPLES / script), *args],
        cwd=ROOT,
        env=example_env() if env is None else env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen[str]) -> str:
    try:
        out, err = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
    assert process.returncode == 0, out + err
    return out


def _figures(out: str) -> list[str]:
    """The output without the lines that vary by design (timing, temporary journal path)."""
    return [line for line in out.splitlines() if not line.startswith(("timing:", "journal:"))]


def _value(out: str, metric: str) -> str:
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip("│┃|").split("│")]
        if len(cells) == 2 and cells[0] == metric:
            return cells[1]
        if line.startswith(metric + "  "):  # the plain-text table (no rich)
            return line[len(metric) :].strip()
    raise AssertionError(f"no {metric!r} in the summary:\n{out}")


def test_demo_stops_resumes_and_prints_the_same_figures_twice(tmp_path: Path) -> None:
    """
    Two runs side by side (each on a loaded machine) print the same figures; the one given
    --journal PATH keeps its journal there.
    """
    journal = tmp_path / "shares.sqlite"
    first = _start("bulk_share.py", "--journal", str(journal))
    second = _start("bulk_share.py")
    out_first, out_second = _finish(first), _finish(second)
    assert _figures(out_first) == _figures(out_second)
    assert f"journal: {journal}" in out_first and journal.exists()
    assert _value(out_first, "duplicates after resume") == "0"
    assert _value(out_first, "share requests in sandbox") == "300"
    assert int(_value(out_first, "run 2 (resumed): skipped (already shared)")) > 0
    assert _value(out_first, "run 1: in flight at the stop") == "1"
    assert _value(out_first, "the share in flight at the stop").endswith("not resent")
    assert _value(out_first, "accounted for").endswith("adds up")
    assert int(_value(out_first, "responses dropped after commit")) > 0
    assert _value(out_first, "failed") == "0"


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    """A throw-away redis-server on 127.0.0.1."""
    with running_redis_server() as server:
        yield server


def test_workers_example_survives_a_killed_worker(redis_server: RedisServer) -> None:
    """3 workers on one Redis, one killed with SIGKILL: every recipient once, 0 duplicates."""
    env = {**example_env(), "REDIS_URL": redis_server.url}
    out = _finish(_start("bulk_share_workers.py", env=env))
    assert "worker 1 killed with SIGKILL, mid-run" in out
    assert "share requests in sandbox: 240 for 240 recipients" in out
    assert "recipients without a request: 0" in out
    assert out.splitlines()[-1] == "duplicates: 0"
    survivors = [line for line in out.splitlines() if line.startswith(("worker 0:", "worker 2:"))]
    assert len(survivors) == 2 and all(": exit 0," in line for line in survivors)


def test_workers_example_starts_its_own_redis() -> None:
    """Without REDIS_URL the example starts a throw-away redis-server and still passes."""
    out = _finish(_start("bulk_share_workers.py", "--workers", "2", "--recipients", "60"))
    assert out.splitlines()[-1] == "duplicates: 0"
