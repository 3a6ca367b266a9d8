"""
Memory: peak RSS of `share_many` over 10,000 vs 100,000 recipients, quota off.

Each size runs in a fresh process, against a stateless in-process responder (so only the
SDK's memory is measured, not a server's state). Recipients come from a generator, so the
input itself takes no memory; what may grow is the SDK's bookkeeping.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import uuid
from collections.abc import Iterator

import anyio
import httpx

from onlyonce_async import Client

from ._report import table

SIZES = (10_000, 100_000)
PROFILE = {
    "id": "00000000-0000-4000-8000-000000000000",
    "onlyonceId": 1,
    "name": "Someone",
    "type": "PERSONAL",
    "createdDate": "2016-09-04T20:38:50.605",
    "publicCardId": "00000000-0000-4000-8000-000000000001",
    "viewsCount": 0,
    "incomingSharesCount": 0,
    "outgoingSharesCount": 0,
}


def respond(request: httpx.Request) -> httpx.Response:
    if request.method == "GET":  # share_many's sweep of existing requests: none
        return httpx.Response(200, json={"last": True, "total": 0, "content": []})
    body = json.loads(request.content)
    return httpx.Response(
        200,
        json={
            "id": str(uuid.uuid4()),
            "sender": {**PROFILE, "id": body["sender"]["id"]},
            "recipient": {**PROFILE, "id": body["recipient"]["id"]},
            "cardId": body["cardId"],
            "status": "PENDING",
            "connected": False,
            "requested": "2016-09-04T20:38:50.605",
        },
    )


def recipients(count: int) -> Iterator[uuid.UUID]:
    for _ in range(count):
        yield uuid.uuid4()


async def child(count: int) -> None:
    transport = httpx.MockTransport(respond)
    async with Client(transport=transport, rate_limiter=None) as client:
        ok = 0
        async for outcome in client.network.share_many(
            uuid.uuid4(), sender_id=uuid.uuid4(), recipient_ids=recipients(count), concurrency=8
        ):
            ok += outcome.ok
    assert ok == count, ok
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB on Linux


def measure(count: int) -> int:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory", str(count)],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(out.stdout.strip().splitlines()[-1])


async def main() -> str:
    small = await anyio.to_thread.run_sync(measure, SIZES[0])
    large = await anyio.to_thread.run_sync(measure, SIZES[1])
    return table(
        "memory: peak RSS of share_many (fresh process each)",
        ["recipients", "peak RSS MiB", "ratio to 10,000"],
        [
            [f"{SIZES[0]:,}", small / 1024, 1.0],
            [f"{SIZES[1]:,}", large / 1024, large / small],
        ],
    )


if __name__ == "__main__":
    if len(sys.argv) > 1:
        anyio.run(child, int(sys.argv[1]), backend="asyncio")
    else:
        print(anyio.run(main, backend="asyncio"))
