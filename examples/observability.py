"""
Observing the SDK: OpenTelemetry spans and metrics, typed events and quota stats of a bulk job.

Starts the embedded sandbox in-process with seeded faults (503s and responses dropped after
the share was committed) and a scaled quota, shares a card with 30 recipients, and records
everything with the OpenTelemetry SDK's in-memory span exporter and metric reader. It then
prints the spans (one per SDK call, a child per attempt), the metrics (requests by status,
retries by reason, quota waits, shares by outcome, bulk progress), the typed events a plain
listener counted, and the limiter's stats. In production, give `instrument` your own
tracer and meter providers (OTLP exporters, say) instead.

Run: ``python examples/observability.py`` (needs ``pip install 'onlyonce-async[testing,otel]'``
and ``opentelemetry-sdk``).
"""

from __future__ import annotations

import uuid
from collections import Counter

import anyio
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, NumberDataPoint
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from onlyonce_async import Event, RetryPolicy, SlidingWindowRateLimiter
from onlyonce_async.otel import instrument
from onlyonce_async.testing import Sandbox

RECIPIENTS = 30
QUOTA = (20, 1.0)  # the sandbox's quota, scaled: 20 requests per second


async def main() -> None:
    """Run the job, then print what was observed."""
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    counts: Counter[str] = Counter()

    def count(event: Event) -> None:
        counts[type(event).__name__] += 1

    sandbox = Sandbox(rate_limit=QUOTA, seed=7)
    limiter = SlidingWindowRateLimiter(*QUOTA)
    retries = RetryPolicy(initial=0.01, maximum=0.05)
    async with sandbox.client(
        rate_limiter=limiter, retry_policy=retries, listeners=[count]
    ) as client:
        instrument(client, tracer_provider=tracer_provider, meter_provider=meter_provider)
        owner = sandbox.create_user(
            email="owner@example.com", password="owner-password", pass_phrase="phrase"
        )
        await client.account.sign_in(owner.email, "owner-password")
        await client.profiles.enable_access(owner.profile_id, "phrase")
        fields = await client.datastore.get(owner.profile_id)
        card = await client.cards.create(
            owner.profile_id, name="contact", fields=[f.id for f in fields if f.id]
        )
        people: list[uuid.UUID] = [
            sandbox.create_user(
                email=f"r{n}@example.com", password="pw", pass_phrase="p"
            ).profile_id
            for n in range(RECIPIENTS)
        ]
        sandbox.faults(error_rate=0.1, statuses=(503,), drop_after_commit=0.1, seed=7)
        report = await client.network.share_all(
            card, sender_id=owner.profile_id, recipient_ids=people
        )
        stats = limiter.stats()

    print(f"shared: {len(report.succeeded)} ok, {len(report.failed)} failed")
    print("\nspans (SDK calls with their attempts):")
    finished = sorted(spans.get_finished_spans(), key=lambda span: span.start_time or 0)
    for span in finished[:12]:
        attributes = dict(span.attributes or {})
        detail = ", ".join(
            f"{key}={attributes[key]}"
            for key in (
                "onlyonce.attempt",
                "http.response.status_code",
                "onlyonce.retry.reason",
                "error.type",
            )
            if key in attributes
        )
        parent = "  " if span.parent is not None else ""
        print(f"  {parent}{span.kind.name:<8} {span.name}  {detail}")
    print(f"  ... {len(finished)} spans in all")
    print("\nmetrics:")
    data = reader.get_metrics_data()
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    if isinstance(point, NumberDataPoint):
                        value = str(point.value)
                    else:  # a histogram
                        value = f"count={point.count} sum={point.sum:.3f}"
                    print(f"  {metric.name} {dict(point.attributes or {})} {value}")
    print("\nevents seen by a plain listener:")
    for name, number in sorted(counts.items()):
        print(f"  {name:<22} {number}")
    print(f"\nlimiter stats at the end: {stats}")


if __name__ == "__main__":
    anyio.run(main)
