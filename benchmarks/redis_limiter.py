"""
RedisRateLimiter cost and fairness: Redis round trips and commands per grant, grants per process.

Three runs on a throw-away redis-server, limiter calls only (no HTTP, so the figures are the
limiter's own):

- uncontended: one process, one task, a quota far above what it asks for;
- contended: 4 processes x 4 tasks asking as fast as they can for a 60-per-second quota;
- queued: the same 16 tasks for 8 slots per 0.25 s, so a queue always forms.

Round trips are the commands and pipelines the workers' Redis clients sent, counted in the
client (the start-up ``PING`` left out); commands are every command Redis ran, scripts'
included (``INFO commandstats``). Tasks ask until the stop time and then finish the wait
they are in, so no request is cut off.

Fairness is the grants each process got in the same time, all of it and after the first
window (whose free slots go to whoever asks first). With a quota larger than the tasks
asking, slots free in bursts and the tasks that ask again first take them (first come, first
served: a process with more CPU asks again sooner); with fewer slots than tasks a queue
forms, and FIFO by ticket gives each process an equal share.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

import anyio
from redis.asyncio import Redis

from ._report import table

CONTENDED = {"processes": 4, "tasks": 4, "limit": 60, "period": 1.0, "duration": 4.0}
QUEUED = {"processes": 4, "tasks": 4, "limit": 8, "period": 0.25, "duration": 4.0}
UNCONTENDED = {"processes": 1, "tasks": 1, "limit": 100_000, "period": 1.0, "duration": 1.0}
_IGNORED = ("info", "ping", "config|resetstat", "config", "client|setinfo", "client")


async def worker(
    url: str, key: str, limit: int, period: float, tasks: int, start: float, stop: float
) -> None:
    """Acquire in ``tasks`` loops from ``start`` to ``stop`` (wall clock); print the count."""
    from onlyonce_async.redis import RedisRateLimiter

    trips = _count_round_trips()
    async with RedisRateLimiter.from_url(url, key, limit, period, margin=0.05) as limiter:
        await limiter.redis.ping()
        await anyio.sleep(max(0.0, start - time.time()))
        grants = 0
        steady = 0
        steady_from = start + period + 0.05

        async def loop() -> None:
            nonlocal grants, steady
            # Asks until the stop time, then finishes: no waiter is cut off mid-wait.
            while time.time() < stop:
                await limiter.acquire()
                grants += 1
                steady += time.time() > steady_from

        async with anyio.create_task_group() as tg:
            for _ in range(tasks):
                tg.start_soon(loop)
    print(json.dumps({"grants": grants, "steady": steady, "trips": trips[0] - 1}))


def _count_round_trips() -> list[int]:
    """Count the commands and pipelines this process sends from now on (one list cell)."""
    from redis.asyncio import client

    sent = [0]
    single, batch = client.Redis.execute_command, client.Pipeline.execute

    async def execute_command(self: client.Redis, *args: Any, **options: Any) -> Any:
        sent[0] += 1
        return await single(self, *args, **options)  # type: ignore[no-untyped-call]

    async def execute(self: client.Pipeline, raise_on_error: bool = True) -> Any:
        sent[0] += 1
        return await batch(self, raise_on_error)

    client.Redis.execute_command = execute_command  # type: ignore[method-assign]
    client.Pipeline.execute = execute  # type: ignore[method-assign]
    return sent


async def _commandstats(redis: Redis) -> dict[str, int]:
    stats = await redis.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in stats.items()}


def run_workers(url: str, key: str, setting: dict[str, float]) -> list[dict[str, int]]:
    """Start the worker processes together; their grant counts."""
    start = time.time() + 3.0
    stop = start + setting["duration"]
    args = [url, key, str(setting["limit"]), str(setting["period"]), str(setting["tasks"])]
    command = [sys.executable, "-m", "benchmarks.redis_limiter", "worker", *args]
    procs = [
        subprocess.Popen(
            [*command, str(start), str(stop)],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": os.getcwd()},
        )
        for _ in range(int(setting["processes"]))
    ]
    return [json.loads(p.communicate(timeout=120)[0].strip().splitlines()[-1]) for p in procs]


async def run(url: str, setting: dict[str, float]) -> list[object]:
    """One run; its table row."""
    redis = Redis.from_url(url)
    key = f"bench-{time.time_ns()}"
    await redis.config_resetstat()
    results = await anyio.to_thread.run_sync(run_workers, url, key, setting)
    stats = await _commandstats(redis)
    await redis.aclose()
    counts = [r["grants"] for r in results]
    steady = [r["steady"] for r in results]
    total = sum(counts)
    trips = sum(r["trips"] for r in results)
    commands = sum(n for name, n in stats.items() if name not in _IGNORED)
    processes, tasks = int(setting["processes"]), int(setting["tasks"])
    return [
        "uncontended" if processes == 1 else "queued" if setting is QUEUED else "contended",
        f"{processes} x {tasks} tasks, {setting['limit']:g}/{setting['period']:g} s",
        total,
        trips / total,
        commands / total,
        "/".join(str(c) for c in counts),
        "/".join(str(c) for c in steady) if processes > 1 else "-",
        max(steady) / max(1, min(steady)) if processes > 1 else "-",
    ]


async def main() -> str:
    from tests.redis_server import running_redis_server

    with running_redis_server() as server:
        rows = [await run(server.url, setting) for setting in (UNCONTENDED, CONTENDED, QUEUED)]
    return table(
        "RedisRateLimiter: Redis round trips and commands per grant, grants per process",
        [
            "run",
            "shape",
            "grants",
            "round trips/grant",
            "commands/grant",
            "grants per process",
            "after 1st window",
            "max/min after",
        ],
        rows,
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["worker"]:
        url, key, limit, period, tasks, start, stop = sys.argv[2:9]
        anyio.run(
            worker,
            url,
            key,
            int(limit),
            float(period),
            int(tasks),
            float(start),
            float(stop),
            backend="asyncio",
        )
    else:
        print(anyio.run(main, backend="asyncio"))
