"""
One quota across processes: 4 worker processes against the sandbox served over TCP.

The sandbox enforces a quota scaled to 60 requests per second for the one account all
workers use. Side by side: the workers share a `RedisRateLimiter` (one key), or each has
its own private `SlidingWindowRateLimiter` at the full quota (the N x quota mistake).
Reported: aggregate successful rate as a fraction of the quota, and 429s met.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import anyio
import httpx

from onlyonce_async import (
    BearerAuth,
    Client,
    RateLimiter,
    RateLimitError,
    SlidingWindowRateLimiter,
)

from ._report import table

WORKERS = 4
LIMIT, PERIOD = 60, 1.0
DURATION = 5.0
#: The quota is scaled 60x down, so the jitter between a grant and the request reaching the
#: server (four busy processes on two cores) is large next to the window; 50 ms absorbs it
#: on an otherwise idle machine (the default margin, 1 % of the period and at most 250 ms,
#: is meant for a real minute).
MARGIN = 0.05
#: Calls in flight per worker process.
TASKS = 4
EMAIL, PASSWORD, PHRASE = "quota@example.com", "pw-quota-1", "phrase"


@contextmanager
def sandbox_server(port: int) -> Iterator[str]:
    """Serve the sandbox over TCP in a child process; yield its base URL."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "onlyonce_async.testing",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--rate-limit",
            f"{LIMIT}/{PERIOD:g}",
        ],
        env={**os.environ, "ONLYONCE_SANDBOX_USERS": f"{EMAIL}:{PASSWORD}:{PHRASE}"},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        base_url = f"http://127.0.0.1:{port}/v2/"
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(base_url + "heartbeat", timeout=1.0).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the sandbox server did not start") from None
                time.sleep(0.1)
        yield base_url
    finally:
        process.terminate()
        process.wait(10)


async def worker(
    base_url: str, token: str, mode: str, redis_url: str, key: str, start_at: float
) -> None:
    """One worker process: call GET /account as fast as its limiter allows for DURATION."""
    if mode == "redis":
        from onlyonce_async.redis import RedisRateLimiter

        limiter: RateLimiter = RedisRateLimiter.from_url(
            redis_url, key, LIMIT, PERIOD, margin=MARGIN
        )
    else:
        limiter = SlidingWindowRateLimiter(LIMIT, PERIOD, margin=MARGIN)
    # Every worker starts at the same wall-clock instant, after its imports.
    await anyio.sleep(max(0.0, start_at - time.time()))
    ok = limited = 0
    async with Client(
        base_url=base_url,
        auth=BearerAuth(token),
        rate_limiter=limiter,
        max_retries=0,
    ) as client:

        async def loop() -> None:
            nonlocal ok, limited
            while True:
                try:
                    await client.get("account")
                    ok += 1
                except RateLimitError:
                    limited += 1

        # Only calls completed inside the common window count.
        with anyio.move_on_after(start_at + DURATION - time.time()):
            async with anyio.create_task_group() as tg:
                for _ in range(TASKS):
                    tg.start_soon(loop)
    print(json.dumps({"ok": ok, "limited": limited}))


def run_workers(base_url: str, token: str, mode: str, redis_url: str) -> tuple[int, int]:
    key = f"bench-{mode}-{time.time_ns()}"
    start_at = time.time() + 4.0
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "benchmarks.redis_quota",
                "worker",
                base_url,
                token,
                mode,
                redis_url,
                key,
                str(start_at),
            ],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": os.getcwd()},
        )
        for _ in range(WORKERS)
    ]
    results = [json.loads(p.communicate(timeout=60)[0].strip().splitlines()[-1]) for p in procs]
    return sum(r["ok"] for r in results), sum(r["limited"] for r in results)


async def main() -> str:
    from tests._support.redis_server import free_port, running_redis_server

    rows = []
    with running_redis_server() as redis:
        for mode, label in (("redis", "shared RedisRateLimiter"), ("private", "private limiters")):
            with sandbox_server(free_port()) as base_url:
                async with Client(base_url=base_url, rate_limiter=None) as client:
                    token = await client.account.sign_in(EMAIL, PASSWORD)
                await anyio.sleep(PERIOD + 0.1)
                ok, limited = await anyio.to_thread.run_sync(
                    run_workers, base_url, token, mode, redis.url
                )
            rate = ok / DURATION
            rows.append(
                [label, WORKERS, ok, rate, f"{100 * rate / (LIMIT / PERIOD):.1f} %", limited]
            )
    return table(
        f"one quota, {WORKERS} processes: {LIMIT} per {PERIOD:g} s for {DURATION:g} s, "
        "sandbox over TCP",
        ["limiter", "processes", "ok", "rate/s", "of quota", "429s"],
        rows,
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["worker"]:
        base_url, token, mode, redis_url, key, start_at = sys.argv[2:8]
        anyio.run(worker, base_url, token, mode, redis_url, key, float(start_at), backend="asyncio")
    else:
        print(anyio.run(main, backend="asyncio"))
