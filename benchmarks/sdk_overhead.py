"""
The SDK beside raw httpx on one in-process ASGI app, call by call (issue 14's targets).

``client.get`` untyped, typed ``profiles.get`` and a typed page of 20 profiles, each against
the same request made with raw httpx and ``response.json()``. The SDK runs with the default
limiter on: the default `SlidingWindowRateLimiter` (60 per 60 s) on a clock that moves a
minute per reading, so it never waits and costs all it costs. The app is stateless: it
answers every request with one prepared body, so the server's own work is next to nothing
and the SDK's cost shows; the row without a limiter shows what the limiter adds. One run; raw
and SDK rounds interleaved (their order alternating); medians over the rounds. Times are this
process's CPU time: the app runs in-process and nothing waits on I/O, so other work on the
machine does not skew them. The decode cost per `Profile` beside a hand-written constructor is
``python -m benchmarks decode``.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import httpx

from onlyonce_async import BearerAuth, Client

from ._report import table
from ._stateless import (
    BENCH_URL,
    TOKEN,
    StatelessApp,
    default_limiter,
    interleaved,
    quick,
    share_template,
    timed,
)

#: (rounds, calls per round), normal and --quick.
SIZES, QUICK_SIZES = (101, 50), (31, 30)


async def call_rows(app: StatelessApp, rounds: int, calls: int) -> list[list[object]]:
    """Per-call time of raw httpx and of the SDK for the three calls."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    profile_id = uuid.UUID(int=1, version=4)
    rows: list[list[object]] = []
    async with (
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=BENCH_URL, headers=headers
        ) as http,
        Client(
            base_url=BENCH_URL,
            transport=httpx.ASGITransport(app=app),
            auth=BearerAuth(TOKEN),
            rate_limiter=default_limiter(),
        ) as client,
        Client(
            base_url=BENCH_URL,
            transport=httpx.ASGITransport(app=app),
            auth=BearerAuth(TOKEN),
            rate_limiter=None,
        ) as unlimited,
    ):

        async def raw_get() -> object:
            response = await http.get("account")
            response.raise_for_status()
            return response.json()

        async def raw_profile() -> object:
            response = await http.get(f"profiles/{profile_id}")
            response.raise_for_status()
            return response.json()

        async def raw_page() -> object:
            response = await http.get("profiles", params={"page": 0, "size": 20})
            response.raise_for_status()
            return response.json()

        async def sdk_page() -> object:
            return await client.profiles.list(page_size=20).fetch_page(0)

        cases: list[tuple[str, Callable[[], Awaitable[object]], Any, float]] = [
            ("get (untyped)", raw_get, lambda: client.get("account"), 1.05),
            ("get (untyped), no limiter", raw_get, lambda: unlimited.get("account"), 1.05),
            ("profiles.get (typed)", raw_profile, lambda: client.profiles.get(profile_id), 1.25),
            ("page of 20 profiles (typed)", raw_page, sdk_page, 2.0),
        ]
        for name, raw, sdk, target in cases:
            await timed(20, raw)  # warm up both paths
            await timed(20, sdk)
            raw_s, sdk_s = await interleaved(
                rounds, functools.partial(timed, calls, raw), functools.partial(timed, calls, sdk)
            )
            ratio = sdk_s / raw_s
            verdict = "yes" if ratio <= target else "NO"
            rows.append(
                [
                    name,
                    raw_s * 1e6,
                    sdk_s * 1e6,
                    (sdk_s - raw_s) * 1e6,
                    ratio,
                    f"<= {target}x",
                    verdict,
                ]
            )
    return rows


async def main() -> str:
    app = StatelessApp(await share_template())
    rounds, calls = QUICK_SIZES if quick() else SIZES
    return table(
        f"SDK vs raw httpx per call, default limiter on, in-process ASGI app "
        f"({rounds} interleaved rounds of {calls} calls, medians)",
        ["call", "raw µs", "SDK µs", "extra µs", "SDK / raw", "target", "met"],
        await call_rows(app, rounds, calls),
    )


if __name__ == "__main__":
    print(anyio.run(main, backend="asyncio"))
