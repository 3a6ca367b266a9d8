"""
Rate limiting, seeded faults, drop-after-commit and timeouts in-process, and the
sandbox-wired Client.
"""

from __future__ import annotations

import anyio
import httpx
import pytest

from onlyonce_async import Client, SlidingWindowRateLimiter
from onlyonce_async.testing import BASE_URL, Sandbox
from onlyonce_async.testing._limits import SlidingWindow
from tests._support.clocks import Clock

pytestmark = pytest.mark.anyio


async def test_rate_limit_429_and_retry_after() -> None:
    """Past the limit a credential gets 429 with a whole-second Retry-After; the window slides."""
    clock = Clock()
    sandbox = Sandbox(rate_limit=(3, 10.0), clock=clock)
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=BASE_URL) as http:
        for _ in range(3):
            assert (await http.get("heartbeat")).status_code == 200
        clock.now += 2.5
        limited = await http.get("heartbeat")
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "8"
        assert limited.json() == {"message": "Too many requests"}
        clock.now += 7.5
        assert (await http.get("heartbeat")).status_code == 200
    assert sandbox.stats.rate_limited == 1
    assert sandbox.stats.requests == 5


async def test_rate_limit_per_credential() -> None:
    """Each account has its own quota; anonymous callers count by address."""
    sandbox = Sandbox(rate_limit=(2, 60.0), clock=Clock())
    users = [
        sandbox.create_user(email=f"u{i}@example.com", password="p", pass_phrase="q")
        for i in range(2)
    ]
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=BASE_URL) as http:
        for user in users:
            headers = {"Authorization": f"Bearer {sandbox.sign_in(user)}"}
            statuses = [(await http.get("account", headers=headers)).status_code for _ in range(3)]
            assert statuses == [200, 200, 429]
        assert [(await http.get("heartbeat")).status_code for _ in range(3)] == [200, 200, 429]


async def test_rate_limit_off() -> None:
    """rate_limit=None never answers 429."""
    sandbox = Sandbox(rate_limit=None)
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=BASE_URL) as http:
        statuses = {(await http.get("heartbeat")).status_code for _ in range(100)}
    assert statuses == {200}


async def _statuses(sandbox: Sandbox, count: int) -> list[int]:
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=BASE_URL) as http:
        return [(await http.get("heartbeat")).status_code for _ in range(count)]


async def test_faults_reproducible_with_seed() -> None:
    """The same seed injects the same statuses in the same order; faults() turns them off."""
    runs = []
    for _ in range(2):
        sandbox = Sandbox(rate_limit=None)
        sandbox.faults(error_rate=0.5, statuses=(500, 503), seed=42)
        runs.append(await _statuses(sandbox, 40))
    assert runs[0] == runs[1]
    assert set(runs[0]) == {200, 500, 503}
    sandbox.faults()
    assert set(await _statuses(sandbox, 20)) == {200}
    assert sandbox.stats.faults_injected == runs[0].count(500) + runs[0].count(503)


async def test_injected_fault_body() -> None:
    """An injected fault answers before handling, with a message."""
    sandbox = Sandbox(rate_limit=None)
    sandbox.faults(error_rate=1.0, statuses=(503,))
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=BASE_URL) as http:
        response = await http.post("signUp", json={})
    assert response.status_code == 503
    assert response.json() == {"message": "Injected fault"}


def test_faults_validation() -> None:
    """Out-of-range fault settings raise ValueError."""
    sandbox = Sandbox()
    for kwargs in ({"error_rate": 2.0}, {"statuses": (200,)}, {"latency": (2.0, 1.0)}):
        with pytest.raises(ValueError, match="must"):
            sandbox.faults(**kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"latency": (0.0, float("inf"))},
        {"latency": (float("nan"), float("nan"))},
        {"latency": (0.0, float("nan"))},
        {"latency": (float("-inf"), 0.0)},
        {"error_rate": float("nan")},
        {"drop_after_commit": float("nan")},
    ],
)
async def test_faults_refuse_non_finite_settings(kwargs: dict[str, object]) -> None:
    """An infinite or NaN latency or rate is refused, and the sandbox keeps answering
    (before, an infinite latency made every request hang)."""
    sandbox = Sandbox(rate_limit=None)
    with pytest.raises(ValueError, match="must"):
        sandbox.faults(**kwargs)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=BASE_URL) as http:
        with anyio.fail_after(30):  # hang guard only
            response = await http.post("signUp", json={})
    assert response.status_code != 503


@pytest.mark.parametrize(
    "rate_limit",
    [(2, float("nan")), (2, float("inf")), (2, 0.0), (2, -1.0), (0, 1.0), (2.5, 1.0), (True, 1.0)],
)
def test_rate_limit_refuses_bad_values(rate_limit: tuple[int, float]) -> None:
    """A rate limit that could not be enforced (NaN or infinite period, a limit that is not
    a positive int) is a ValueError, not a sandbox that silently limits nothing."""
    with pytest.raises(ValueError, match="rate_limit"):
        Sandbox(rate_limit=rate_limit)


async def test_drop_after_commit_in_process() -> None:
    """A dropped request raises an httpx transport error, yet its change is committed."""
    sandbox = Sandbox(rate_limit=None)
    user = sandbox.create_user(email="u@example.com", password="p", pass_phrase="q")
    headers = {"Authorization": f"Bearer {sandbox.sign_in(user)}"}
    sandbox.faults(drop_after_commit=1.0)
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=BASE_URL) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            await http.post(
                "profiles",
                json={"passPhrase": "x", "email": "o@example.com", "tradeName": "Dropped Ltd"},
                headers=headers,
            )
        sandbox.faults()
        companies = (await http.get("companies", params={"employerName": "dropped"})).json()
    assert [c["name"] for c in companies] == ["Dropped Ltd"]
    assert sandbox.stats.dropped == 1


async def test_timeout_honoured_in_process() -> None:
    """With 2 s latency and a 0.2 s timeout the request fails with ReadTimeout (an answer
    after the latency would be a 200)."""
    sandbox = Sandbox(rate_limit=None)
    sandbox.faults(latency=(2.0, 2.0))
    async with httpx.AsyncClient(
        transport=sandbox.transport(), base_url=BASE_URL, timeout=0.2
    ) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.get("heartbeat")


async def test_latency_delays() -> None:
    """Latency delays the answer by at least its lower bound."""
    sandbox = Sandbox(rate_limit=None)
    sandbox.faults(latency=(0.05, 0.05))
    start = anyio.current_time()
    assert (await _statuses(sandbox, 2)) == [200, 200]
    assert anyio.current_time() - start >= 0.1


async def test_sandbox_client() -> None:
    """sandbox.client() is a Client on the sandbox with a matching client-side limiter."""
    sandbox = Sandbox(rate_limit=(5, 1.0))
    async with sandbox.client(max_retries=0) as client:
        assert isinstance(client, Client)
        assert str(client.base_url) == BASE_URL
        assert isinstance(client.rate_limiter, SlidingWindowRateLimiter)
        assert (await client.get("heartbeat"))["nodeName"].startswith("onlyonce-sandbox-")
    async with Sandbox(rate_limit=None).client() as client:
        assert client.rate_limiter is None
    with pytest.raises(TypeError):
        sandbox.client(transport=httpx.MockTransport(lambda r: httpx.Response(200)))


def test_rate_limit_table_is_bounded() -> None:
    """Idle keys are dropped as requests come; past max_keys the least recent goes."""
    clock = Clock()
    window = SlidingWindow(1, 10.0, clock, max_keys=3)
    for key in "abcd":
        assert window.hit(key) is None
    assert len(window) == 3
    assert window.hit("a") is None  # "a" was the least recent: forgotten, so allowed again
    assert window.hit("d") is not None  # "d" is still tracked and limited
    clock.now += 10.0
    assert window.hit("e") is None
    assert len(window) == 1
