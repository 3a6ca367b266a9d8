"""
Typed events: what the SDK does, delivered to the listeners registered on a `Client`.

Each kind of event is one frozen attrs class, emitted from one place. A listener is a plain
function taking an `Event`; it runs synchronously where the event happens, so it should be
quick (count, record, hand over). A listener that raises is logged and never breaks the
call. No event carries a secret: paths are given without their query, with the template
the endpoint built them from (``/profiles/{id}/cards``) beside them, and errors by their
class name only.

With no listener registered, nothing here runs: the client checks for listeners before it
builds an event (see `CallTrace`).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Final, TypeAlias

import anyio
import attrs
import httpx

from ._errors import APIError, OnlyOnceError, RequestTimeout, TransportError
from ._logging import logger, redact_url

__all__ = [
    "TRACE_EXTENSION",
    "AccessRenewed",
    "BulkProgress",
    "CallFinished",
    "CallStarted",
    "CallTrace",
    "Event",
    "Listener",
    "QuotaWaited",
    "RateLimited",
    "ReauthenticatedEvent",
    "ReconciliationLookup",
    "RequestFailed",
    "RequestSent",
    "ResponseReceived",
    "RetryScheduled",
    "ShareCompleted",
    "emit",
    "log_retry",
    "retry_reason",
    "retry_scheduled",
]

#: The request extension holding the `CallTrace` of the call a request belongs to.
TRACE_EXTENSION: Final = "onlyonce_async.trace"

_call_ids = itertools.count(1)


@attrs.frozen(kw_only=True)
class CallStarted:
    """
    An SDK call began (before the rate limiter).

    Attributes:
        call_id: Identifies the call across its events (unique in the process).
        method: The HTTP method.
        path: The path below ``base_url``, without query.
        template: The path's template (``/profiles/{id}/cards``); the path itself for a
            raw `Client.request` path.
        host: The server's host name.
        port: The server's port.
    """

    call_id: int
    method: str
    path: str
    template: str
    host: str
    port: int | None


@attrs.frozen(kw_only=True)
class CallFinished:
    """
    An SDK call ended, after every retry.

    Attributes:
        call_id: The call.
        status: The final HTTP status, or ``None`` when no response came back.
        error: The class name of the error the call raised, or ``None`` on success.
        attempts: How many attempts were sent.
        elapsed: Seconds from `CallStarted`, quota waits and backoff included.
    """

    call_id: int
    status: int | None
    error: str | None
    attempts: int
    elapsed: float


@attrs.frozen(kw_only=True)
class RequestSent:
    """
    An attempt is about to be sent (it may still wait for quota first).

    Attributes:
        call_id: The call.
        method: The HTTP method.
        path: The path, without query.
        template: The path's template.
        attempt: 0 for the first attempt, 1 for the first retry, ...
    """

    call_id: int
    method: str
    path: str
    template: str
    attempt: int


@attrs.frozen(kw_only=True)
class ResponseReceived:
    """
    An attempt got a response (any status).

    Attributes:
        call_id: The call.
        method: The HTTP method.
        path: The path, without query.
        template: The path's template.
        attempt: The attempt (0-based).
        status: The HTTP status code.
        elapsed: Seconds the attempt took, quota wait included.
    """

    call_id: int
    method: str
    path: str
    template: str
    attempt: int
    status: int
    elapsed: float


@attrs.frozen(kw_only=True)
class RequestFailed:
    """
    An attempt got no response (a transport failure or its timeout).

    Attributes:
        call_id: The call.
        attempt: The attempt (0-based).
        error: The error's class name (``TransportError``, ``RequestTimeout``...).
        elapsed: Seconds the attempt took.
    """

    call_id: int
    attempt: int
    error: str
    elapsed: float


@attrs.frozen(kw_only=True)
class RetryScheduled:
    """
    A failed attempt will be retried after ``delay`` seconds.

    Attributes:
        call_id: The call, or ``None`` for a bulk share's resend.
        method: The HTTP method.
        path: The path, without query.
        template: The path's template.
        attempt: The attempt that failed (0-based).
        reason: Why (``http_503``, ``http_429``, ``timeout``, ``connect_error``,
            ``transport_error``...).
        delay: Seconds before the next attempt (a 429's pause is in the limiter).
    """

    call_id: int | None
    method: str
    path: str
    template: str
    attempt: int
    reason: str
    delay: float


@attrs.frozen(kw_only=True)
class QuotaWaited:
    """
    An attempt waited for the rate limiter.

    Attributes:
        call_id: The call.
        attempt: The attempt (0-based).
        seconds: Seconds spent waiting for quota (0 when a slot was free).
    """

    call_id: int
    attempt: int
    seconds: float


@attrs.frozen(kw_only=True)
class RateLimited:
    """
    The server answered 429; every task sharing the limiter pauses.

    Attributes:
        call_id: The call.
        retry_after: The response's ``Retry-After`` in seconds, or ``None``.
        pause: The pause applied to the limiter, in seconds (0 without a limiter).
    """

    call_id: int
    retry_after: float | None
    pause: float


@attrs.frozen(kw_only=True)
class ReauthenticatedEvent:
    """
    A token was refused (401) and `BearerAuth` signed in again before replaying.

    Attributes:
        call_id: The call whose request was refused.
    """

    call_id: int


@attrs.frozen(kw_only=True)
class AccessRenewed:
    """
    A remembered profile's expired access was enabled again, and the call replayed.

    Attributes:
        call_id: The call that found the access expired.
        profile_id: The profile.
    """

    call_id: int
    profile_id: uuid.UUID


@attrs.frozen(kw_only=True)
class ReconciliationLookup:
    """
    A bulk share looked its request up (after a lost response, or a resumed claim).

    Attributes:
        card_id: The card shared.
        sender_id: The sending profile.
        recipient_id: The recipient.
        found: Whether the request was found (``None``: the lookup itself failed).
    """

    card_id: uuid.UUID
    sender_id: uuid.UUID
    recipient_id: uuid.UUID
    found: bool | None


@attrs.frozen(kw_only=True)
class ShareCompleted:
    """
    A bulk share yielded one recipient's outcome.

    Attributes:
        card_id: The card shared.
        sender_id: The sending profile.
        recipient_id: The recipient (the input string when it was not a UUID).
        outcome: ``ok`` (sent now), ``reconciled`` (found by lookup), ``skipped`` (shared
            before or by another worker), ``failed`` or ``unknown``.
        attempts: How many times ``POST /requests`` was sent for it in this run.
        error: The error's class name, or ``None``.
    """

    card_id: uuid.UUID
    sender_id: uuid.UUID
    recipient_id: uuid.UUID | str
    outcome: str
    attempts: int
    error: str | None


@attrs.frozen(kw_only=True)
class BulkProgress:
    """
    A bulk share advanced: ``done`` recipients handled of ``total``.

    Attributes:
        card_id: The card shared.
        sender_id: The sending profile.
        done: Recipients handled so far (duplicates of the input included).
        total: The input's length when it has one, else ``None``.
        eta: Estimated seconds until the rest is done at the client's quota, from the
            limiter's `stats` (one request per recipient); ``None`` without a total or an
            in-process limiter to read.
    """

    card_id: uuid.UUID
    sender_id: uuid.UUID
    done: int
    total: int | None
    eta: float | None = None


Event: TypeAlias = (
    CallStarted
    | CallFinished
    | RequestSent
    | ResponseReceived
    | RequestFailed
    | RetryScheduled
    | QuotaWaited
    | RateLimited
    | ReauthenticatedEvent
    | AccessRenewed
    | ReconciliationLookup
    | ShareCompleted
    | BulkProgress
)
#: A function called with every event (synchronously; it should return quickly).
Listener: TypeAlias = Callable[[Event], object]


def emit(listeners: Sequence[Listener], event: Event) -> None:
    """
    Deliver ``event`` to each listener; one that raises is logged and skipped.

    Args:
        listeners: The client's listeners.
        event: The event.
    """
    for listener in listeners:
        try:
            listener(event)
        except Exception:
            logger.exception(
                "event listener %r raised on %s (ignored)", listener, type(event).__name__
            )


def retry_reason(error: OnlyOnceError) -> str:
    """
    A short, stable reason for retrying after ``error`` (a metric label, a log word).

    Args:
        error: What the attempt ended with.

    Returns:
        ``http_<status>`` for an answer, ``timeout``, ``connect_error`` (nothing was sent)
        or ``transport_error``.
    """
    if isinstance(error, APIError):
        return f"http_{error.status_code}"
    if isinstance(error, RequestTimeout):
        return "timeout"
    if isinstance(error, TransportError) and isinstance(
        error.__cause__, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
    ):
        return "connect_error"
    return "transport_error" if isinstance(error, TransportError) else type(error).__name__


def log_retry(method: str, where: str, attempt: int, reason: str, delay: float) -> None:
    """
    The INFO line of one retry decision (``where`` is a path, never a query).

    Args:
        method: The HTTP method.
        where: The path retried (or a description without secrets).
        attempt: The attempt that failed (0-based).
        reason: `retry_reason` of its error.
        delay: Seconds before the next attempt.
    """
    if logger.isEnabledFor(logging.INFO):
        logger.info(
            "retrying %s %s after attempt %d: %s, in %.2f s", method, where, attempt, reason, delay
        )


class CallTrace:
    """
    The events of one call, made only when the client has listeners.

    Args:
        listeners: The client's listeners (at least one).
        method: The HTTP method.
        url: The resolved URL (its query is never put in an event).
        template: The path template, or ``None`` for a raw path.
        relative: The path as the caller gave it (below ``base_url``).
    """

    __slots__ = (
        "_attempt_start",
        "attempts",
        "call_id",
        "listeners",
        "method",
        "path",
        "start",
        "status",
        "template",
    )

    def __init__(
        self,
        listeners: Sequence[Listener],
        method: str,
        url: httpx.URL,
        template: str | None,
        relative: str,
    ) -> None:
        self.listeners = listeners
        self.call_id = next(_call_ids)
        self.method = method
        self.path = relative.split("?", 1)[0]
        self.template = template or self.path
        self.start = anyio.current_time()
        self._attempt_start = self.start
        self.attempts = 0
        self.status: int | None = None
        emit(
            listeners,
            CallStarted(
                call_id=self.call_id,
                method=method,
                path=self.path,
                template=self.template,
                host=url.host,
                port=url.port,
            ),
        )

    def emit(self, event: Event) -> None:
        """Deliver an event of this call."""
        emit(self.listeners, event)

    def sent(self, attempt: int) -> None:
        """An attempt leaves for the limiter and the network."""
        self.attempts = attempt + 1
        self._attempt_start = anyio.current_time()
        self.emit(
            RequestSent(
                call_id=self.call_id,
                method=self.method,
                path=self.path,
                template=self.template,
                attempt=attempt,
            )
        )

    def received(self, attempt: int, status: int) -> None:
        """An attempt got a response."""
        self.status = status
        self.emit(
            ResponseReceived(
                call_id=self.call_id,
                method=self.method,
                path=self.path,
                template=self.template,
                attempt=attempt,
                status=status,
                elapsed=anyio.current_time() - self._attempt_start,
            )
        )

    def failed(self, attempt: int, error: BaseException) -> None:
        """An attempt got no response."""
        self.emit(
            RequestFailed(
                call_id=self.call_id,
                attempt=attempt,
                error=type(error).__name__,
                elapsed=anyio.current_time() - self._attempt_start,
            )
        )

    def quota_waited(self, seconds: float) -> None:
        """The current attempt waited ``seconds`` for the rate limiter."""
        self.emit(
            QuotaWaited(call_id=self.call_id, attempt=max(self.attempts - 1, 0), seconds=seconds)
        )

    @contextlib.contextmanager
    def failing(self, attempt: int) -> Iterator[None]:
        """Around an attempt: one ending without a response emits `RequestFailed`."""
        try:
            yield
        except TransportError as error:
            self.failed(attempt, error)
            raise

    def retry(self, url: httpx.URL, attempt: int, error: OnlyOnceError, delay: float) -> None:
        """A retry of this call is scheduled (see `retry_scheduled`)."""
        retry_scheduled(
            self.listeners,
            self.call_id,
            self.method,
            redact_url(url),
            self.path,
            self.template,
            attempt,
            error,
            delay,
        )

    def finished(self, error: BaseException | None) -> None:
        """The call ended."""
        self.emit(
            CallFinished(
                call_id=self.call_id,
                status=self.status,
                error=None if error is None else type(error).__name__,
                attempts=self.attempts,
                elapsed=anyio.current_time() - self.start,
            )
        )


def retry_scheduled(
    listeners: Sequence[Listener],
    call_id: int | None,
    method: str,
    where: str,
    path: str,
    template: str,
    attempt: int,
    error: OnlyOnceError,
    delay: float,
) -> None:
    """
    Record one retry decision: the INFO log line and, with listeners, `RetryScheduled`.

    The one place both happen, whoever retries (the client's loop, a bulk share's resend).

    Args:
        listeners: The client's listeners (none: only the log line).
        call_id: The call retried, or ``None`` for a bulk share's resend.
        method: The HTTP method.
        where: The URL for the log line, redacted (`redact_url`).
        path: The path, without query.
        template: The path's template.
        attempt: The attempt that failed (0-based).
        error: What it ended with.
        delay: Seconds before the next attempt.
    """
    reason = retry_reason(error)
    log_retry(method, where, attempt, reason, delay)
    if listeners:
        emit(
            listeners,
            RetryScheduled(
                call_id=call_id,
                method=method,
                path=path,
                template=template,
                attempt=attempt,
                reason=reason,
                delay=delay,
            ),
        )
