"""
Response size cap: peak memory of one GET answered by a gzip bomb, capped vs uncapped.

The bomb is 128 MiB of zeros gzip-compressed to about 128 KiB, streamed in chunks. With
``max_response_size=None`` the SDK inflates and holds all of it; with the default cap
(16 MiB) it stops at the cap and raises `ResponseTooLargeError`. Peak memory is measured
with ``tracemalloc`` in this process, runs interleaved, medians of five.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator

import httpx

from onlyonce_async import Client, DecodeError, ResponseTooLargeError

from ._report import table

INFLATED_MIB = 128
BLOCK = 1024 * 1024
RUNS = 5


class _Bomb(httpx.AsyncByteStream):
    def __init__(self) -> None:
        self._compressor = zlib.compressobj(wbits=31)
        self._left = INFLATED_MIB

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        if self._left == 0:
            raise StopAsyncIteration
        self._left -= 1
        chunk = self._compressor.compress(b"\0" * BLOCK)
        if self._left == 0:
            chunk += self._compressor.flush()
        return chunk


def _respond(request: httpx.Request) -> httpx.Response:
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    return httpx.Response(200, headers=headers, stream=_Bomb())


async def _one(cap: int | None) -> tuple[float, float, str]:
    """Peak MiB, seconds and outcome of one GET answered by the bomb."""
    client = Client(
        transport=httpx.MockTransport(_respond), rate_limiter=None, max_response_size=cap
    )
    tracemalloc.start()
    started = time.perf_counter()
    try:
        async with client:
            await client.get("x")
        outcome = "decoded"
    except ResponseTooLargeError:
        outcome = "ResponseTooLargeError"
    except DecodeError:  # the uncapped body is read whole; zeros are not JSON
        outcome = "DecodeError"
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / BLOCK, elapsed, outcome


async def main() -> str:
    """Run capped and uncapped reads interleaved; return the table."""
    results: dict[str, list[tuple[float, float, str]]] = {"16 MiB (default)": [], "None": []}
    for _ in range(RUNS):
        results["16 MiB (default)"].append(await _one(16 * BLOCK))
        results["None"].append(await _one(None))
    rows = [
        (
            cap,
            statistics.median(r[0] for r in runs),
            statistics.median(r[1] for r in runs),
            runs[0][2],
        )
        for cap, runs in results.items()
    ]
    return table(
        f"Response size cap: a gzip body inflating to {INFLATED_MIB} MiB (medians of {RUNS})",
        ["max_response_size", "peak MiB", "seconds", "outcome"],
        rows,
    )
