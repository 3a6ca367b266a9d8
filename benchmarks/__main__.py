"""
``python -m benchmarks [name ...]``: run the benchmarks and print their tables.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable

import anyio

from . import import_time, limiter_efficiency, memory, redis_quota, response_cap, throughput

BENCHMARKS: dict[str, Callable[[], Awaitable[str]]] = {
    "limiter": limiter_efficiency.main,
    "memory": memory.main,
    "throughput": throughput.main,
    "redis": redis_quota.main,
    "import": import_time.main,
    "response-cap": response_cap.main,
}


def main(names: list[str]) -> int:
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
        return 2
    for name in names or list(BENCHMARKS):
        print(anyio.run(BENCHMARKS[name], backend="asyncio"), end="\n\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
