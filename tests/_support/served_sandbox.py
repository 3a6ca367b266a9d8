"""
A sandbox served over TCP from a thread of the test process, for tests that run the
command line or workers as real processes and then count duplicates in the sandbox's state.

The sandbox's event loop runs in a blocking portal's thread; `ServedSandbox.call` runs set-up
coroutines there, and `ServedSandbox.requests` reads the state through it too.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import attrs
from anyio.from_thread import BlockingPortal, start_blocking_portal

from onlyonce_async.testing import Sandbox, SandboxUser, ShareRequestRecord

__all__ = [
    "Job",
    "ServedSandbox",
    "create_job",
    "finish",
    "served_sandbox",
    "start",
    "wait_for",
]

ROOT = Path(__file__).resolve().parents[1]
_T = TypeVar("_T")


@attrs.define
class Job:
    """A sender owning a card, and the recipients to share it with."""

    sender: SandboxUser
    card_id: uuid.UUID
    recipients: list[uuid.UUID]


@attrs.define
class ServedSandbox:
    """A sandbox reachable at `url`, its loop in `portal`'s thread."""

    sandbox: Sandbox
    portal: BlockingPortal
    url: str

    def call(self, function: Callable[..., Any], *args: Any) -> Any:
        """Run ``function(*args)`` (sync or async) in the sandbox's thread."""
        if inspect.iscoroutinefunction(function):
            return self.portal.call(function, *args)
        return self.portal.call(_sync, function, *args)

    def requests(self, job: Job) -> list[ShareRequestRecord]:
        """Every share request of ``job``'s sender for its card, from the sandbox's state."""
        records: list[ShareRequestRecord] = self.call(self.sandbox.share_requests)
        return [
            r for r in records if r.sender_id == job.sender.profile_id and r.card_id == job.card_id
        ]

    def duplicates(self, job: Job) -> int:
        """Requests beyond the first for any recipient of ``job``."""
        counts = Counter(r.recipient_id for r in self.requests(job))
        return sum(n - 1 for n in counts.values())

    def make_job(self, recipients: int) -> Job:
        """A sender with a card and ``recipients`` recipient profiles."""
        job: Job = self.call(create_job, self.sandbox, recipients)
        return job

    def env(self, job: Job) -> dict[str, str]:
        """The environment of a command line run as ``job``'s sender, on this repository."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("ONLYONCE_")}
        env.update(
            PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
            ONLYONCE_BASE_URL=self.url,
            ONLYONCE_USERNAME=job.sender.email,
            ONLYONCE_PASSWORD=job.sender.password,
            ONLYONCE_PASS_PHRASE=job.sender.pass_phrase,
        )
        return env


async def _sync(function: Callable[..., _T], *args: Any) -> _T:
    return function(*args)


async def create_job(sandbox: Sandbox, count: int) -> Job:
    """A sender with a card and ``count`` recipient profiles in ``sandbox``."""
    tag = uuid.uuid4().hex[:8]  # several jobs in one sandbox
    sender = sandbox.create_user(
        email=f"sender-{tag}@example.com", password="sender-pw-1", pass_phrase="sender pp"
    )
    recipients = [
        sandbox.create_user(
            email=f"r{i}-{tag}@example.com", password="r-pw-1", pass_phrase="rp"
        ).profile_id
        for i in range(count)
    ]
    async with sandbox.client(rate_limiter=None) as client:
        await client.account.sign_in(sender.email, sender.password)
        await client.profiles.enable_access(sender.profile_id, sender.pass_phrase)
        fields = await client.datastore.get(sender.profile_id)
        card_id = await client.cards.create(
            sender.profile_id, name="Card", fields=[f.id for f in fields if f.id is not None]
        )
    return Job(sender, card_id, recipients)


@contextlib.contextmanager
def served_sandbox(**sandbox_kwargs: Any) -> Iterator[ServedSandbox]:
    """A `Sandbox` (no rate limit unless given) served on 127.0.0.1, for the block."""
    sandbox_kwargs.setdefault("rate_limit", None)
    sandbox = Sandbox(**sandbox_kwargs)
    with (
        start_blocking_portal("asyncio") as portal,
        portal.wrap_async_context_manager(sandbox.serve_tcp()) as url,
    ):
        yield ServedSandbox(sandbox, portal, url)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
    """
    Poll ``condition`` until it holds; fail after ``timeout`` seconds (a hang guard only).
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def start(command: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    """Start ``command`` with its output captured as text."""
    return subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(process: subprocess.Popen[str], timeout: float = 120.0) -> tuple[int, str, str]:
    """Wait for ``process`` (killing it after ``timeout``, a hang guard); status and output."""
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        raise AssertionError(f"process hung; stderr: {err}") from None
    return process.returncode, out, err
