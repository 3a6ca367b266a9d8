"""
One timing run for ``benchmarks/observability.py``, in a process of its own.

``python _observability_worker.py MODE CALLS`` with the code to measure first on
``PYTHONPATH`` (this branch's, or another branch's unpacked from git); prints microseconds
per call, in CPU time of this process (other processes on a busy machine do not count),
of the fastest of ten batches.
Modes: ``plain`` (no listener), ``listener`` (one that does nothing), ``otel`` (the
OpenTelemetry listener on SDK providers with nothing exported).
"""

from __future__ import annotations

import sys
import time

import anyio
import httpx

WARMUP = 300
BATCHES = 10


def _answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"node": "n1", "since": "2024-01-01T00:00:00Z"})


async def run(mode: str, calls: int) -> float:
    """Microseconds per ``client.get`` against an in-memory transport."""
    from onlyonce_async import Client, SlidingWindowRateLimiter

    client = Client(
        base_url="https://api.example.test/v2/",
        transport=httpx.MockTransport(_answer),
        # A limiter on the path, as by default, with a quota that never makes a call wait.
        rate_limiter=SlidingWindowRateLimiter(10**9, 60.0),
    )
    if mode == "listener":
        client.add_listener(lambda event: None)
    elif mode == "otel":
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.trace import TracerProvider

        from onlyonce_async.otel import instrument

        instrument(client, tracer_provider=TracerProvider(), meter_provider=MeterProvider())
    async with client:
        for _ in range(WARMUP):
            await client.get("/heartbeat")
        batch = max(1, calls // BATCHES)
        best = float("inf")
        for _ in range(BATCHES):
            start = time.process_time()
            for _ in range(batch):
                await client.get("/heartbeat")
            best = min(best, (time.process_time() - start) / batch * 1e6)
        return best


if __name__ == "__main__":
    print(f"{anyio.run(run, sys.argv[1], int(sys.argv[2])):.3f}")
