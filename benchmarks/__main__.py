"""
``python -m benchmarks [--quick] [name ...]``: run the benchmarks and print their tables.

``--quick`` runs the benchmarks that have small sizes (``journal``, ``sdk``, ``throughput``)
with them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable, Callable

import anyio

from . import (
    decode,
    import_time,
    journal,
    limiter_efficiency,
    memory,
    observability,
    redis_limiter,
    redis_quota,
    response_cap,
    sdk_overhead,
    throughput,
)

BENCHMARKS: dict[str, Callable[[], Awaitable[str]]] = {
    "sdk": sdk_overhead.main,
    "redis-limiter": redis_limiter.main,
    "limiter": limiter_efficiency.main,
    "memory": memory.main,
    "throughput": throughput.main,
    "redis": redis_quota.main,
    "import": import_time.main,
    "response-cap": response_cap.main,
    "journal": journal.main,
    "observability": observability.main,
    "decode": decode.main,
}


def main(names: list[str]) -> int:
    if "--quick" in names:
        names = [n for n in names if n != "--quick"]
        os.environ["ONLYONCE_BENCH_QUICK"] = "1"
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
        return 2
    for name in names or list(BENCHMARKS):
        print(anyio.run(BENCHMARKS[name], backend="asyncio"), end="\n\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
