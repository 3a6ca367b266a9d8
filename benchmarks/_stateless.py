"""
What the SDK-overhead benchmarks share: a stateless in-process ASGI app, the default limiter
that never waits, and interleaved medians.
"""

from __future__ import annotations

import gc
import itertools
import json
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from onlyonce_async import SlidingWindowRateLimiter
from onlyonce_async.testing import BASE_URL, Sandbox

from ._setup import build_scene

TOKEN = "bench-token"


def quick() -> bool:
    """Whether ``--quick`` (or ``ONLYONCE_BENCH_QUICK=1``) asked for small sizes."""
    return os.environ.get("ONLYONCE_BENCH_QUICK", "") not in ("", "0")


BENCH_URL = "https://bench.test/v2/"

Body = dict[str, Any]


def _profile(n: int) -> Body:
    return {
        "id": str(uuid.UUID(int=n + 1, version=4)),
        "onlyonceId": 1000 + n,
        "name": f"Person {n}",
        "avatarId": str(uuid.UUID(int=n + 5000, version=4)),
        "type": "PERSONAL",
        "createdDate": "2026-11-30T02:14:30.658",
        "publicCardId": str(uuid.UUID(int=n + 9000, version=4)),
        "viewsCount": n,
        "incomingSharesCount": 2,
        "outgoingSharesCount": 3,
        "connectedDate": None,
        "lastModifyDate": "2026-11-30T02:14:30.658",
        "flexWorkerInfo": None,
        "bookmarked": False,
        "connected": True,
        "tags": [],
    }


class StatelessApp:
    """
    An ASGI app answering each route with a prepared body (a share echoes its recipient).
    """

    def __init__(self, share_template: Body) -> None:
        self.profile = json.dumps(_profile(0)).encode()
        page = {"last": False, "total": 1000, "content": [_profile(n) for n in range(20)]}
        self.page = json.dumps(page).encode()
        self.empty_page = json.dumps({"last": True, "total": 0, "content": []}).encode()
        self.plain = b'{"ok":true}'
        self.share = share_template

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        path: str = scope["path"]
        if scope["method"] == "POST" and path.endswith("/requests"):
            sent = json.loads(body)
            answer = dict(self.share, id=str(uuid.uuid4()))
            answer["recipient"] = dict(answer["recipient"], id=sent["recipient"]["id"])
            payload = json.dumps(answer).encode()
        elif path.endswith("/requests"):
            payload = self.empty_page
        elif path.endswith("/profiles"):
            payload = self.page
        elif "/profiles/" in path:
            payload = self.profile
        else:
            payload = self.plain
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


def default_limiter() -> SlidingWindowRateLimiter:
    """The default limiter (60 per 60 s) on a clock a minute further at every reading."""
    minutes = itertools.count(step=61.0)
    return SlidingWindowRateLimiter(60, 60.0, clock=lambda: next(minutes))


def start_clock() -> float:
    """
    The CPU clock, read after collecting the garbage of what ran before (set-ups, earlier
    runs): no run pays for another's collections, each still for those it sets off.
    """
    gc.collect()
    return time.process_time()


async def timed(calls: int, one: Callable[[], Awaitable[object]]) -> float:
    """Seconds per call of ``calls`` calls of ``one`` in a row."""
    start = time.process_time()
    for _ in range(calls):
        await one()
    return (time.process_time() - start) / calls


async def interleaved(rounds: int, *runs: Callable[[], Awaitable[float]]) -> tuple[float, ...]:
    """
    The median of each of ``runs`` over ``rounds`` rounds, their order rotating every round
    (two runs alternate which goes first).
    """
    results = await interleaved_rounds(rounds, *runs)
    return tuple(statistics.median(times) for times in results)


async def interleaved_rounds(
    rounds: int, *runs: Callable[[], Awaitable[float]]
) -> list[list[float]]:
    """Each of ``runs``' result in every round, as `interleaved` runs them."""
    results: list[list[float]] = [[] for _ in runs]
    for n in range(rounds):
        for k in range(len(runs)):
            index = (n + k) % len(runs)
            results[index].append(await runs[index]())
    return results


async def share_template() -> Body:
    """A share request as the sandbox answers ``POST /requests``."""
    sandbox = Sandbox(rate_limit=None)
    async with sandbox.client(rate_limiter=None) as client:
        scene = await build_scene(sandbox, client, 1, "template")
    body = {
        "cardId": str(scene.card_id),
        "sender": {"id": str(scene.sender_id)},
        "recipient": {"id": str(scene.recipients[0])},
        "reversed": False,
    }
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=BASE_URL) as http:
        response = await http.post(
            "requests", json=body, headers={"Authorization": f"Bearer {scene.token}"}
        )
    response.raise_for_status()
    answer: Body = response.json()
    return answer
