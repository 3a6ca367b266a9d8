"""
Bulk sharing against the sandbox: exactly once under seeded faults, counted in its state.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from pathlib import Path

import anyio
import httpx
import pytest

import onlyonce_async as oo
from onlyonce_async.testing import BASE_URL, Sandbox
from tests._support.clocks import GrantClock
from tests._support.helpers import FAST_RETRIES

pytestmark = pytest.mark.anyio


async def scene(
    sandbox: Sandbox, client: oo.Client, recipients: int
) -> tuple[uuid.UUID, uuid.UUID, list[uuid.UUID]]:
    """An owner signed in on ``client`` with a card, and ``recipients`` other users."""
    owner = sandbox.create_user(
        email="owner@example.com", password="pw-owner-1", pass_phrase="phrase"
    )
    await client.account.sign_in(owner.email, "pw-owner-1")
    await client.profiles.enable_access(owner.profile_id, "phrase")
    fields = await client.datastore.get(owner.profile_id)
    card = await client.cards.create(
        owner.profile_id, name="card", fields=[f.id for f in fields if f.id]
    )
    people = [
        sandbox.create_user(email=f"r{n}@example.com", password="pw", pass_phrase="p").profile_id
        for n in range(recipients)
    ]
    return owner.profile_id, card, people


def duplicates(sandbox: Sandbox, card: uuid.UUID) -> int:
    pairs = Counter(
        (r.sender_id, r.recipient_id) for r in sandbox.share_requests() if r.card_id == card
    )
    return sum(n - 1 for n in pairs.values())


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_exactly_once_under_seeded_faults(seed: int) -> None:
    """With 10 % 5xx and 10 % dropped-after-commit, every recipient gets exactly one request."""
    sandbox = Sandbox(rate_limit=None)
    async with sandbox.client(retry_policy=FAST_RETRIES) as client:
        sender, card, people = await scene(sandbox, client, 120)
        sandbox.faults(
            error_rate=0.1, statuses=(500, 502, 503, 504), drop_after_commit=0.1, seed=seed
        )
        report = await client.network.share_all(
            card, sender_id=sender, recipient_ids=people, concurrency=8
        )
        sandbox.faults()
    assert duplicates(sandbox, card) == 0
    assert report.total == 120
    created = {r.recipient_id for r in sandbox.share_requests() if r.card_id == card}
    assert {o.recipient_id for o in report.succeeded} <= created
    # A failure may only be a recipient we could not confirm; never a silent drop.
    assert all(o.error is not None for o in report.failed)
    assert len(report.succeeded) >= 110
    assert report.reconciled > 0
    assert sandbox.stats.dropped > 0


async def test_bulk_run_is_paced_by_the_quota() -> None:
    """A bulk run against a rate-limited sandbox starts at most the quota in any window and
    shares with everyone.

    The starts are the limiter's grant times (`GrantClock`). Whether the sandbox also saw no
    429 depends on how long each request took to reach it, i.e. on the machine's load, so
    that is not asserted: a 429 the load causes is paused for and retried like any other.
    """
    clock = GrantClock()
    sandbox = Sandbox(rate_limit=(20, 0.5))
    limiter = oo.SlidingWindowRateLimiter(20, 0.5, clock=clock)
    starts: list[float] = []

    class Recording:
        async def acquire(self) -> None:
            await limiter.acquire()
            starts.append(clock.last)

        async def penalize(self, seconds: float) -> None:
            await limiter.penalize(seconds)

    async with sandbox.client(retry_policy=FAST_RETRIES, rate_limiter=Recording()) as client:
        sender, card, people = await scene(sandbox, client, 60)
        report = await client.network.share_all(
            card, sender_id=sender, recipient_ids=people, concurrency=8
        )
    assert len(report.succeeded) == 60
    assert duplicates(sandbox, card) == 0
    starts.sort()
    assert all(later - earlier >= 0.5 for earlier, later in zip(starts, starts[20:], strict=False))


async def test_failures_reported_per_recipient() -> None:
    """Unknown and malformed recipients fail alone; the others are shared."""
    sandbox = Sandbox(rate_limit=None)
    async with sandbox.client(retry_policy=FAST_RETRIES) as client:
        sender, card, people = await scene(sandbox, client, 4)
        unknown = uuid.uuid4()
        report = await client.network.share_all(
            card, sender_id=sender, recipient_ids=[*people, unknown, "not-an-id", sender]
        )
    assert len(report.succeeded) == 4
    errors = {str(o.recipient_id): type(o.error) for o in report.failed}
    assert errors == {
        str(unknown): oo.NotFoundError,
        "not-an-id": oo.InvalidRecipientError,
        str(sender): oo.ValidationError,
    }


async def test_cancel_mid_run_leaves_consistent_state() -> None:
    """Cancelling a slow run keeps what finished in the report and creates no duplicates."""
    sandbox = Sandbox(rate_limit=None)
    report = oo.BulkShareReport()
    async with sandbox.client(retry_policy=FAST_RETRIES) as client:
        sender, card, people = await scene(sandbox, client, 200)
        sandbox.faults(latency=(0.01, 0.03))

        async def lazily() -> AsyncIterator[uuid.UUID]:
            for person in people:
                yield person

        # Cancelled from the progress callback: at a known point, however fast the machine.
        with anyio.CancelScope() as scope:
            await client.network.share_all(
                card,
                sender_id=sender,
                recipient_ids=lazily(),
                concurrency=4,
                report=report,
                on_progress=lambda done, _: scope.cancel() if done >= 20 else None,
            )
        assert scope.cancelled_caught
        sandbox.faults()
        assert 0 < report.total < 200
        # The remaining recipients can be shared in a second run, still exactly once.
        done = {o.recipient_id for o in report.succeeded}
        created = {r.recipient_id for r in sandbox.share_requests() if r.card_id == card}
        rest = [p for p in people if p not in created]
        second = await client.network.share_all(card, sender_id=sender, recipient_ids=rest)
    assert done <= created
    assert len(second.succeeded) == len(rest)
    assert duplicates(sandbox, card) == 0


@pytest.mark.parametrize("seed", [4, 5])
async def test_stopped_under_faults_then_resumed_from_the_journal(
    seed: int, tmp_path: Path
) -> None:
    """Stopped part way with faults on, resumed on its journal: exactly one request each."""
    sandbox = Sandbox(rate_limit=None)
    journal = oo.SQLiteJournal(tmp_path / "job.sqlite")
    async with sandbox.client(retry_policy=FAST_RETRIES) as client:
        sender, card, people = await scene(sandbox, client, 80)
        sandbox.faults(
            error_rate=0.1, statuses=(500, 502, 503, 504), drop_after_commit=0.15, seed=seed
        )
        outcomes = client.network.share_many(
            card, sender_id=sender, recipient_ids=people, concurrency=8, journal=journal
        )
        async with aclosing(outcomes):
            async for outcome in outcomes:
                if outcome.ok and sum(1 for _ in sandbox.share_requests()) >= 30:
                    break
        first = len(sandbox.share_requests())
        resumed = await client.network.share_all(
            card, sender_id=sender, recipient_ids=people, journal=journal
        )
        sandbox.faults()
        # What a fault left unknown is looked up by one more run, never resent.
        final = await client.network.share_all(
            card, sender_id=sender, recipient_ids=people, journal=journal
        )
    assert 30 <= first < 80
    assert duplicates(sandbox, card) == 0
    assert resumed.total == 80
    assert resumed.skipped >= first  # the sweep found every request of the first run
    assert len(final.succeeded) == 80
    assert {r.recipient_id for r in sandbox.share_requests() if r.card_id == card} == set(people)


class DeclineDuringSweep(httpx.AsyncBaseTransport):
    """The sandbox, where recipients decline requests right after the sweep's first page."""

    def __init__(self, sandbox: Sandbox, decline: Callable[[], Awaitable[None]]) -> None:
        self._inner = sandbox.transport()
        self._decline: Callable[[], Awaitable[None]] | None = decline

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        sweep_page = request.method == "GET" and request.url.path.endswith("/requests")
        if sweep_page and request.url.params.get("page") == "0" and self._decline is not None:
            decline, self._decline = self._decline, None
            await decline()
        return response


async def test_requests_declined_during_the_sweep_shift_no_other_out_of_it() -> None:
    """Requests declined while the sweep pages through the existing ones (after it read
    them as pending) make no later recipient look unshared: a rerun without a journal
    sends nobody a second request."""
    sandbox = Sandbox(rate_limit=None)
    async with sandbox.client(retry_policy=FAST_RETRIES) as client:
        sender, card, people = await scene(sandbox, client, 130)
        first = await client.network.share_all(card, sender_id=sender, recipient_ids=people)
        request_of = {o.recipient_id: o.request_id for o in first.succeeded if o.request_id}
        decliners = people[:20]  # on the sweep's first page (oldest first)

        async def decline() -> None:
            for n, person in enumerate(decliners):
                async with sandbox.client(rate_limiter=None) as recipient:
                    await recipient.account.sign_in(f"r{n}@example.com", "pw")
                    await recipient.network.decline([request_of[person]])

        async with oo.Client(
            base_url=BASE_URL,
            transport=DeclineDuringSweep(sandbox, decline),
            auth=client.auth,
            rate_limiter=None,
            retry_policy=FAST_RETRIES,
        ) as rerun:
            again = await rerun.network.share_all(card, sender_id=sender, recipient_ids=people)
    assert again.skipped == len(people)
    assert duplicates(sandbox, card) == 0
