"""
``onlyonce share`` as real processes against the sandbox served over TCP: killed with
SIGKILL mid-run then resumed, drained by SIGTERM then resumed with the printed command. The
duplicates are counted in the sandbox's state.

The job cannot finish before the signal: its 80 recipients need more than the 60 requests
the command's own limiter lets out in the first minute. The test waits for 40 shares to
exist in the sandbox, then signals; the resumed run needs fewer than 60 requests. The
sandbox answers each request after a short delay, so shares are in flight when the signal
comes. Nothing is timed; timeouts are hang guards only.
"""

from __future__ import annotations

import csv
import functools
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.redis_server import running_redis_server
from tests.served_sandbox import Job, ServedSandbox, finish, served_sandbox, start, wait_for

RECIPIENTS = 80
#: Shares that exist when the test signals the first run (of at most 57 in its first minute).
SIGNAL_AT = 40
#: Seconds the sandbox waits before each answer while the first run is under way.
DELAY = 0.1
#: A hang guard: a resumed run may wait for a killed run's claims to lapse (60 s).
RESUME_TIMEOUT = 400

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


@pytest.fixture
def served() -> Iterator[ServedSandbox]:
    """The sandbox over TCP on 127.0.0.1 (no rate limit)."""
    with served_sandbox() as served:
        yield served


def _command(job: Job, recipients: Path, output: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "onlyonce_async",
        "share",
        "--card",
        str(job.card_id),
        "--sender",
        str(job.sender.profile_id),
        "--recipients",
        str(recipients),
        "--output",
        str(output),
        "--concurrency",
        "3",
        *extra,
    ]


def _set_up(
    served: ServedSandbox, directory: Path, count: int = RECIPIENTS
) -> tuple[Job, Path, Path]:
    job = served.make_job(count)
    recipients = directory / "recipients.csv"
    recipients.write_text("".join(f"{r}\n" for r in job.recipients))
    served.call(functools.partial(served.sandbox.faults, latency=(DELAY, DELAY)))
    return job, recipients, directory / "results.csv"


def _rows(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    by_recipient = {row["recipient_id"]: row for row in rows}
    assert len(by_recipient) == len(rows), "one row per recipient"
    return by_recipient


def _all_shared_once(served: ServedSandbox, job: Job) -> None:
    requests = served.requests(job)
    assert served.duplicates(job) == 0
    assert sorted(r.recipient_id for r in requests) == sorted(job.recipients)


def test_killed_with_sigkill_mid_run_then_resumed(served: ServedSandbox, tmp_path: Path) -> None:
    """A CLI killed mid-run (nothing recorded at exit) resumes with 0 duplicates."""
    job, recipients, output = _set_up(served, tmp_path)
    command = _command(job, recipients, output)
    process = start(command, served.env(job), tmp_path)
    try:
        wait_for(lambda: len(served.requests(job)) >= SIGNAL_AT, "the first shares")
    finally:
        process.send_signal(signal.SIGKILL)
        finish(process)
    assert process.returncode == -signal.SIGKILL
    assert SIGNAL_AT <= len(served.requests(job)) < RECIPIENTS
    served.call(served.sandbox.faults)  # answer at once from now on
    status, _, err = finish(start(command, served.env(job), tmp_path), RESUME_TIMEOUT)
    assert status == 0, err
    _all_shared_once(served, job)
    rows = _rows(output)
    assert set(rows) == {str(r) for r in job.recipients}
    assert all(row["ok"] == "true" for row in rows.values())
    assert any(row["skipped"] == "true" for row in rows.values())


def test_sigterm_drains_then_the_printed_command_resumes(
    served: ServedSandbox, tmp_path: Path
) -> None:
    """SIGTERM: shares in flight finish and are recorded, exit 5, the printed command resumes."""
    job, recipients, output = _set_up(served, tmp_path)
    process = start(_command(job, recipients, output), served.env(job), tmp_path)
    wait_for(lambda: len(served.requests(job)) >= SIGNAL_AT, "the first shares")
    process.send_signal(signal.SIGTERM)
    status, _, err = finish(process)
    assert status == 5, err
    assert "SIGTERM: taking no more recipients" in err
    shared_first = {str(r.recipient_id) for r in served.requests(job)}
    assert len(shared_first) < RECIPIENTS
    # Every share the server created was finished and recorded: it has its row.
    first_rows = _rows(output)
    assert set(first_rows) == shared_first
    assert all(row["ok"] == "true" for row in first_rows.values())
    resume = err.split("To resume, run the same command again:\n", 1)[1].splitlines()[0]
    words = shlex.split(resume.strip())
    assert words[:3] == [sys.executable, "-m", "onlyonce_async"]

    served.call(served.sandbox.faults)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    status, _, err = finish(start(words, served.env(job), elsewhere), RESUME_TIMEOUT)
    assert status == 0, err
    _all_shared_once(served, job)
    rows = _rows(output)
    assert set(rows) == {str(r) for r in job.recipients}
    assert {r for r, row in rows.items() if row["skipped"] == "true"} == shared_first
    assert not list(elsewhere.iterdir())  # the journal named in the command was used


@pytest.mark.parametrize("ending", ["second-signal", "grace-runs-out"])
def test_a_drain_cut_short_sends_nothing_twice(
    served: ServedSandbox, tmp_path: Path, ending: str
) -> None:
    """
    A second signal, or the end of --grace, stops with shares still in flight: exit 5, and
    the resumed run looks them up instead of resending them.
    """
    job, recipients, output = _set_up(served, tmp_path)
    grace = "600" if ending == "second-signal" else "1"
    command = _command(job, recipients, output, "--grace", grace)
    before = served.call(lambda: served.sandbox.stats.requests)
    process = start(command, served.env(job), tmp_path)
    # The command's limiter lets 60 requests out in its first minute, then holds the shares
    # in flight: the drain cannot finish them for the rest of that minute.
    wait_for(lambda: served.call(lambda: served.sandbox.stats.requests) - before >= 60, "60")
    process.send_signal(signal.SIGINT)
    seen = _read_until(process, "SIGINT: taking no more recipients")
    if ending == "second-signal":
        process.send_signal(signal.SIGINT)
    status, _, err = finish(process)
    assert status == 5, seen + err
    assert ("SIGINT again: stopping now" in err) == (ending == "second-signal")
    served.call(served.sandbox.faults)
    status, _, err = finish(start(command, served.env(job), tmp_path), RESUME_TIMEOUT)
    assert status == 0, err
    _all_shared_once(served, job)


def _read_until(process: subprocess.Popen[str], text: str) -> str:
    """Read the process's stderr up to the line holding ``text`` (it ends when it exits)."""
    assert process.stderr is not None
    seen = ""
    for line in process.stderr:
        seen += line
        if text in line:
            return seen
    raise AssertionError(f"the process ended without printing {text!r}: {seen}")


def test_two_processes_on_one_redis_split_the_job(served: ServedSandbox, tmp_path: Path) -> None:
    """`onlyonce share --redis-url` on two processes: each recipient once, sent counts add up."""
    job, recipients, _ = _set_up(served, tmp_path, 24)  # within one minute's quota
    with running_redis_server() as redis:
        commands = [
            _command(job, recipients, tmp_path / f"out{n}.csv", "--redis-url", redis.url)
            for n in range(2)
        ]
        processes = [start(command, served.env(job), tmp_path) for command in commands]
        results = [finish(process) for process in processes]
    for status, _, err in results:
        assert status == 0, err
    _all_shared_once(served, job)
    sent = [int(err.split(" shared now")[0].rsplit(" ", 1)[1]) for _, _, err in results]
    assert sum(sent) == 24
    assert not list(tmp_path.glob("*.sqlite*"))  # the journal is in Redis
