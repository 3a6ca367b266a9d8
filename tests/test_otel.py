"""
OpenTelemetry: spans and metrics checked with the SDK's in-memory exporter and reader.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

import onlyonce_async as oo
from onlyonce_async.otel import OpenTelemetryListener, instrument
from onlyonce_async.testing import Sandbox
from tests._support.helpers import FAST_RETRIES

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parent.parent


class Telemetry:
    """In-memory providers: finished spans and collected metric points."""

    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    def instrument(self, client: oo.Client) -> OpenTelemetryListener:
        """Instrument ``client`` with these providers."""
        return instrument(
            client, tracer_provider=self.tracer_provider, meter_provider=self.meter_provider
        )

    def spans(self) -> tuple[ReadableSpan, ...]:
        """The spans ended so far."""
        return self.exporter.get_finished_spans()

    def points(self, name: str) -> list[tuple[dict[str, Any], Any]]:
        """``(attributes, point)`` of every data point of metric ``name``."""
        data = self.reader.get_metrics_data()
        found = []
        for resource in data.resource_metrics if data else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == name:
                        found += [(dict(p.attributes or {}), p) for p in metric.data.data_points]
        return found


async def test_call_span_with_one_child_per_attempt(sandbox: Sandbox) -> None:
    """A call retried twice is one INTERNAL span with three CLIENT children carrying the
    HTTP semantic-convention attributes, the attempt and the retry reason."""
    telemetry = Telemetry()
    async with sandbox.client(retry_policy=FAST_RETRIES, max_retries=2) as client:
        telemetry.instrument(client)
        sandbox.faults(error_rate=1.0, statuses=(503,), seed=1)
        with pytest.raises(oo.ServerError):
            await client.heartbeat()
    spans = telemetry.spans()
    (call,) = [s for s in spans if s.kind is SpanKind.INTERNAL]
    attempts = sorted(
        (s for s in spans if s.kind is SpanKind.CLIENT),
        key=lambda s: int(str((s.attributes or {})["onlyonce.attempt"])),
    )
    assert call.name == "GET /heartbeat"
    assert call.status.status_code is StatusCode.ERROR
    assert call.attributes is not None
    assert call.attributes["error.type"] == "ServerError"
    assert call.attributes["onlyonce.attempts"] == 3
    assert [e.name for e in call.events] == ["retry_scheduled", "retry_scheduled"]
    assert len(attempts) == 3
    for number, span in enumerate(attempts):
        assert span.parent is not None and span.parent.span_id == call.context.span_id
        assert span.attributes is not None
        assert span.attributes["http.request.method"] == "GET"
        assert span.attributes["url.template"] == "/heartbeat"
        assert span.attributes["http.response.status_code"] == 503
        assert span.attributes["error.type"] == "503"
        assert span.attributes["server.address"] == client.base_url.host
        assert span.attributes.get("http.request.resend_count") == (number or None)
        assert span.attributes.get("onlyonce.retry.reason") == ("http_503" if number else None)
    requests = telemetry.points("onlyonce.client.requests")
    assert [(a["http.response.status_code"], p.value) for a, p in requests] == [(503, 3)]
    retries = telemetry.points("onlyonce.client.retries")
    assert [(a["onlyonce.retry.reason"], p.value) for a, p in retries] == [("http_503", 2)]
    assert sum(p.count for _, p in telemetry.points("http.client.request.duration")) == 3


async def test_instrument_twice_is_a_no_op(sandbox: Sandbox) -> None:
    """A second `instrument` on the same client (or on a `with_options` client inheriting
    the listener) returns the listener already there: one heartbeat stays one INTERNAL
    span, one CLIENT span and one counted request."""
    telemetry = Telemetry()
    async with sandbox.client() as client:
        listener = telemetry.instrument(client)
        assert telemetry.instrument(client) is listener
        derived = client.with_options(max_retries=0)
        assert telemetry.instrument(derived) is listener
        assert client.listeners == (listener,)
        assert derived.listeners == (listener,)
        await client.heartbeat()
        await derived.heartbeat()
        client.remove_listener(listener)
        again = telemetry.instrument(client)
        assert again is not listener
        assert client.listeners == (again,)
    spans = telemetry.spans()
    assert len([s for s in spans if s.kind is SpanKind.INTERNAL]) == 2
    assert len([s for s in spans if s.kind is SpanKind.CLIENT]) == 2
    requests = telemetry.points("onlyonce.client.requests")
    assert [p.value for _, p in requests] == [2]


async def test_quota_wait_and_template_of_typed_calls(sandbox: Sandbox) -> None:
    """Typed calls name their span by template, and each attempt records its quota wait."""
    telemetry = Telemetry()
    limiter = oo.SlidingWindowRateLimiter(100, 60.0)
    async with sandbox.client(rate_limiter=limiter) as client:
        telemetry.instrument(client)
        user = sandbox.create_user(email="a@example.com", password="pw-a-1", pass_phrase="pp")
        await client.account.sign_in(user.email, "pw-a-1")
        await client.profiles.enable_access(user.profile_id, "pp")
        await client.cards.list(user.profile_id, scope="MINE")
    names = [s.name for s in telemetry.spans() if s.kind is SpanKind.INTERNAL]
    assert names == ["POST /signIn", "POST /profiles/{id}/access", "GET /profiles/{id}/cards"]
    client_spans = [s for s in telemetry.spans() if s.kind is SpanKind.CLIENT]
    assert all("onlyonce.quota_wait" in (s.attributes or {}) for s in client_spans)
    (histogram,) = telemetry.points("onlyonce.client.quota_wait")
    assert histogram[1].count == 3


async def test_bulk_metrics(sandbox: Sandbox) -> None:
    """Shares by outcome and the bulk progress gauges."""
    telemetry = Telemetry()
    async with sandbox.client() as client:
        telemetry.instrument(client)
        owner = sandbox.create_user(email="o@example.com", password="pw-o-1", pass_phrase="pp")
        await client.account.sign_in(owner.email, "pw-o-1")
        await client.profiles.enable_access(owner.profile_id, "pp")
        fields = await client.datastore.get(owner.profile_id)
        card = await client.cards.create(
            owner.profile_id, name="c", fields=[f.id for f in fields if f.id]
        )
        people = [
            sandbox.create_user(email=f"r{i}@example.com", password="pw", pass_phrase="p")
            for i in range(5)
        ]
        ids = [p.profile_id for p in people]
        await client.network.share_all(card, sender_id=owner.profile_id, recipient_ids=ids[:3])
        await client.network.share_all(card, sender_id=owner.profile_id, recipient_ids=ids)
    shares = {
        a["onlyonce.share.outcome"]: p.value for a, p in telemetry.points("onlyonce.bulk.shares")
    }
    assert shares == {"ok": 5, "skipped": 3}
    (done,) = telemetry.points("onlyonce.bulk.done")
    (total,) = telemetry.points("onlyonce.bulk.total")
    assert (done[1].value, total[1].value) == (5, 5)
    assert done[0] == {"onlyonce.card_id": str(card)}


def test_zero_cost_when_off() -> None:
    """Without `onlyonce_async.otel` imported, a client's calls never import opentelemetry."""
    code = (
        "import sys, anyio\n"
        "from onlyonce_async.testing import Sandbox\n"
        "async def main():\n"
        "    async with Sandbox(rate_limit=None).client() as c:\n"
        "        await c.heartbeat()\n"
        "anyio.run(main)\n"
        "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert result.stdout.strip() == "[]"
