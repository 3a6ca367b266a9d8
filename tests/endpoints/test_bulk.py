"""
Bulk sharing against a fake network server: laziness, dedup, failures, reconciliation.

The sandbox-backed exactly-once tests live in tests/testing/; these pin the algorithm
with faults placed exactly where each test needs them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import aclosing
from typing import Any

import anyio
import anyio.lowlevel
import attrs
import httpx
import pytest
import trio.testing

import onlyonce_async as oo
from onlyonce_async._endpoints._sharer import Sharer
from onlyonce_async._journal import JobKey, JournalError, MemoryJournal
from tests._support.helpers import fast_client
from tests._support.network_server import CARD, SENDER, NetworkServer, ids

pytestmark = pytest.mark.anyio


async def share_all(server: NetworkServer, recipients: Any, **kwargs: Any) -> oo.BulkShareReport:
    async with fast_client(transport=httpx.MockTransport(server.handler)) as client:
        return await client.network.share_all(
            CARD, sender_id=SENDER, recipient_ids=recipients, **kwargs
        )


async def test_every_recipient_gets_exactly_one_outcome_and_request() -> None:
    """A clean run shares once with every recipient."""
    server = NetworkServer()
    people = ids(40)
    report = await share_all(server, people, concurrency=5)
    assert len(report.succeeded) == 40
    assert report.failed == []
    assert {o.recipient_id for o in report.succeeded} == set(people)
    assert all(server.count_for(p) == 1 for p in people)
    assert all(
        o.request is not None and o.request.recipient.id == o.recipient_id for o in report.succeeded
    )
    assert server.max_in_flight <= 5


async def test_duplicates_are_shared_once() -> None:
    """A recipient repeated in the input (UUID or string, any case) is shared once."""
    server = NetworkServer()
    a, b = ids(2)
    report = await share_all(server, [a, str(a), str(b).upper(), b, a])
    assert sorted(str(o.recipient_id) for o in report.succeeded) == sorted([str(a), str(b)])
    assert server.count_for(a) == 1
    assert server.count_for(b) == 1


@pytest.mark.parametrize("fault", ["drop", "502", "timeout"])
async def test_lost_response_is_reconciled_not_resent(fault: str) -> None:
    """A committed share whose response is lost is found by lookup, never sent twice."""
    server = NetworkServer()
    people = ids(6)
    for p in people[:3]:
        server.script[str(p)] = [fault]
    report = await share_all(server, people)
    assert len(report.succeeded) == 6
    assert all(server.count_for(p) == 1 for p in people)
    assert report.reconciled == 3
    assert all(server.posts[str(p)] == 1 for p in people)


async def test_created_share_with_unreadable_answer_is_reconciled_not_failed() -> None:
    """A 2xx share whose body cannot be decoded was created: it is found, not reported failed."""
    server = NetworkServer()
    person = uuid.uuid4()
    server.script[str(person)] = ["garbled"]
    report = await share_all(server, [person])
    (outcome,) = report.succeeded
    assert outcome.reconciled
    assert outcome.request is not None
    assert outcome.request.id == uuid.UUID(server.requests[0]["id"])
    assert server.posts[str(person)] == 1


async def test_unreadable_answer_and_nothing_found_is_unknown_never_resent() -> None:
    """A 2xx share that cannot be decoded and cannot be found is unknown, never resent."""
    server = NetworkServer()
    person = uuid.uuid4()
    original = server.answer

    def garble(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            server.posts[str(person)] = server.posts.get(str(person), 0) + 1
            return httpx.Response(200, text="not json")
        return original(request)

    server.answer = garble  # type: ignore[method-assign]
    report = await share_all(server, [person])
    (outcome,) = report.unknown
    assert report.failed == [outcome]  # not known to have it; unknown, not a plain failure
    assert outcome.unknown
    assert not outcome.ok
    assert isinstance(outcome.error, oo.ShareOutcomeUnknownError)
    assert isinstance(outcome.error.__cause__, oo.DecodeError)
    assert server.posts[str(person)] == 1


async def test_an_answer_naming_another_share_is_looked_up_not_trusted() -> None:
    """A 2xx naming another recipient is not this share's answer: the lookup decides."""
    server = NetworkServer()
    person = uuid.uuid4()
    server.script[str(person)] = ["stray"]
    report = await share_all(server, [person])
    (outcome,) = report.succeeded
    assert outcome.reconciled
    assert outcome.request_id == uuid.UUID(server.requests[0]["id"])
    assert outcome.request is not None and outcome.request.recipient.id == person
    assert server.lookups == 1
    assert server.posts[str(person)] == 1


async def test_a_sent_share_is_decoded_when_first_read(caplog: pytest.LogCaptureFixture) -> None:
    """
    A run reads only the answer's id, card and recipient: a flaw elsewhere in it neither
    fails the share nor costs a lookup; reading ``request`` then gives ``None`` and says
    what is wrong in a WARNING.
    """
    server = NetworkServer()
    sloppy, fine = ids(2)
    server.script[str(sloppy)] = ["sloppy"]
    report = await share_all(server, [sloppy, fine])
    outcomes = {o.recipient_id: o for o in report.succeeded}
    assert outcomes[sloppy].ok and not outcomes[sloppy].reconciled
    assert server.lookups == 0
    created = {uuid.UUID(r["recipient"]["id"]): uuid.UUID(r["id"]) for r in server.requests}
    assert outcomes[sloppy].request_id == created[sloppy]
    assert outcomes[sloppy].request is None
    (record,) = [r for r in caplog.records if "not a valid ShareRequest" in r.getMessage()]
    assert record.levelname == "WARNING" and str(created[sloppy]) in record.getMessage()
    assert attrs.evolve(outcomes[fine], attempts=5).request == outcomes[fine].request
    request = outcomes[fine].request
    assert request is not None
    assert (request.id, request.recipient.id, request.status) == (
        created[fine],
        fine,
        oo.RequestStatus.PENDING,
    )
    assert outcomes[fine].request is request  # decoded once


def test_an_outcome_made_with_a_request_keeps_it() -> None:
    """``ShareOutcome(request=...)`` still works; outcomes compare by the request's id."""
    sender, recipient = ids(2)
    request = oo.ShareRequest(
        id=uuid.uuid4(),
        sender=oo.Profile(id=sender, onlyonce_id=1, type=oo.ProfileType.PERSONAL),
        card_id=CARD,
        recipient=oo.Profile(id=recipient, onlyonce_id=2, type=oo.ProfileType.PERSONAL),
        status=oo.RequestStatus.PENDING,
    )
    outcome = oo.ShareOutcome(recipient_id=recipient, request=request, attempts=1)
    assert outcome.request is request
    assert outcome.request_id == request.id
    assert outcome.ok
    assert outcome == oo.ShareOutcome(recipient_id=recipient, request_id=request.id, attempts=1)


async def test_a_journal_failing_before_a_send_fails_the_share_unsent() -> None:
    """A journal that cannot confirm the claim before a send: the share fails, nothing sent."""
    server = NetworkServer()
    person = uuid.uuid4()
    events: list[object] = []

    async def may_send() -> bool:
        raise JournalError("renew failed: disk I/O error")

    async with fast_client(
        transport=httpx.MockTransport(server.handler), listeners=[events.append]
    ) as client:
        sharer = Sharer(client.network, CARD, SENDER)
        outcome = await sharer.share(person, resumed=False, may_send=may_send)
    assert isinstance(outcome.error, JournalError)
    assert (outcome.ok, outcome.unknown, outcome.attempts) == (False, False, 1)
    assert server.sends == 0
    assert not [e for e in events if isinstance(e, oo.RetryScheduled)]


async def test_unknown_outcome_without_commit_is_resent() -> None:
    """When the lookup finds nothing, the share is sent again (once it is safe)."""
    server = NetworkServer()
    person = uuid.uuid4()
    original = server.answer

    def lose_first_before_commit(request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and server.posts.get(str(person), 0) == 0:
            server.posts[str(person)] = 1
            raise httpx.ReadError("connection reset before the server acted")
        return original(request)

    server.answer = lose_first_before_commit  # type: ignore[method-assign]
    report = await share_all(server, [person])
    (outcome,) = report.succeeded
    assert outcome.attempts == 2
    assert not outcome.reconciled
    assert server.count_for(person) == 1
    assert report.retried == 1


async def test_plain_503_is_retried_by_the_client() -> None:
    """A 503 (nothing created) is a plain retry, not a reconciliation."""
    server = NetworkServer()
    person = uuid.uuid4()
    server.script[str(person)] = ["503"]
    report = await share_all(server, [person])
    (outcome,) = report.succeeded
    assert not outcome.reconciled
    assert server.lookups == 0
    assert server.count_for(person) == 1


async def test_failed_lookup_is_unknown_never_a_plain_failure() -> None:
    """If the lookup itself fails, the outcome is unknown (not failed) and nothing is resent."""
    server = NetworkServer()
    person = uuid.uuid4()
    server.script[str(person)] = ["drop"]
    server.lookup_fails = True
    report = await share_all(server, [person])
    (outcome,) = report.unknown
    assert report.failed == [outcome]  # not known to have it; unknown, not a plain failure
    assert isinstance(outcome.error, oo.ShareOutcomeUnknownError)
    assert isinstance(outcome.error.__cause__, oo.ServerError)
    assert server.posts[str(person)] == 1
    assert server.count_for(person) == 1


async def test_every_outcome_is_succeeded_or_failed() -> None:
    """BulkShareReport(succeeded, failed) accounts for every recipient: an unknown outcome
    is failed (and also listed as unknown), so code reading only the two lists misses none."""
    server = NetworkServer()
    sent, lost, missing = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    server.script[str(lost)] = ["drop"]
    server.lookup_fails = True
    server.unknown.add(str(missing))
    report = await share_all(server, [sent, lost, missing])
    assert {o.recipient_id for o in report.succeeded} == {sent}
    assert {o.recipient_id for o in report.failed} == {lost, missing}
    assert [o.recipient_id for o in report.unknown] == [lost]
    assert report.total == 3


async def test_failures_are_outcomes() -> None:
    """Unknown recipients and malformed ids fail alone; the rest of the run goes on."""
    server = NetworkServer()
    good = ids(5)
    missing = uuid.uuid4()
    server.unknown.add(str(missing))
    report = await share_all(server, [*good[:2], missing, "../account", 42, *good[2:]])
    assert len(report.succeeded) == 5
    errors = {str(o.recipient_id): o.error for o in report.failed}
    assert isinstance(errors[str(missing)], oo.NotFoundError)
    assert isinstance(errors["../account"], oo.InvalidRecipientError)
    assert isinstance(errors["42"], oo.InvalidRecipientError)
    assert all(not o.ok for o in report.failed)
    assert "../account" not in server.posts


async def test_input_is_consumed_lazily() -> None:
    """Only about `concurrency` recipients are pulled before the first outcome arrives."""
    server = NetworkServer()
    pulled = 0

    def recipients() -> Iterator[uuid.UUID]:
        nonlocal pulled
        for _ in range(10_000):
            pulled += 1
            yield uuid.uuid4()

    async with fast_client(transport=httpx.MockTransport(server.handler)) as client:
        outcomes = client.network.share_many(
            CARD, sender_id=SENDER, recipient_ids=recipients(), concurrency=4
        )
        async with aclosing(outcomes):
            first = await outcomes.__anext__()
            assert first.ok
            assert pulled <= 4 + 4 + 2  # in flight, buffered outcomes, one in hand
    assert len(server.requests) < 50


async def test_a_stalled_caller_holds_the_run_to_a_bounded_number_of_recipients() -> None:
    """
    A caller that stops reading: the workers stop once the outcomes waiting for it fill
    up, so memory stays proportional to ``concurrency`` however long the input.
    """
    server = NetworkServer()
    pulled = 0

    def recipients() -> Iterator[uuid.UUID]:
        nonlocal pulled
        for _ in range(10_000):
            pulled += 1
            yield uuid.uuid4()

    async with fast_client(transport=httpx.MockTransport(server.handler)) as client:
        outcomes = client.network.share_many(
            CARD, sender_id=SENDER, recipient_ids=recipients(), concurrency=2
        )
        async with aclosing(outcomes):
            await outcomes.__anext__()
            await anyio.sleep(0.3)  # time for a hundred shares and more, were nothing holding them
            # 8 per worker wait for the caller, each worker holds one more, one was taken.
            assert pulled <= (8 + 1) * 2 + 1, pulled
            assert len(server.requests) == pulled


async def test_async_iterables_are_accepted() -> None:
    """Recipients may come from an async iterable (e.g. a file read lazily)."""
    server = NetworkServer()
    people = ids(7)

    async def stream() -> AsyncIterator[str]:
        for p in people:
            await anyio.lowlevel.checkpoint()
            yield str(p)

    report = await share_all(server, stream())
    assert len(report.succeeded) == 7


async def test_progress_callback() -> None:
    """on_progress gets (done, total) after every item; total is None for iterators."""
    server = NetworkServer()
    people = ids(5)
    calls: list[tuple[int, int | None]] = []
    await share_all(server, [*people, people[0]], on_progress=lambda d, t: calls.append((d, t)))
    assert sorted(d for d, _ in calls) == [1, 2, 3, 4, 5, 6]
    assert {t for _, t in calls} == {6}
    calls.clear()
    await share_all(server, iter(ids(3)), on_progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (3, None)


async def test_cancellation_stops_cleanly_and_keeps_what_finished() -> None:
    """Cancelling share_all mid-run stops it; the report holds what finished, no more."""
    server = NetworkServer()
    report = oo.BulkShareReport()
    people = ids(500)
    async with fast_client(transport=httpx.MockTransport(server.handler)) as client:
        # Cancelled from the progress callback: at a known point, however fast the machine.
        with anyio.CancelScope() as scope:
            await client.network.share_all(
                CARD,
                sender_id=SENDER,
                recipient_ids=people,
                concurrency=4,
                report=report,
                on_progress=lambda done, _: scope.cancel() if done >= 50 else None,
            )
        assert scope.cancelled_caught
        assert 0 < report.total < 500
        # Every reported success is on the server exactly once, and the client still works.
        assert all(server.count_for(o.recipient_id) == 1 for o in report.succeeded)  # type: ignore[arg-type]
        assert len(server.requests) <= report.total + 4
        again = await client.network.share_all(CARD, sender_id=SENDER, recipient_ids=ids(3))
        assert len(again.succeeded) == 3


async def test_bad_arguments_raise_before_sending() -> None:
    """A bad card, sender, concurrency or recipients argument raises at once; nothing is
    sent (one id given as a string is not read as 36 one-character ids)."""
    server = NetworkServer()
    async with fast_client(transport=httpx.MockTransport(server.handler)) as client:
        for lone in (str(uuid.uuid4()), uuid.uuid4(), 5):
            with pytest.raises(TypeError, match="recipient_ids must be an iterable"):
                await client.network.share_all(
                    CARD,
                    sender_id=SENDER,
                    recipient_ids=lone,  # type: ignore[arg-type]
                )
        with pytest.raises(TypeError, match="on_progress must be callable"):
            await client.network.share_all(
                CARD,
                sender_id=SENDER,
                recipient_ids=ids(1),
                on_progress=5,  # type: ignore[arg-type]
            )
        with pytest.raises(ValueError):
            await client.network.share_all("../x", sender_id=SENDER, recipient_ids=ids(1))
        with pytest.raises(ValueError):
            await client.network.share_all(
                CARD, sender_id=SENDER, recipient_ids=ids(1), concurrency=0
            )
    assert server.posts == {}


async def test_a_failing_input_raises_its_own_exception() -> None:
    """An exception from the recipient iterable reaches the caller as itself, not a group."""
    server = NetworkServer()

    def recipients() -> Iterator[uuid.UUID]:
        yield uuid.uuid4()
        raise OSError("the recipients file went away")

    with pytest.raises(OSError, match="went away"):
        await share_all(server, recipients())


async def test_a_failing_progress_callback_raises_its_own_exception() -> None:
    """An exception from on_progress stops the run and reaches the caller as itself."""
    server = NetworkServer()

    def on_progress(done: int, total: int | None) -> None:
        raise RuntimeError(f"progress display broke at {done}")

    with pytest.raises(RuntimeError, match="progress display broke"):
        await share_all(server, ids(20), on_progress=on_progress)
    assert len(server.requests) < 20


class TestLongRateLimitPause:
    """A 429 asking for more than a minute mid-run, on trio's virtual clock (time jumps)."""

    @pytest.fixture
    def anyio_backend(self) -> tuple[str, dict[str, Any]]:
        """trio with an autojumping mock clock."""
        return ("trio", {"clock": trio.testing.MockClock(autojump_threshold=0)})

    async def test_a_long_retry_after_is_waited_out_not_filed_failed(self) -> None:
        """One 429 with Retry-After: 120: every recipient succeeds, none is filed failed,
        and no share is sent in the 120 s the server asked for (only those already past the
        limiter when the 429 came)."""
        server = NetworkServer()
        people = ids(6)
        server.script[str(people[0])] = ["429"]
        handler, answer = server.handler, server.answer
        arrivals: list[tuple[str, float]] = []
        rejected_at: list[float] = []

        async def arrive(request: httpx.Request) -> httpx.Response:
            if request.method == "POST":
                recipient = json.loads(request.content)["recipient"]["id"]
                arrivals.append((recipient, anyio.current_time()))
            return await handler(request)

        def reject(request: httpx.Request) -> httpx.Response:
            response = answer(request)
            if response.status_code == 429:
                rejected_at.append(anyio.current_time())
            return response

        server.answer = reject  # type: ignore[method-assign]
        retries: list[oo.RetryScheduled] = []

        def listen(event: oo.Event) -> None:
            if isinstance(event, oo.RetryScheduled) and event.call_id is None:
                retries.append(event)  # the bulk share's own loop

        limiter = oo.SlidingWindowRateLimiter()  # on the virtual clock
        async with fast_client(
            transport=httpx.MockTransport(arrive), rate_limiter=limiter, listeners=[listen]
        ) as c:
            with anyio.fail_after(3600):  # hang guard (virtual time)
                report = await c.network.share_all(
                    CARD, sender_id=SENDER, recipient_ids=people, concurrency=3
                )
        assert report.failed == [] and report.unknown == []
        assert {o.recipient_id for o in report.succeeded} == set(people)
        assert all(server.count_for(p) == 1 for p in people)
        (rejected,) = rejected_at
        assert [t for _, t in arrivals if rejected < t < rejected + 120] == []
        first, again = [t for who, t in arrivals if who == str(people[0])]
        assert first < rejected and again >= rejected + 120
        # The share's own waits were the server's 120 s (or what was left of them).
        assert retries and all(e.reason == "http_429" for e in retries)
        assert max(e.delay for e in retries) == 120
        assert all(60 < e.delay <= 120 for e in retries)

    @pytest.mark.parametrize("taken_over", [True, False])
    async def test_a_claim_whose_lease_ran_out_is_checked_before_sending(
        self, taken_over: bool
    ) -> None:
        """A worker whose claim's lease ran out while it waited (the process paused, its
        renewals stalled) asks the journal before sending on it: taken over meanwhile, the
        outcome is unknown, left in flight for a lookup, and nothing more is sent; still
        its own, the share goes on."""

        class TakenOverWhilePaused(MemoryJournal):
            """A one-minute lease; the first renewal stalls for an hour, and by the time
            the worker asks again another worker has (or has not) taken the claim over."""

            renewals = 0

            @property
            def lease(self) -> float:
                return 60.0

            async def renew(
                self, job: JobKey, recipients: Iterable[uuid.UUID], run: str
            ) -> set[uuid.UUID]:
                self.renewals += 1
                if self.renewals == 1:
                    await anyio.sleep(3600)
                return set(recipients) if taken_over else set()

        server = NetworkServer()  # answers 429 with Retry-After: 120 when scripted
        person = uuid.uuid4()
        server.script[str(person)] = ["429"]
        async with fast_client(transport=httpx.MockTransport(server.handler)) as c:
            with anyio.fail_after(3600):  # hang guard (virtual time)
                report = await c.network.share_all(
                    CARD,
                    sender_id=SENDER,
                    recipient_ids=[person],
                    journal=TakenOverWhilePaused(),
                )
        if taken_over:
            (outcome,) = report.unknown
            assert "took the claim over" in str(outcome.error)
            assert server.posts[str(person)] == 1
        else:
            (outcome,) = report.succeeded
            assert outcome.attempts == 2
            assert server.count_for(person) == 1


async def test_closing_the_client_ends_a_share_waiting_out_a_long_pause() -> None:
    """A share waiting out an hour's Retry-After stops when the client is closed (failed
    with ClientClosedError, nothing more sent) instead of sleeping on."""
    server = NetworkServer()
    server.retry_after = 3600
    person = uuid.uuid4()
    server.script[str(person)] = ["429"]
    waits: list[float] = []

    def listen(event: oo.Event) -> None:
        if isinstance(event, oo.RetryScheduled) and event.call_id is None:
            waits.append(event.delay)

    reports: list[oo.BulkShareReport] = []
    async with fast_client(transport=httpx.MockTransport(server.handler), listeners=[listen]) as c:

        async def run() -> None:
            reports.append(
                await c.network.share_all(CARD, sender_id=SENDER, recipient_ids=[person])
            )

        with anyio.fail_after(30):  # hang guard: the wait is an hour
            async with anyio.create_task_group() as tg:
                tg.start_soon(run)
                while not waits:  # noqa: ASYNC110  # the retry decision is the signal
                    await anyio.sleep(0.005)
                await anyio.wait_all_tasks_blocked()  # the share sleeps
                await c.aclose()
    assert waits == [3600]
    (outcome,) = reports[0].failed
    assert isinstance(outcome.error, oo.ClientClosedError)
    assert server.posts[str(person)] == 1
