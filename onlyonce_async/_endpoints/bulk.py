"""
Concurrent bulk card sharing, exactly once across lost responses, reruns and workers.

One run of `share_many`: open the journal (a `MemoryJournal` when the caller gave none), sweep
the sender's existing requests into it (``skip_existing``), then let at most ``concurrency``
workers read the input lazily, each taking the next item itself (no hand-off through another
task: each costs trips through the event loop, measured against a raw loop in issue 14's
benchmark); a worker starts another only when it took an item and none is free. A worker
claims its recipient in the journal, which commits it as in flight before any send and tells
whether it is a duplicate of this run, already shared, held by another worker (put aside and
asked again later), new, or left in flight by an earlier run (looked up first). `Sharer`
does the one share; its outcome is recorded (succeeded, failed, or left in flight when
unknown). A run that stops early — cancelled, closed, the input raising — gives its claims
back, still in flight, so the next run looks them up before any send.
"""

from __future__ import annotations

import logging
import math
import sys
import uuid
from collections import deque
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Callable,
    Iterable,
    Iterator,
)
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import attrs
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

if sys.version_info < (3, 11):  # pragma: no cover - exercised on Python 3.10 only
    from exceptiongroup import BaseExceptionGroup

from .._args import check_iterable, flag, uuid_arg
from .._events import BulkProgress, ShareCompleted, emit
from .._journal import Claim, ClaimState, JobKey, JournalError, MemoryJournal, ShareJournal
from .._ratelimit import SlidingWindowRateLimiter
from ._sharer import (
    InvalidRecipientError,
    ShareOutcome,
    ShareOutcomeUnknownError,
    Sharer,
    unknown_outcome,
)
from ._sweep import sweep

if TYPE_CHECKING:
    from .network import NetworkAPI

__all__ = [
    "BulkShareReport",
    "InvalidRecipientError",
    "ShareOutcome",
    "ShareOutcomeUnknownError",
    "share_many",
]

logger = logging.getLogger("onlyonce_async")

#: Called as ``on_progress(done, total)``; a plain function (it is not awaited).
ProgressCallback = Callable[[int, "int | None"], None]

#: Recipients held by another worker, put aside per unit of ``concurrency`` before the run
#: waits for the oldest of them (bounds memory whatever the input's length).
_DEFERRED_PER_WORKER = 4
#: Outcomes waiting for the caller, per unit of ``concurrency``, before a worker waits to
#: hand over its own: workers finish in bursts, and each wait is two trips through the
#: event loop (with one per worker, the throughput benchmark's workers waited on over a
#: third of their hand-offs).
_WAITING_PER_WORKER = 8
#: Seconds a stopping run spends at most giving its claims back.
_TEARDOWN_SECONDS = 10.0


@attrs.define(kw_only=True)
class BulkShareReport:
    """
    The outcomes of `NetworkAPI.share_all`: every one is in `succeeded` or in `failed`.

    It fills in as outcomes complete: pass your own to ``share_all(report=...)`` to keep what
    finished when the run is cancelled (shares in flight then are filed as unknown).

    Attributes:
        succeeded: Recipients that have the share request (sent now, reconciled or skipped).
        failed: Recipients not known to have it: their share failed and created nothing (a
            rerun tries them again), or its outcome is unknown (also in `unknown`).
        unknown: The failed recipients whose share may or may not exist; a rerun on the
            same journal looks them up before any send.
    """

    succeeded: list[ShareOutcome] = attrs.field(factory=list)
    failed: list[ShareOutcome] = attrs.field(factory=list)
    unknown: list[ShareOutcome] = attrs.field(factory=list)

    def add(self, outcome: ShareOutcome) -> None:
        """
        File one outcome under succeeded or failed (and an unknown one under unknown too).

        Args:
            outcome: One recipient's outcome.
        """
        if outcome.ok:
            self.succeeded.append(outcome)
            return
        self.failed.append(outcome)
        if outcome.unknown:
            self.unknown.append(outcome)

    @property
    def total(self) -> int:
        """Outcomes recorded so far."""
        return len(self.succeeded) + len(self.failed)

    @property
    def skipped(self) -> int:
        """Recipients not sent by this run: shared before, or by another worker."""
        return sum(1 for o in self.succeeded if o.skipped)

    @property
    def retried(self) -> int:
        """Recipients whose share was sent more than once."""
        return sum(1 for o in (*self.succeeded, *self.failed) if o.attempts > 1)

    @property
    def reconciled(self) -> int:
        """Recipients whose request was found by lookup after a lost response."""
        return sum(1 for o in self.succeeded if o.reconciled)


def parse_recipient(value: Any) -> uuid.UUID:
    """
    A recipient id: a `uuid.UUID`, or any string `uuid.UUID` accepts (any case, braces,
    ``urn:uuid:``, no hyphens). The one rule for validating and deduplicating recipients.

    Raises:
        TypeError: Neither a UUID nor a string.
        ValueError: A string that is not a UUID.
    """
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str):
        raise TypeError(f"recipient_id must be a UUID or str, not {type(value).__name__}")
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValueError(f"recipient_id must be a UUID, got {value[:80]!r}") from None


class _Input:
    """
    The recipients, read by every worker in turn: a plain iterator directly, an async one
    under a lock (an async generator must not be resumed by two tasks at once).
    """

    def __init__(self, recipient_ids: Iterable[Any] | AsyncIterable[Any]) -> None:
        self._async: AsyncIterator[Any] | None = None
        self._sync: Iterator[Any] | None = None
        if isinstance(recipient_ids, AsyncIterable):
            self._async = aiter(recipient_ids)
        else:
            self._sync = iter(recipient_ids)
        self._reading = anyio.Lock(fast_acquire=True)
        self.exhausted = False

    async def next(self) -> tuple[bool, Any]:
        """
        ``(True, item)``, or ``(False, None)`` once the input is exhausted.

        Raises:
            Exception: Whatever the input raises (the run then fails with it).
        """
        if not self.exhausted:
            if self._sync is not None:
                for item in self._sync:
                    return True, item
            else:
                async with self._reading:
                    if not self.exhausted:
                        async for item in self._async:  # type: ignore[union-attr]
                            return True, item
            self.exhausted = True
        return False, None

    async def aclose(self) -> None:
        """Close an async input read only in part (e.g. a file reader's async generator)."""
        aclose = getattr(self._async, "aclose", None)
        if aclose is not None:
            with anyio.CancelScope(shield=True):
                await aclose()


def _total(recipient_ids: object) -> int | None:
    try:
        return len(recipient_ids)  # type: ignore[arg-type]
    except TypeError:
        return None


_Job = tuple[bool, Any]  # (first sight, input item) or (False, a recipient put aside)
_T = TypeVar("_T")


async def _take(receive: MemoryObjectReceiveStream[_T]) -> _T:
    """
    The next item: at once when one is ready (no trip through the event loop), else waited for.

    Raises:
        anyio.EndOfStream: Every sender is closed and nothing is left.
    """
    try:
        return receive.receive_nowait()
    except anyio.WouldBlock:
        return await receive.receive()


async def _put(send: MemoryObjectSendStream[_T], item: _T) -> None:
    """Hand ``item`` over: at once when there is room or a taker waits, else wait for one."""
    try:
        send.send_nowait(item)
    except anyio.WouldBlock:
        await send.send(item)


class _Run:
    """The state of one `share_many` call: its workers, its claims, its progress."""

    def __init__(
        self,
        network: NetworkAPI,
        job: JobKey,
        journal: ShareJournal,
        concurrency: int,
        on_progress: ProgressCallback | None,
        total: int | None,
    ) -> None:
        self.sharer = Sharer(network, job.card_id, job.sender_id)
        self.listeners = network._client.listeners
        self.limiter = network._client.rate_limiter
        self.job = job
        self.journal = journal
        self.token = uuid.uuid4().hex
        self.concurrency = concurrency
        self.on_progress = on_progress
        self.total = total
        self.done = 0
        self.held: dict[uuid.UUID, bool] = {}  # claims held -> whether a send may have left
        self.lost: set[uuid.UUID] = set()  # claims another worker took over
        # Until when each held claim's lease is trusted, on anyio's clock (a durable
        # journal's only): a claim whose lease ran out here (the process was paused: a stop
        # signal, a frozen VM) may have been taken over before a renewal could say so.
        self.trusted_until: dict[uuid.UUID, float] = {}
        self.deferred: deque[uuid.UUID] = deque()
        # Outcomes finished but not yet taken by the output, by identity (an outcome's own
        # == compares its fields).
        self.unsent: dict[int, ShareOutcome] = {}
        self.started = 0
        self.busy = 0
        self.send_out, self.receive_out = anyio.create_memory_object_stream[ShareOutcome](
            _WAITING_PER_WORKER * concurrency
        )
        lease = journal.lease
        # How long a (re)started lease is trusted: less a margin for the journal's clock
        # running a little ahead; None when claims never lapse.
        self.lease_trust = lease - min(1.0, lease / 10) if math.isfinite(lease) else None
        self.renew_every = lease / 3 if math.isfinite(lease) else None
        self.poll = min(1.0, lease / 10)
        self.shield_claims = not isinstance(journal, MemoryJournal)

    def progress(self) -> None:
        self.done += 1
        if self.listeners:
            emit(
                self.listeners,
                BulkProgress(
                    card_id=self.job.card_id,
                    sender_id=self.job.sender_id,
                    done=self.done,
                    total=self.total,
                    eta=self.eta(),
                ),
            )
        if self.on_progress is not None:
            self.on_progress(self.done, self.total)

    def eta(self) -> float | None:
        """Seconds left at the client's quota, from its limiter's stats (in-process only)."""
        if self.total is None or not isinstance(self.limiter, SlidingWindowRateLimiter):
            return None
        return self.limiter.stats().seconds_for(self.total - self.done)

    def completed(self, outcome: ShareOutcome) -> None:
        """Emit `ShareCompleted` for an outcome yielded or abandoned."""
        if self.listeners:
            emit(self.listeners, share_completed(self.job, outcome))

    def start(self, tg: TaskGroup, recipients: _Input) -> None:
        """Start the first worker; the output ends when the last worker is done."""
        with self.send_out:
            self.spawn(tg, recipients, self.send_out)

    def spawn(
        self, tg: TaskGroup, recipients: _Input, send: MemoryObjectSendStream[ShareOutcome]
    ) -> None:
        self.started += 1
        tg.start_soon(self.work, tg, recipients, send.clone())

    async def work(
        self, tg: TaskGroup, recipients: _Input, send: MemoryObjectSendStream[ShareOutcome]
    ) -> None:
        async with send:
            while (job := await self.next_job(tg, recipients, send)) is not None:
                outcome = await self.handle(*job)
                if outcome is not None:
                    self.unsent[id(outcome)] = outcome  # until the output takes it
                    await _put(send, outcome)
                    del self.unsent[id(outcome)]
                self.busy -= 1

    async def next_job(
        self, tg: TaskGroup, recipients: _Input, send: MemoryObjectSendStream[ShareOutcome]
    ) -> _Job | None:
        """
        A recipient put aside when too many are (or the input is done), else the next input
        item; ``None`` when nothing is left for this worker.
        """
        if len(self.deferred) < _DEFERRED_PER_WORKER * self.concurrency:
            got, item = await recipients.next()
            if got:
                self.busy += 1
                # Start a worker only when none is free: never more than there is input for.
                if self.started <= self.busy and self.started < self.concurrency:
                    self.spawn(tg, recipients, send)
                return True, item
        if self.deferred:
            self.busy += 1
            return False, self.deferred.popleft()
        return None

    async def handle(self, first_sight: bool, item: Any) -> ShareOutcome | None:
        if first_sight:
            try:
                recipient = parse_recipient(item)
            except (TypeError, ValueError) as exc:
                text = item if isinstance(item, str) else repr(item)
                return ShareOutcome(recipient_id=text, error=InvalidRecipientError(str(exc)))
            claim = await self.claim(recipient, first_sight=True)
        else:
            recipient = item
            claim = await self.claim(recipient, first_sight=False)
            while claim.state is ClaimState.BUSY:
                await anyio.sleep(self.poll)
                claim = await self.claim(recipient, first_sight=False)
        if claim.state is ClaimState.DUPLICATE:
            self.progress()  # handled by the outcome of its first occurrence
            return None
        if claim.state is ClaimState.BUSY:
            self.deferred.append(recipient)
            return None
        if claim.state is ClaimState.SUCCEEDED:
            return ShareOutcome(recipient_id=recipient, request_id=claim.request_id, skipped=True)
        return await self.share(recipient, resumed=claim.state is ClaimState.RESUMED)

    async def claim(self, recipient: uuid.UUID, *, first_sight: bool) -> Claim:
        # Shielded, and held from the moment it is committed: a claim this run made is
        # always given back on a stop, never left to lapse with its lease.
        # The lease runs from no earlier than this (claims that never lapse need no clock).
        started = anyio.current_time() if self.lease_trust is not None else 0.0
        if self.shield_claims:
            with anyio.CancelScope(shield=True):
                claim = await self.journal.claim(
                    self.job, recipient, self.token, first_sight=first_sight
                )
        else:
            # A MemoryJournal's claim never waits (it cannot be stopped halfway) and has no
            # lease to lapse: no shielded cancel scope (about 5 µs a share) around it.
            claim = await self.journal.claim(
                self.job, recipient, self.token, first_sight=first_sight
            )
        if claim.state in (ClaimState.NEW, ClaimState.RESUMED):
            self.held[recipient] = claim.state is ClaimState.RESUMED
            self.trust([recipient], started)
        return claim

    def trust(self, recipients: list[uuid.UUID], started: float) -> None:
        """The leases of ``recipients`` were (re)started no earlier than ``started``."""
        if self.lease_trust is not None:
            until = started + self.lease_trust
            for recipient in recipients:
                self.trusted_until[recipient] = until

    async def still_held(self, recipient: uuid.UUID) -> bool:
        """
        Whether the claim is still this run's, to send on it. Its lease is checked on this
        process's clock too (with a margin for the journal's clock running a little ahead):
        run out (the process was paused, or the renewals stalled), it may have been taken
        over before a renewal could say so, so the journal is asked first.
        """
        if recipient in self.lost:
            return False
        until = self.trusted_until.get(recipient)
        if until is None or anyio.current_time() < until:
            return True
        started = anyio.current_time()
        self.lost |= await self.journal.renew(self.job, [recipient], self.token)
        if recipient in self.lost:
            return False
        self.trust([recipient], started)
        return True

    async def share(self, recipient: uuid.UUID, *, resumed: bool) -> ShareOutcome:
        async def may_send() -> bool:
            if not await self.still_held(recipient):
                return False
            self.held[recipient] = True
            return True

        outcome = await self.sharer.share(recipient, resumed=resumed, may_send=may_send)
        if outcome.unknown:
            await self.journal.release(self.job, [recipient], self.token)
        elif outcome.ok:
            assert outcome.request_id is not None
            await self.journal.succeeded(self.job, recipient, outcome.request_id)
        else:
            error = f"{type(outcome.error).__name__}: {outcome.error}"
            await self.journal.failed(self.job, recipient, self.token, error)
        del self.held[recipient]
        self.trusted_until.pop(recipient, None)
        self.lost.discard(recipient)
        return outcome

    async def renew(self, every: float) -> None:
        while True:
            await anyio.sleep(every)
            if self.held:
                started = anyio.current_time()
                claims = list(self.held)
                self.lost |= await self.journal.renew(self.job, claims, self.token)
                # Those still held and not finished meanwhile.
                self.trust([r for r in claims if r in self.held and r not in self.lost], started)

    async def give_back(self) -> None:
        """Release the claims still held (left in flight) and end the run in the journal."""
        try:
            if self.held:
                await self.journal.release(self.job, list(self.held), self.token)
            await self.journal.end_run(self.token)
        except JournalError as exc:
            # The run is failing already; the claims lapse with their lease.
            logger.warning("could not give back %d claims: %s", len(self.held), exc)

    def abandoned(self) -> list[ShareOutcome]:
        """Outcomes finished but not yielded, and unknown ones for shares cut short."""
        outcomes = list(self.unsent.values())
        while True:
            try:
                outcomes.append(self.receive_out.receive_nowait())
            except (anyio.WouldBlock, anyio.EndOfStream, anyio.ClosedResourceError):
                break
        for recipient, maybe_sent in self.held.items():
            if maybe_sent:
                outcomes.append(unknown_outcome(recipient, "the run stopped while in flight", 0))
        return outcomes


def share_completed(job: JobKey, outcome: ShareOutcome) -> ShareCompleted:
    """The `ShareCompleted` event of ``outcome``."""
    if outcome.unknown:
        kind = "unknown"
    elif not outcome.ok:
        kind = "failed"
    elif outcome.skipped:
        kind = "skipped"
    elif outcome.reconciled:
        kind = "reconciled"
    else:
        kind = "ok"
    return ShareCompleted(
        card_id=job.card_id,
        sender_id=job.sender_id,
        recipient_id=outcome.recipient_id,
        outcome=kind,
        attempts=outcome.attempts,
        error=None if outcome.error is None else type(outcome.error).__name__,
    )


def _one_failure(group: BaseExceptionGroup[BaseException]) -> Exception | None:
    """
    The exception that failed a run, when the group holds only that kind: one, or the same
    failure met by several workers at once (a journal whose storage broke). Else ``None``.
    """
    leaves: list[BaseException] = []
    pending: list[BaseException] = [group]
    while pending:
        error = pending.pop()
        if isinstance(error, BaseExceptionGroup):
            pending.extend(reversed(error.exceptions))
        else:
            leaves.append(error)
    first = leaves[0]
    if isinstance(first, Exception) and all(type(e) is type(first) for e in leaves):
        return first
    return None


async def share_many(
    network: NetworkAPI,
    card_id: Any,
    *,
    sender_id: Any,
    recipient_ids: Iterable[Any] | AsyncIterable[Any],
    concurrency: int = 8,
    on_progress: ProgressCallback | None = None,
    journal: ShareJournal | None = None,
    skip_existing: bool = True,
    on_abandoned: Callable[[ShareOutcome], None] | None = None,
) -> AsyncGenerator[ShareOutcome, None]:
    """
    Share ``card_id`` with every recipient, yielding one `ShareOutcome` each as they complete.

    See `NetworkAPI.share_many`. ``on_abandoned`` gets, when the run stops early, the outcomes
    finished but not yielded and an unknown outcome per share cut short (`share_all` files
    them in its report).
    """
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be a positive int, not {concurrency!r}")
    job = JobKey(uuid_arg(sender_id, "sender_id"), uuid_arg(card_id, "card_id"))
    check_iterable(recipient_ids, "recipient_ids", async_too=True)
    if on_progress is not None and not callable(on_progress):
        raise TypeError(f"on_progress must be callable, not {type(on_progress).__name__}")
    skip_existing = flag(skip_existing, "skip_existing")
    if journal is not None and not isinstance(journal, ShareJournal):
        raise TypeError(f"journal must be a ShareJournal, not {type(journal).__name__}")
    store: ShareJournal = MemoryJournal() if journal is None else journal
    await store.open()  # a journal that cannot be used fails here, before any share
    run = _Run(network, job, store, concurrency, on_progress, _total(recipient_ids))
    recipients = _Input(recipient_ids)
    try:
        if skip_existing:
            await sweep(network, job, store)
        async with anyio.create_task_group() as tg:
            run.start(tg, recipients)
            if run.renew_every is not None:
                tg.start_soon(run.renew, run.renew_every)
            try:
                while True:
                    try:
                        outcome = await _take(run.receive_out)
                    except anyio.EndOfStream:
                        break
                    run.completed(outcome)
                    run.progress()
                    yield outcome
                tg.cancel_scope.cancel()  # every worker is done; stop renewing
            except GeneratorExit:
                # Closed early (aclose): stop the workers and leave the task group quietly,
                # so the generator closes instead of raising an exception group.
                tg.cancel_scope.cancel()
    except BaseExceptionGroup as group:
        # Share failures are outcomes, so what fails the run is the caller's own code (the
        # recipient iterable, on_progress) or the journal: raise that exception as itself.
        failure = _one_failure(group)
        if failure is not None:
            raise failure from None
        raise
    finally:
        await recipients.aclose()
        with anyio.CancelScope(shield=True):
            with anyio.move_on_after(_TEARDOWN_SECONDS):
                await run.give_back()
            await store.aclose()
        if on_abandoned is not None or run.listeners:
            for outcome in run.abandoned():
                run.completed(outcome)
                if on_abandoned is not None:
                    on_abandoned(outcome)
        run.receive_out.close()
