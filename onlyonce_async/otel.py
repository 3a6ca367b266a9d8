"""
OpenTelemetry traces and metrics of SDK calls (extra ``otel``: ``opentelemetry-api``).

`instrument` registers an `OpenTelemetryListener` on a client. It turns the SDK's typed
events into one span per SDK call (named ``{method} {template}``, e.g.
``GET /profiles/{id}/cards``) with a child ``CLIENT`` span per attempt, and into metrics.
Nothing here is imported unless you import this module: a client without it pays nothing.

Attributes follow the OpenTelemetry HTTP semantic conventions (``http.request.method``,
``http.response.status_code``, ``server.address``, ``server.port``, ``url.template``,
``http.request.resend_count``, ``error.type``), plus the SDK's own: ``onlyonce.attempt``,
``onlyonce.retry.reason`` (why this attempt is a retry), ``onlyonce.quota_wait`` (seconds
the attempt waited for the rate limiter). No query string, header or body is recorded.

Metrics (instrument names):

- ``http.client.request.duration`` (histogram, s): each attempt, by method, status and template.
- ``onlyonce.client.requests`` (counter): attempts by method, status (or error) and template.
- ``onlyonce.client.retries`` (counter): retries by ``onlyonce.retry.reason``.
- ``onlyonce.client.quota_wait`` (histogram, s): time attempts waited for quota.
- ``onlyonce.client.rate_limited`` (counter): 429 answers.
- ``onlyonce.bulk.shares`` (counter): bulk share outcomes by ``onlyonce.share.outcome``.
- ``onlyonce.bulk.done`` / ``onlyonce.bulk.total`` / ``onlyonce.bulk.eta`` (gauges): a bulk
  share's progress and its estimated seconds left (from the limiter's stats), by card.
"""

from __future__ import annotations

from typing import Any

try:
    from opentelemetry import metrics, trace
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import Span, SpanKind, Status, StatusCode, TracerProvider
except ImportError as exc:  # pragma: no cover - exercised without the extra only
    raise ImportError(
        "onlyonce_async.otel needs opentelemetry-api; install it with: "
        "pip install 'onlyonce-async[otel]'"
    ) from exc

from ._client import Client
from ._events import (
    BulkProgress,
    CallFinished,
    CallStarted,
    Event,
    QuotaWaited,
    RateLimited,
    RequestFailed,
    RequestSent,
    ResponseReceived,
    RetryScheduled,
    ShareCompleted,
)
from ._version import __version__

__all__ = ["OpenTelemetryListener", "instrument"]

_SCOPE = "onlyonce_async"


class _Call:
    """The spans of one SDK call in progress."""

    __slots__ = ("attempt", "base", "pending_reason", "quota_wait", "span")

    def __init__(self, span: Span, base: dict[str, Any]) -> None:
        self.span = span
        self.base = base
        self.attempt: Span | None = None
        self.pending_reason: str | None = None
        self.quota_wait = 0.0


class OpenTelemetryListener:
    """
    A listener turning SDK events into OpenTelemetry spans and metrics.

    Register it with `instrument` (or ``client.add_listener(listener)``); one listener may
    serve several clients.

    Args:
        tracer_provider: Where spans go; the global provider when ``None``.
        meter_provider: Where metrics go; the global provider when ``None``.
    """

    def __init__(
        self,
        *,
        tracer_provider: TracerProvider | None = None,
        meter_provider: MeterProvider | None = None,
    ) -> None:
        self._tracer = trace.get_tracer(_SCOPE, __version__, tracer_provider)
        meter = metrics.get_meter(_SCOPE, __version__, meter_provider)
        self._duration = meter.create_histogram(
            "http.client.request.duration", unit="s", description="Duration of each attempt"
        )
        self._requests = meter.create_counter(
            "onlyonce.client.requests", unit="{request}", description="Attempts sent"
        )
        self._retries = meter.create_counter(
            "onlyonce.client.retries", unit="{retry}", description="Retries by reason"
        )
        self._quota_wait = meter.create_histogram(
            "onlyonce.client.quota_wait", unit="s", description="Time waiting for quota"
        )
        self._limited = meter.create_counter(
            "onlyonce.client.rate_limited", unit="{response}", description="429 answers"
        )
        self._shares = meter.create_counter(
            "onlyonce.bulk.shares", unit="{share}", description="Bulk share outcomes"
        )
        self._done = meter.create_gauge(
            "onlyonce.bulk.done", unit="{recipient}", description="Recipients handled"
        )
        self._total = meter.create_gauge(
            "onlyonce.bulk.total", unit="{recipient}", description="Recipients in the input"
        )
        self._eta = meter.create_gauge(
            "onlyonce.bulk.eta", unit="s", description="Estimated seconds left at the quota"
        )
        self._calls: dict[int, _Call] = {}

    def __repr__(self) -> str:
        return f"<OpenTelemetryListener calls_in_progress={len(self._calls)}>"

    def __call__(self, event: Event) -> None:
        """
        Record one event.

        Args:
            event: An event of an instrumented client.
        """
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event)

    # -- spans ----------------------------------------------------------------------------

    def _started(self, event: CallStarted) -> None:
        base: dict[str, Any] = {
            "http.request.method": event.method,
            "url.template": event.template,
            "server.address": event.host,
        }
        if event.port is not None:
            base["server.port"] = event.port
        span = self._tracer.start_span(
            f"{event.method} {event.template}", kind=SpanKind.INTERNAL, attributes=base
        )
        self._calls[event.call_id] = _Call(span, base)

    def _sent(self, event: RequestSent) -> None:
        call = self._calls.get(event.call_id)
        if call is None:
            return
        attributes = dict(call.base)
        attributes["onlyonce.attempt"] = event.attempt
        if event.attempt:
            attributes["http.request.resend_count"] = event.attempt
        if call.pending_reason is not None:
            attributes["onlyonce.retry.reason"] = call.pending_reason
            call.pending_reason = None
        call.attempt = self._tracer.start_span(
            f"{event.method} {event.template}",
            kind=SpanKind.CLIENT,
            attributes=attributes,
            context=trace.set_span_in_context(call.span),
        )

    def _quota(self, event: QuotaWaited) -> None:
        self._quota_wait.record(event.seconds)
        call = self._calls.get(event.call_id)
        if call is not None:
            call.quota_wait += event.seconds
            if call.attempt is not None:
                call.attempt.set_attribute("onlyonce.quota_wait", event.seconds)

    def _received(self, event: ResponseReceived) -> None:
        attributes: dict[str, Any] = {
            "http.request.method": event.method,
            "http.response.status_code": event.status,
            "url.template": event.template,
        }
        self._duration.record(event.elapsed, attributes)
        self._requests.add(1, attributes)
        call = self._calls.get(event.call_id)
        if call is None or call.attempt is None:
            return
        call.attempt.set_attribute("http.response.status_code", event.status)
        if event.status >= 400:
            call.attempt.set_attribute("error.type", str(event.status))
            call.attempt.set_status(Status(StatusCode.ERROR))
        call.attempt.end()
        call.attempt = None

    def _failed(self, event: RequestFailed) -> None:
        call = self._calls.get(event.call_id)
        base = call.base if call is not None else {}
        attributes: dict[str, Any] = {**base, "error.type": event.error}
        attributes.pop("server.address", None)
        attributes.pop("server.port", None)
        self._duration.record(event.elapsed, attributes)
        self._requests.add(1, attributes)
        if call is None or call.attempt is None:
            return
        call.attempt.set_attribute("error.type", event.error)
        call.attempt.set_status(Status(StatusCode.ERROR, event.error))
        call.attempt.end()
        call.attempt = None

    def _retry(self, event: RetryScheduled) -> None:
        self._retries.add(1, {"onlyonce.retry.reason": event.reason})
        call = self._calls.get(event.call_id) if event.call_id is not None else None
        if call is not None:
            call.pending_reason = event.reason
            call.span.add_event(
                "retry_scheduled",
                {
                    "onlyonce.attempt": event.attempt,
                    "onlyonce.retry.reason": event.reason,
                    "onlyonce.retry.delay": event.delay,
                },
            )

    def _rate_limited(self, event: RateLimited) -> None:
        self._limited.add(1)
        call = self._calls.get(event.call_id)
        if call is not None:
            attributes: dict[str, Any] = {"onlyonce.pause": event.pause}
            if event.retry_after is not None:
                attributes["onlyonce.retry_after"] = event.retry_after
            call.span.add_event("rate_limited", attributes)

    def _finished(self, event: CallFinished) -> None:
        call = self._calls.pop(event.call_id, None)
        if call is None:
            return
        if call.attempt is not None:  # cancelled mid-attempt
            call.attempt.end()
        span = call.span
        span.set_attribute("onlyonce.attempts", event.attempts)
        span.set_attribute("onlyonce.quota_wait", call.quota_wait)
        if event.status is not None:
            span.set_attribute("http.response.status_code", event.status)
        if event.error is not None:
            span.set_attribute("error.type", event.error)
            span.set_status(Status(StatusCode.ERROR, event.error))
        span.end()

    # -- bulk -----------------------------------------------------------------------------

    def _share(self, event: ShareCompleted) -> None:
        self._shares.add(1, {"onlyonce.share.outcome": event.outcome})

    def _progress(self, event: BulkProgress) -> None:
        attributes = {"onlyonce.card_id": str(event.card_id)}
        self._done.set(event.done, attributes)
        if event.total is not None:
            self._total.set(event.total, attributes)
        if event.eta is not None:
            self._eta.set(event.eta, attributes)


_HANDLERS: dict[type[Any], Any] = {
    CallStarted: OpenTelemetryListener._started,
    RequestSent: OpenTelemetryListener._sent,
    QuotaWaited: OpenTelemetryListener._quota,
    ResponseReceived: OpenTelemetryListener._received,
    RequestFailed: OpenTelemetryListener._failed,
    RetryScheduled: OpenTelemetryListener._retry,
    RateLimited: OpenTelemetryListener._rate_limited,
    CallFinished: OpenTelemetryListener._finished,
    ShareCompleted: OpenTelemetryListener._share,
    BulkProgress: OpenTelemetryListener._progress,
}


def instrument(
    client: Client,
    *,
    tracer_provider: TracerProvider | None = None,
    meter_provider: MeterProvider | None = None,
) -> OpenTelemetryListener:
    """
    Turn on OpenTelemetry spans and metrics for ``client`` (and its later `with_options`
    clients).

    Instrumenting a client that already has an `OpenTelemetryListener` (from an earlier
    call, or inherited by a `with_options` client) is a no-op that returns that listener,
    so every SDK call keeps exactly one span and is counted once. The providers of such a
    call are not used: remove the listener first to switch providers.

    Args:
        client: The client to instrument.
        tracer_provider: Where spans go; the global provider when ``None``.
        meter_provider: Where metrics go; the global provider when ``None``.

    Returns:
        The listener registered (``client.remove_listener(listener)`` turns it off), or
        the one already registered.
    """
    for registered in client.listeners:
        if isinstance(registered, OpenTelemetryListener):
            return registered
    listener = OpenTelemetryListener(tracer_provider=tracer_provider, meter_provider=meter_provider)
    client.add_listener(listener)
    return listener
