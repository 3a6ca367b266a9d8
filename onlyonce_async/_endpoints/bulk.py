"""
Concurrent bulk card sharing that stays exactly-once when responses are lost.

A ``POST /requests`` whose response never arrives (a dropped connection, a read timeout, a
500/502/504) may or may not have created the share request. Sending it again could give the
recipient two requests, so before any resend the request is looked up
(``GET /profiles/{sender}/requests?type=OUTGOING&targetId=…&cardId=…``): found, it is the
outcome (*reconciled*); not found, the share is sent again. A 2xx whose body cannot be read
created the request: it is looked up too, and never sent again. Connect errors, 429 and 503
are plain retries inside `Client.request`, since nothing was created.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncGenerator, AsyncIterable, Callable, Iterable
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

import anyio
import attrs
from anyio.abc import ObjectReceiveStream, ObjectSendStream

from .._args import uuid_arg

if sys.version_info < (3, 11):  # pragma: no cover - exercised on Python 3.10 only
    from exceptiongroup import BaseExceptionGroup
from .._errors import DecodeError, OnlyOnceError, WrongRequestStatusError
from .._retry import outcome_unknown

if TYPE_CHECKING:
    from .network import NetworkAPI, ShareRequest

__all__ = ["BulkShareReport", "InvalidRecipientError", "ShareOutcome", "share_many"]

#: How many times one recipient's share is sent at most (each send is itself retried by
#: the client for connect errors, 429 and 503).
MAX_SENDS = 3
#: How many times a lookup after a lost response is tried before the outcome is a failure.
LOOKUP_TRIES = 3

#: Called as ``on_progress(done, total)``; a plain function (it is not awaited).
ProgressCallback = Callable[[int, "int | None"], None]


class InvalidRecipientError(OnlyOnceError, ValueError):
    """
    A recipient id in the input that is not a UUID; reported as that recipient's outcome.
    """


@attrs.frozen(kw_only=True)
class ShareOutcome:
    """
    What happened to one distinct recipient of a bulk share.

    Attributes:
        recipient_id: The recipient (the input string when it was not a UUID).
        request: The share request the recipient has, or ``None`` on failure.
        error: Why it failed, or ``None`` on success.
        attempts: How many times ``POST /requests`` was sent for this recipient.
        reconciled: Whether the request was found by looking it up after a lost response.
    """

    recipient_id: uuid.UUID | str
    request: ShareRequest | None = None
    error: OnlyOnceError | None = None
    attempts: int = 0
    reconciled: bool = False

    @property
    def ok(self) -> bool:
        """Whether the recipient has the share request."""
        return self.error is None and self.request is not None


@attrs.define(kw_only=True)
class BulkShareReport:
    """
    The outcomes of `NetworkAPI.share_all`, split by success.

    It fills in as outcomes complete: pass your own to ``share_all(report=...)`` to keep what
    finished when the run is cancelled.
    """

    succeeded: list[ShareOutcome] = attrs.field(factory=list)
    failed: list[ShareOutcome] = attrs.field(factory=list)

    def add(self, outcome: ShareOutcome) -> None:
        """File one outcome under succeeded or failed."""
        (self.succeeded if outcome.ok else self.failed).append(outcome)

    @property
    def total(self) -> int:
        """Outcomes recorded so far."""
        return len(self.succeeded) + len(self.failed)

    @property
    def retried(self) -> int:
        """Recipients whose share was sent more than once."""
        return sum(1 for o in (*self.succeeded, *self.failed) if o.attempts > 1)

    @property
    def reconciled(self) -> int:
        """Recipients whose request was found by lookup after a lost response."""
        return sum(1 for o in self.succeeded if o.reconciled)


async def _iterate(recipient_ids: Iterable[Any] | AsyncIterable[Any]) -> AsyncGenerator[Any, None]:
    if not isinstance(recipient_ids, AsyncIterable):
        for item in recipient_ids:
            yield item
        return
    iterator = aiter(recipient_ids)
    try:
        async for item in iterator:
            yield item
    finally:
        # A run that stops early closes the input it was reading (e.g. a file reader's
        # async generator) rather than leaving it to the garbage collector.
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            with anyio.CancelScope(shield=True):
                await aclose()


def _total(recipient_ids: object) -> int | None:
    try:
        return len(recipient_ids)  # type: ignore[arg-type]
    except TypeError:
        return None


class _Sharer:
    """Shares one card from one sender; one call of `share_one` per recipient."""

    def __init__(self, network: NetworkAPI, card_id: uuid.UUID, sender_id: uuid.UUID) -> None:
        self._network = network
        self._policy = network._client.retry_policy
        self._card_id = card_id
        self._sender_id = sender_id

    async def _lookup(self, recipient_id: uuid.UUID) -> ShareRequest | None:
        # A pending request is one the recipient already has (whoever sent it, a second one
        # would be a duplicate); an accepted one may be ours, accepted before we looked.
        found = self._network.list_requests(
            self._sender_id,
            type="OUTGOING",
            target_id=recipient_id,
            card_id=self._card_id,
            statuses=["PENDING", "ACCEPTED"],
        )
        async for request in found:
            if request.recipient.id == recipient_id and request.card_id == self._card_id:
                return request
        return None

    async def _lookup_patiently(self, recipient_id: uuid.UUID) -> ShareRequest | None:
        # The lookup decides whether a resend is safe, so it gets more chances than a call.
        for attempt in range(LOOKUP_TRIES):
            try:
                return await self._lookup(recipient_id)
            except OnlyOnceError as error:
                if attempt + 1 >= LOOKUP_TRIES or not self._policy.should_retry("GET", error):
                    raise
                await anyio.sleep(self._policy.backoff(attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _found_or_failed(
        self, recipient_id: uuid.UUID, error: OnlyOnceError, attempts: int
    ) -> ShareOutcome:
        try:
            found = await self._lookup_patiently(recipient_id)
        except OnlyOnceError as lookup_error:
            return ShareOutcome(recipient_id=recipient_id, error=lookup_error, attempts=attempts)
        if found is None:
            return ShareOutcome(recipient_id=recipient_id, error=error, attempts=attempts)
        return ShareOutcome(
            recipient_id=recipient_id, request=found, attempts=attempts, reconciled=True
        )

    async def share_one(self, recipient: Any) -> ShareOutcome:
        try:
            recipient_id = uuid_arg(recipient, "recipient_id")
        except (TypeError, ValueError) as exc:
            text = recipient if isinstance(recipient, str) else repr(recipient)
            return ShareOutcome(recipient_id=text, error=InvalidRecipientError(str(exc)))

        def failed(error: OnlyOnceError) -> ShareOutcome:
            return ShareOutcome(recipient_id=recipient_id, error=error, attempts=attempts)

        attempts = 0
        maybe_sent = False  # an earlier send may have created the request
        while True:
            attempts += 1
            try:
                request = await self._network.share(
                    self._card_id, sender_id=self._sender_id, recipient_id=recipient_id
                )
            except OnlyOnceError as error:
                if isinstance(error, DecodeError):
                    # A 2xx the SDK could not read: the request was created. Reporting a
                    # failure would invite a second share; find it instead, never resend.
                    return await self._found_or_failed(recipient_id, error, attempts)
                if outcome_unknown(error) or (
                    maybe_sent and isinstance(error, WrongRequestStatusError)
                ):
                    maybe_sent = True
                    try:
                        found = await self._lookup_patiently(recipient_id)
                    except OnlyOnceError as lookup_error:
                        return failed(lookup_error)  # not known to be absent: never resend
                    if found is not None:
                        return ShareOutcome(
                            recipient_id=recipient_id,
                            request=found,
                            attempts=attempts,
                            reconciled=True,
                        )
                elif not self._policy.should_retry("POST", error):
                    return failed(error)
                if attempts >= MAX_SENDS:
                    return failed(error)
                await anyio.sleep(self._policy.backoff(attempts - 1))
                continue
            return ShareOutcome(recipient_id=recipient_id, request=request, attempts=attempts)


async def share_many(
    network: NetworkAPI,
    card_id: Any,
    *,
    sender_id: Any,
    recipient_ids: Iterable[Any] | AsyncIterable[Any],
    concurrency: int = 8,
    on_progress: ProgressCallback | None = None,
) -> AsyncGenerator[ShareOutcome, None]:
    """
    Share ``card_id`` with every recipient, yielding one `ShareOutcome` each as they complete.

    See `NetworkAPI.share_many`.
    """
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be a positive int, not {concurrency!r}")
    sharer = _Sharer(network, uuid_arg(card_id, "card_id"), uuid_arg(sender_id, "sender_id"))
    total = _total(recipient_ids)
    send_work, receive_work = anyio.create_memory_object_stream[Any](0)
    send_out, receive_out = anyio.create_memory_object_stream[ShareOutcome](concurrency)
    done = 0

    def progress() -> None:
        if on_progress is not None:
            on_progress(done, total)

    async def produce(send: ObjectSendStream[Any]) -> None:
        nonlocal done
        seen: set[Any] = set()
        async with send, aclosing(_iterate(recipient_ids)) as items:
            async for item in items:
                key = _dedup_key(item)
                if key in seen:
                    done += 1  # a duplicate is handled by the outcome of its first occurrence
                    progress()
                    continue
                seen.add(key)
                await send.send(item)

    async def work(receive: ObjectReceiveStream[Any], send: ObjectSendStream[ShareOutcome]) -> None:
        async with receive, send:
            async for item in receive:
                await send.send(await sharer.share_one(item))

    try:
        async with anyio.create_task_group() as tg, receive_out:
            tg.start_soon(produce, send_work)
            async with send_out, receive_work:
                for _ in range(concurrency):
                    tg.start_soon(work, receive_work.clone(), send_out.clone())
            try:
                async for outcome in receive_out:
                    done += 1
                    progress()
                    yield outcome
            except GeneratorExit:
                # Closed early (aclose): stop the workers and leave the task group quietly,
                # so the generator closes instead of raising an exception group.
                tg.cancel_scope.cancel()
    except BaseExceptionGroup as group:
        # Share failures are outcomes, so what fails the run is the caller's own code (the
        # recipient iterable, on_progress): raise that exception as itself.
        if len(group.exceptions) == 1 and isinstance(group.exceptions[0], Exception):
            raise group.exceptions[0] from None
        raise


def _dedup_key(item: Any) -> Any:
    """The same recipient given as a UUID, or its string in any case, is one recipient."""
    if isinstance(item, uuid.UUID):
        return item.int
    if isinstance(item, str):
        try:
            return uuid.UUID(item).int
        except ValueError:
            return item
    try:
        hash(item)
    except TypeError:
        return repr(item)
    return item
