"""
One recipient's share, exactly once when responses are lost.

A ``POST /requests`` whose response never arrives (a dropped connection, a read timeout, a
500/502/504) may or may not have created the share request. Sending it again could give the
recipient two requests, so before any resend the request is looked up
(``GET /profiles/{sender}/requests?type=OUTGOING&targetId=…&cardId=…``): found, it is the
outcome (*reconciled*); not found, the share is sent again. A 2xx whose body cannot be read
created the request: it is looked up too, and never sent again. Connect errors, 429 and 503
are plain retries inside `Client.request`, since nothing was created; a `RateLimitError` that
reaches the share (a wait over a minute) is waited out before the next send. When the lookup
itself fails, the outcome is *unknown* (`ShareOutcomeUnknownError`), never a plain failure:
the journal keeps it in flight and the next run looks it up first.
"""

from __future__ import annotations

import functools
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import attrs

from .._convert import structure
from .._errors import DecodeError, OnlyOnceError, RateLimitError, WrongRequestStatusError
from .._events import ReconciliationLookup, emit, retry_scheduled
from .._ratelimit import check_penalty
from .._retry import RetryHook, Retrying, first_attempt_then, outcome_unknown, retry_context
from .._wire import RequestType
from ._shares import ShareRequest, share_bodies
from ._sweep import SHARING

if TYPE_CHECKING:
    from .network import NetworkAPI

__all__ = ["InvalidRecipientError", "ShareOutcome", "ShareOutcomeUnknownError", "Sharer"]

logger = logging.getLogger("onlyonce_async")

#: How many times one recipient's share is sent at most (each send is itself retried by
#: the client for connect errors, 429 and 503).
MAX_SENDS = 3
#: How many times a lookup after a lost response is tried before the outcome is unknown.
LOOKUP_TRIES = 3
_LOOKUP_TEMPLATE = "/profiles/{id}/requests"


class InvalidRecipientError(OnlyOnceError, ValueError):
    """
    A recipient id in the input that is not a UUID; reported as that recipient's outcome.
    """


class ShareOutcomeUnknownError(OnlyOnceError):
    """
    Whether the recipient has the share request could not be found out (its ``__cause__`` says
    why: a failed lookup, a cancelled run, a lost claim). Never resend it blindly: a journal
    keeps it in flight, and the next run looks it up before any send.
    """


def _request_id(outcome: ShareOutcome) -> uuid.UUID | None:
    return None if outcome._request is None else outcome._request.id


@attrs.frozen(kw_only=True)
class ShareOutcome:
    """
    What happened to one distinct recipient of a bulk share.

    Attributes:
        recipient_id: The recipient (the input string when it was not a UUID).
        request: The share request this run sent or found by lookup, else ``None`` (one
            this run sent is decoded from its answer when first read: see the property).
        error: Why it failed or is unknown, or ``None`` on success.
        attempts: How many times ``POST /requests`` was sent for this recipient in this run.
        reconciled: Whether the request was found by looking it up after a lost response
            (or after an earlier run or a dead worker left it in flight).
        skipped: Not sent by this worker in this run: recorded as succeeded in the journal,
            found by the sweep of existing requests, found in flight from an earlier run, or
            shared by another worker. A skipped outcome is `ok`.
        unknown: Whether the share's outcome could not be determined (`error` is a
            `ShareOutcomeUnknownError`); a journal keeps it in flight for the next run.
        request_id: The share request's id when the recipient has one (also when only the
            id is known, as for a share recorded in the journal by an earlier run).

    Outcomes compare by their fields other than `request` (its id is `request_id`).
    """

    recipient_id: uuid.UUID | str
    _request: ShareRequest | None = attrs.field(default=None, alias="request", eq=False, repr=False)
    error: OnlyOnceError | None = None
    attempts: int = 0
    reconciled: bool = False
    skipped: bool = False
    unknown: bool = False
    request_id: uuid.UUID | None = attrs.field(default=attrs.Factory(_request_id, takes_self=True))
    # The body of the answer to this run's send, until `request` first decodes it (a
    # constructor argument, so attrs.evolve and copies keep it).
    _answer: bytes | None = attrs.field(default=None, alias="_answer", eq=False, repr=False)

    @classmethod
    def _sent(
        cls, recipient_id: uuid.UUID, request_id: uuid.UUID, answer: bytes, attempts: int
    ) -> ShareOutcome:
        """The outcome of a share this run sent, its answer's body decoded when first read."""
        return cls(
            recipient_id=recipient_id, request_id=request_id, attempts=attempts, _answer=answer
        )

    @property
    def request(self) -> ShareRequest | None:
        """
        The share request this run sent or found by lookup, else ``None``.

        A request this run sent is decoded from its answer when first read (most runs need
        only `request_id`). An answer already checked to be this share (its id, card and
        recipient) but not a valid `ShareRequest` otherwise gives ``None`` and a WARNING
        on the ``onlyonce_async`` logger: the request exists all the same (`request_id`).
        """
        if self._answer is not None:
            answer = self._answer
            object.__setattr__(self, "_answer", None)
            try:
                request = structure(json.loads(answer), ShareRequest)
            except DecodeError as exc:
                logger.warning(
                    "the answer to the share %s (to %s) is not a valid ShareRequest: %s",
                    self.request_id,
                    self.recipient_id,
                    exc,
                )
            else:
                object.__setattr__(self, "_request", request)
        return self._request

    @property
    def ok(self) -> bool:
        """Whether the recipient has the share request."""
        return (
            self.error is None
            and not self.unknown
            and (self._request is not None or self.request_id is not None)
        )


def unknown_outcome(recipient_id: uuid.UUID, why: str, attempts: int) -> ShareOutcome:
    """
    An outcome that could not be determined, raised from the current exception if any.
    """
    error = ShareOutcomeUnknownError(f"the share to {recipient_id} may or may not exist: {why}")
    return ShareOutcome(recipient_id=recipient_id, error=error, attempts=attempts, unknown=True)


class Sharer:
    """Shares one card from one sender; one call of `share` per claimed recipient."""

    def __init__(self, network: NetworkAPI, card_id: uuid.UUID, sender_id: uuid.UUID) -> None:
        self._network = network
        self._policy = network._client.retry_policy
        self._card_id = card_id
        self._sender_id = sender_id
        # Recipients in progress that an earlier send may have created a request for.
        self._maybe_sent: set[uuid.UUID] = set()
        self._on_send_retry = self._on_retry("POST", "/requests")  # made once, not per share
        self._body = share_bodies(card_id, sender_id)
        # The wait between sends or lookups: it may last a long pause, so `aclose` ends it.
        self._sleep = functools.partial(network._client._sleep_between_attempts, None)

    async def _lookup(self, recipient_id: uuid.UUID) -> ShareRequest | None:
        # A pending request is one the recipient already has (whoever sent it, a second one
        # would be a duplicate); an accepted one may be ours, accepted before we looked.
        found = self._network.list_requests(
            self._sender_id,
            type=RequestType.OUTGOING,
            target_id=recipient_id,
            card_id=self._card_id,
            statuses=SHARING,
        )
        async for request in found:
            if request.recipient.id == recipient_id and request.card_id == self._card_id:
                return request
        return None

    async def _lookup_patiently(self, recipient_id: uuid.UUID) -> ShareRequest | None:
        # The lookup decides whether a resend is safe, so it gets more chances than a call.
        retrying = self._policy.retry_context(
            "GET",
            retries=LOOKUP_TRIES - 1,
            wait=self._wait,
            sleep=self._sleep,
            on_retry=self._on_retry("GET", _LOOKUP_TEMPLATE),
        )
        async for attempt in retrying:
            with attempt:
                return await self._lookup(recipient_id)
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, retries: int, error: OnlyOnceError) -> float:
        """
        The wait before the next send or lookup of a bulk share's own loops.

        A `RateLimitError` means nothing was sent and the server (or the limiter it paused)
        said how long to wait: that whole wait (`check_penalty` bounds only absurd values),
        so a long pause is waited out rather than spending the recipient's sends and filing
        it failed. Anything else: the policy's backoff (a call already honoured a shorter
        ``Retry-After`` inside its own retries).

        Args:
            retries: The number of retries already made (0 before the first).
            error: What the send or lookup ended with.

        Returns:
            Seconds to wait.
        """
        backoff = self._policy.backoff(retries)
        if isinstance(error, RateLimitError) and error.retry_after is not None:
            return max(check_penalty(error.retry_after), backoff)
        return backoff

    async def _look_up(
        self, recipient_id: uuid.UUID, attempts: int
    ) -> ShareOutcome | ShareRequest | None:
        """The request found, ``None`` when absent, or an unknown outcome if the lookup failed."""
        try:
            found = await self._lookup_patiently(recipient_id)
        except OnlyOnceError as lookup_error:
            self._looked_up(recipient_id, None)
            outcome = unknown_outcome(recipient_id, f"the lookup failed ({lookup_error})", attempts)
            assert outcome.error is not None
            outcome.error.__cause__ = lookup_error
            return outcome
        self._looked_up(recipient_id, found is not None)
        return found

    def _looked_up(self, recipient_id: uuid.UUID, found: bool | None) -> None:
        listeners = self._network._client.listeners
        if listeners:
            emit(
                listeners,
                ReconciliationLookup(
                    card_id=self._card_id,
                    sender_id=self._sender_id,
                    recipient_id=recipient_id,
                    found=found,
                ),
            )

    def _on_retry(self, method: str, template: str) -> RetryHook:
        """The retry hook of a bulk share's own loops: the INFO line and `RetryScheduled`."""

        def on_retry(retries: int, error: OnlyOnceError, delay: float) -> None:
            retry_scheduled(
                self._network._client.listeners,
                None,
                method,
                f"{template} (bulk share of card {self._card_id})",
                template,
                template,
                retries,
                error,
                delay,
            )

        return on_retry

    async def share(
        self,
        recipient_id: uuid.UUID,
        *,
        resumed: bool,
        may_send: Callable[[], Awaitable[bool]],
    ) -> ShareOutcome:
        """
        Share with one claimed recipient; never raises an `OnlyOnceError`.

        Args:
            recipient_id: The recipient.
            resumed: An earlier run or a dead worker may have sent it: look it up first.
            may_send: Awaited before each send; ``False`` (the claim was lost, or its lease
                ran out and another worker holds it) stops with an unknown outcome.

        Returns:
            The recipient's outcome: ok, failed (nothing was created) or unknown.
        """
        if resumed:
            found = await self._look_up(recipient_id, 0)
            if isinstance(found, ShareOutcome):
                return found
            if found is not None:
                return ShareOutcome(
                    recipient_id=recipient_id, request=found, reconciled=True, skipped=True
                )

        made = 0  # sends attempted

        async def attempt(number: int) -> ShareOutcome:
            nonlocal made
            try:
                held = await may_send()
            except OnlyOnceError as error:  # the journal failed: nothing sent, no retry
                failed = ShareOutcome(recipient_id=recipient_id, error=error, attempts=number)
                raise _NotRetried(failed) from error
            if not held:
                why = "another worker took the claim over"
                return unknown_outcome(recipient_id, why, number - 1)
            made = number
            return await self._send(recipient_id, number)

        try:
            return await first_attempt_then(attempt, self._sends)
        except _NotRetried as stop:
            return stop.outcome
        except OnlyOnceError as error:
            return ShareOutcome(recipient_id=recipient_id, error=error, attempts=made)
        finally:
            self._maybe_sent.discard(recipient_id)

    def _sends(self) -> Retrying:
        """The loop of one recipient's sends, made only once its first send failed."""
        return retry_context(
            attempts=MAX_SENDS,
            retry_on=_always,
            wait=self._wait,
            sleep=self._sleep,
            on_retry=self._on_send_retry,
        )

    async def _send(self, recipient_id: uuid.UUID, attempts: int) -> ShareOutcome:
        """
        One ``POST /requests``; after an unknown outcome, the lookup that decides.

        Returns:
            The outcome when it is settled (sent, found, or not to be resent).

        Raises:
            OnlyOnceError: Send again (nothing was created, or the lookup found nothing).
            _NotRetried: The outcome, not to be retried.
        """
        try:
            request_id, answer = await self._network._share_unread(
                self._body(recipient_id), self._card_id, recipient_id
            )
        except OnlyOnceError as error:
            outcome = await self._after_failure(recipient_id, error, attempts)
            if outcome is not None:
                raise _NotRetried(outcome) from error
            raise
        return ShareOutcome._sent(recipient_id, request_id, answer, attempts)

    async def _after_failure(
        self, recipient_id: uuid.UUID, error: OnlyOnceError, attempts: int
    ) -> ShareOutcome | None:
        """The outcome a failed send settles, or ``None`` to send again."""
        maybe_sent = recipient_id in self._maybe_sent
        if not (
            isinstance(error, DecodeError)
            or outcome_unknown(error)
            or (maybe_sent and isinstance(error, WrongRequestStatusError))
        ):
            if self._policy.should_retry("POST", error):
                return None
            return ShareOutcome(recipient_id=recipient_id, error=error, attempts=attempts)
        self._maybe_sent.add(recipient_id)  # this send may have created the request
        found = await self._look_up(recipient_id, attempts)
        if isinstance(found, ShareOutcome):
            return found  # not known to be absent: never resend
        if found is not None:
            return ShareOutcome(
                recipient_id=recipient_id, request=found, attempts=attempts, reconciled=True
            )
        if isinstance(error, DecodeError):
            # A 2xx the SDK could not read created the request, yet it is not found: never
            # resend, and let the next run look again.
            outcome = unknown_outcome(recipient_id, "created, but not found by lookup", attempts)
            assert outcome.error is not None
            outcome.error.__cause__ = error
            return outcome
        return None


def _always(error: OnlyOnceError) -> bool:
    """A share's own loop sends again after any error `_send` lets through."""
    return True


class _NotRetried(Exception):
    """A settled outcome leaving the send loop (not an `OnlyOnceError`: never retried)."""

    def __init__(self, outcome: ShareOutcome) -> None:
        super().__init__()
        self.outcome = outcome
