"""
Retry decisions per method and failure, backoff, Retry-After and the rate limiter.
"""

from __future__ import annotations

import email.utils
import time
from typing import Any

import anyio
import httpx
import pytest
import respx
from hypothesis import given, settings
from hypothesis import strategies as st

import onlyonce_async as oo
from onlyonce_async import RetryPolicy
from onlyonce_async._ratelimit import LONGEST_PAUSE
from onlyonce_async._retry import MAX_RETRY_AFTER, Retrying, first_attempt_then, outcome_unknown
from tests._support.clocks import Clock
from tests._support.helpers import BASE, CountingLimiter, Recorder, fast_client

pytestmark = pytest.mark.anyio

METHODS = ["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "POST", "PATCH"]
IDEMPOTENT = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}


def _failure(kind: str) -> httpx.Response | Exception:
    if kind == "connect":
        return httpx.ConnectError("refused")
    if kind == "read":
        return httpx.ReadError("reset")
    if kind == "read-timeout":
        return httpx.ReadTimeout("slow")
    if kind == "dropped":
        return httpx.RemoteProtocolError("Server disconnected without sending a response.")
    return httpx.Response(int(kind), json={"message": kind})


FAILURES = [
    "connect",
    "read",
    "read-timeout",
    "dropped",
    "429",
    "500",
    "502",
    "503",
    "504",
    "400",
    "404",
]
ALWAYS = {"connect", "429", "503"}
IDEMPOTENT_ONLY = {"read", "read-timeout", "dropped", "500", "502", "504"}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("kind", FAILURES)
async def test_retry_decision(method: str, kind: str) -> None:
    """Each method × failure is retried exactly when DESIGN §2.3 says so."""
    retried = kind in ALWAYS or (kind in IDEMPOTENT_ONLY and method in IDEMPOTENT)
    with respx.mock(base_url=BASE) as router:
        route = router.request(method, "thing").mock(
            side_effect=[_failure(kind), httpx.Response(200, json={"ok": True})]
        )
        async with fast_client(max_retries=2) as client:
            if retried:
                response = await client.request_raw(method, "thing")
                assert response.status_code == 200
            else:
                with pytest.raises(oo.OnlyOnceError):
                    await client.request_raw(method, "thing")
        assert route.call_count == (2 if retried else 1)


async def test_max_retries_bounds_attempts() -> None:
    """max_retries=N gives at most N+1 attempts, then the last error is raised."""
    with respx.mock(base_url=BASE) as router:
        route = router.get("x").mock(return_value=httpx.Response(503, json={"message": "down"}))
        async with fast_client(max_retries=3) as client:
            with pytest.raises(oo.ServerError):
                await client.get("x")
        assert route.call_count == 4


async def test_every_attempt_passes_the_limiter() -> None:
    """The limiter is acquired once per attempt, retries included."""
    limiter = CountingLimiter()
    with respx.mock(base_url=BASE) as router:
        router.get("x").mock(
            side_effect=[httpx.ConnectError("no"), httpx.Response(503), httpx.Response(200, json=1)]
        )
        async with fast_client(rate_limiter=limiter, max_retries=2) as client:
            assert await client.get("x") == 1
    assert limiter.acquired == 3


async def test_429_penalizes_the_limiter_with_retry_after() -> None:
    """A 429 pauses every user of the limiter for its Retry-After."""
    limiter = CountingLimiter()
    with respx.mock(base_url=BASE) as router:
        router.get("x").mock(
            side_effect=[
                httpx.Response(429, headers={"Retry-After": "2"}),
                httpx.Response(200, json=1),
            ]
        )
        async with fast_client(rate_limiter=limiter) as client:
            assert await client.get("x") == 1
    assert limiter.penalties == [2.0]


async def test_retry_after_seconds_is_waited() -> None:
    """Without a limiter, the client itself sleeps for Retry-After before retrying."""
    with respx.mock(base_url=BASE) as router:
        router.get("x").mock(
            side_effect=[
                httpx.Response(503, headers={"Retry-After": "0.3"}),
                httpx.Response(200, json=1),
            ]
        )
        async with fast_client() as client:
            start = time.monotonic()
            assert await client.get("x") == 1
            assert time.monotonic() - start >= 0.25


async def test_retry_after_http_date_is_honoured() -> None:
    """Retry-After in HTTP-date form is read as a delay."""
    # 30 s ahead, so a loaded machine stalling between these lines cannot reach the date.
    when = email.utils.formatdate(time.time() + 30.5, usegmt=True)
    policy = RetryPolicy(initial=0.001)
    error = oo.RateLimitError(
        retry_after=None,
        status_code=429,
        response=httpx.Response(429, headers={"Retry-After": when}),
    )
    assert 0.0 < policy.delay(0, error) <= 30.6


@pytest.mark.parametrize("header", ["61", "3600"])
async def test_retry_after_over_60s_raises_at_once(header: str) -> None:
    """A Retry-After beyond 60 s raises RateLimitError at once instead of sleeping."""
    with respx.mock(base_url=BASE) as router:
        route = router.get("x").mock(
            return_value=httpx.Response(429, headers={"Retry-After": header})
        )
        async with fast_client(max_retries=5) as client:
            # Hang guard: sleeping for the Retry-After would take over a minute.
            with anyio.fail_after(30), pytest.raises(oo.RateLimitError) as info:
                await client.get("x")
        assert route.call_count == 1
    assert info.value.retry_after == float(header)


async def test_503_with_long_retry_after_raises_rate_limit() -> None:
    """A 503 asking for more than 60 s is not slept through either."""
    with respx.mock(base_url=BASE) as router:
        router.get("x").mock(return_value=httpx.Response(503, headers={"Retry-After": "120"}))
        async with fast_client(max_retries=5) as client:
            with pytest.raises(oo.RateLimitError):
                await client.get("x")


def test_backoff_is_exponential_capped_and_jittered() -> None:
    """Backoff bounds double per attempt up to the cap; jitter stays inside the bound."""
    policy = RetryPolicy(initial=0.5, maximum=8.0, jitter=False)
    assert [policy.backoff(n) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    jittered = RetryPolicy(initial=0.5, maximum=8.0)
    samples = [jittered.backoff(3) for _ in range(200)]
    assert all(0.0 <= s <= 4.0 for s in samples)
    assert len(set(samples)) > 100
    assert RetryPolicy(jitter=False).backoff(10_000) == 8.0


@pytest.mark.parametrize(
    ("error", "unknown"),
    [
        pytest.param(httpx.ConnectError("x"), False, id="connect"),
        pytest.param(httpx.ReadError("x"), True, id="read"),
        pytest.param(httpx.ReadTimeout("x"), True, id="read-timeout"),
        pytest.param(httpx.RemoteProtocolError("x"), True, id="dropped"),
    ],
)
def test_outcome_unknown_for_transport_errors(error: Exception, unknown: bool) -> None:
    """Only failures after the request may have been sent leave the outcome unknown."""
    wrapped = oo.TransportError("x")
    wrapped.__cause__ = error
    assert outcome_unknown(wrapped) is unknown


@pytest.mark.parametrize(
    ("status", "unknown"),
    [(500, True), (502, True), (504, True), (503, False), (429, False), (400, False)],
)
def test_outcome_unknown_for_statuses(status: int, unknown: bool) -> None:
    """500, 502 and 504 leave the outcome unknown; 503 and 429 do not."""
    assert outcome_unknown(oo.ServerError(status_code=status)) is unknown


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        pytest.param({"initial": -1.0}, ValueError, "initial", id="negative-initial"),
        pytest.param({"initial": float("nan")}, ValueError, "initial", id="nan-initial"),
        pytest.param({"maximum": float("inf")}, ValueError, "maximum", id="inf-maximum"),
        pytest.param({"rate_limit_default": -1}, ValueError, "rate_limit_default", id="neg"),
        pytest.param(
            {"rate_limit_default": float("inf")}, ValueError, "rate_limit_default", id="inf"
        ),
        pytest.param(
            {"rate_limit_default": float("nan")}, ValueError, "rate_limit_default", id="nan"
        ),
        pytest.param({"rate_limit_default": 3600}, ValueError, "rate_limit_default", id="hour"),
        pytest.param({"initial": "1"}, TypeError, "initial", id="str-initial"),
        pytest.param({"maximum": True}, TypeError, "maximum", id="bool-maximum"),
        pytest.param({"jitter": 1}, TypeError, "jitter", id="int-jitter"),
    ],
)
def test_retry_policy_is_validated_at_construction(
    kwargs: dict[str, Any], error: type[Exception], field: str
) -> None:
    """Negative, infinite, NaN or wrongly typed settings raise at construction, naming the
    field, instead of failing mid-call after a request was sent (or hanging)."""
    with pytest.raises(error, match=field):
        RetryPolicy(**kwargs)


@pytest.mark.parametrize(
    ("header", "at_once"),
    [
        pytest.param("86401", True, id="over-a-day"),
        pytest.param("1e309", True, id="overflow"),
        pytest.param("inf", True, id="inf"),
        pytest.param("Fri, 31 Dec 9999 23:59:59 GMT", True, id="year-9999"),
        pytest.param("nan", False, id="nan"),
        pytest.param("-5", False, id="negative"),
    ],
)
async def test_an_absurd_retry_after_pauses_the_shared_limiter_at_most_a_day(
    header: str, at_once: bool
) -> None:
    """Whatever a 429's Retry-After says, the shared limiter is paused at most LONGEST_PAUSE
    (a day); one over 60 s raises RateLimitError for that call at once."""
    clock = Clock()
    limiter = oo.SlidingWindowRateLimiter(clock=clock)
    with respx.mock(base_url=BASE) as router:
        route = router.get("x").mock(
            return_value=httpx.Response(429, headers={"Retry-After": header})
        )
        async with fast_client(rate_limiter=limiter, max_retries=0 if not at_once else 5) as c:
            with anyio.fail_after(10), pytest.raises(oo.RateLimitError):
                await c.get("x")
        assert route.call_count == 1
    clock.now += LONGEST_PAUSE + 0.001
    with anyio.fail_after(5):
        await limiter.acquire()  # the pause is over: neither "paused" nor a sleep


async def test_a_long_retry_after_fails_the_next_calls_fast_without_sending() -> None:
    """A 429 with Retry-After: 120: that call raises RateLimitError(120), and the next call
    on the same client raises it at once, sending nothing, until the 120 s are over."""
    clock = Clock()
    limiter = oo.SlidingWindowRateLimiter(clock=clock)
    server = Recorder(
        httpx.Response(429, headers={"Retry-After": "120"}), httpx.Response(200, json=1)
    )
    async with fast_client(
        transport=server.transport(), rate_limiter=limiter, max_retries=5
    ) as client:
        with anyio.fail_after(10):  # hang guard: sleeping through the pause would hang here
            with pytest.raises(oo.RateLimitError) as first:
                await client.get("x")
            assert first.value.retry_after == 120
            clock.advance(30)
            with pytest.raises(oo.RateLimitError) as second:
                await client.get("x")
            assert second.value.retry_after == pytest.approx(90)
            assert len(server.requests) == 1
            clock.advance(90.001)  # the server's 120 s are over
            assert await client.get("x") == 1
        assert len(server.requests) == 2


class Sleeps:
    """A sleep that records how long it was asked to wait, and waits for nothing."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


NO_JITTER = RetryPolicy(initial=0.5, maximum=1.5, jitter=False)


async def _run(
    method: str, retries: int, outcomes: list[Exception | None], sleeps: Sleeps
) -> list[int]:
    """Run a retry_context over ``outcomes`` (None: success); the attempt numbers seen."""
    seen: list[int] = []
    async for attempt in NO_JITTER.retry_context(method, retries=retries, sleep=sleeps):
        with attempt:
            seen.append(attempt.number)
            outcome = outcomes[len(seen) - 1]
            if outcome is not None:
                raise outcome
    return seen


async def test_retry_context_counts_attempts_and_raises_the_last_error() -> None:
    """retries=3 means 4 attempts; the last error propagates; backoff doubles up to the cap."""
    sleeps = Sleeps()
    errors = [oo.TransportError(f"down {n}") for n in range(4)]
    with pytest.raises(oo.TransportError) as caught:
        await _run("GET", 3, list(errors), sleeps)
    assert caught.value is errors[3]
    assert sleeps.waits == [0.5, 1.0, 1.5]


async def test_retry_context_stops_at_the_first_success() -> None:
    """A success ends the loop: no further attempt, no wait after it."""
    sleeps = Sleeps()
    assert await _run("GET", 5, [oo.TransportError("down"), None, None], sleeps) == [1, 2]
    assert sleeps.waits == [0.5]


async def test_retry_context_does_not_retry_what_the_policy_refuses() -> None:
    """A POST whose outcome is unknown (a read error) is not retried: one attempt."""
    sleeps = Sleeps()
    error = oo.TransportError("read failed")
    error.__cause__ = httpx.ReadError("reset")
    with pytest.raises(oo.TransportError):
        await _run("POST", 3, [error], sleeps)
    assert sleeps.waits == []


def _answer(status: int, retry_after: str) -> oo.APIError:
    request = httpx.Request("GET", f"{BASE}x")
    response = httpx.Response(status, headers={"Retry-After": retry_after}, request=request)
    return oo.ServerError("busy", status_code=status, response=response)


async def test_retry_context_waits_retry_after() -> None:
    """A Retry-After on the error is the wait, not the backoff."""
    sleeps = Sleeps()
    assert await _run("GET", 2, [_answer(503, "7"), None], sleeps) == [1, 2]
    assert sleeps.waits == [7.0]


async def test_retry_context_refuses_a_retry_after_past_the_cap() -> None:
    """A Retry-After above MAX_RETRY_AFTER ends the loop with RateLimitError, no wait."""
    sleeps = Sleeps()
    with pytest.raises(oo.RateLimitError) as caught:
        await _run("GET", 2, [_answer(503, str(int(MAX_RETRY_AFTER) + 1)), None], sleeps)
    assert caught.value.retry_after == MAX_RETRY_AFTER + 1
    assert sleeps.waits == []


async def test_retry_context_leaves_other_exceptions_alone() -> None:
    """Only SDK errors are retried: a bug in the block propagates at once."""
    sleeps = Sleeps()
    with pytest.raises(KeyError):
        await _run("GET", 3, [KeyError("bug")], sleeps)
    assert sleeps.waits == []


def _outcome(kind: str) -> Exception | None:
    if kind == "read error":  # the outcome unknown: retried for GET, not for POST
        error = oo.TransportError("read failed")
        error.__cause__ = httpx.ReadError("reset")
        return error
    made = {
        "ok": None,
        "connect error": oo.TransportError("down"),
        "503 retry after 7": _answer(503, "7"),
        "503 retry after 61": _answer(503, "61"),
        "bug": KeyError("bug"),
    }
    return made[kind]


async def _run_first(
    method: str, retries: int, outcomes: list[Exception | None], sleeps: Sleeps
) -> tuple[list[int], int]:
    """`first_attempt_then` over ``outcomes``; the attempt numbers seen, loops made."""
    seen: list[int] = []
    loops = 0

    async def attempt(number: int) -> list[int]:
        seen.append(number)
        outcome = outcomes[len(seen) - 1]
        if outcome is not None:
            raise outcome
        return seen

    def retrying() -> Retrying:
        nonlocal loops
        loops += 1
        return NO_JITTER.retry_context(method, retries=retries, sleep=sleeps)

    try:
        await first_attempt_then(attempt, retrying)
    finally:
        # Built only for a first attempt that failed with an SDK error.
        assert loops == (1 if isinstance(outcomes[0], oo.OnlyOnceError) else 0)
    return seen, loops


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(
    method=st.sampled_from(["GET", "POST"]),
    retries=st.integers(0, 3),
    kinds=st.lists(
        st.sampled_from(
            ["ok", "connect error", "read error", "503 retry after 7", "503 retry after 61", "bug"]
        ),
        min_size=4,
        max_size=4,
    ),
)
async def test_first_attempt_then_does_what_the_loop_does(
    method: str, retries: int, kinds: list[str]
) -> None:
    """
    The first attempt made outside the loop: the same attempts, waits, result or error as
    the `retry_context` loop, and the loop is built only when the first attempt failed.
    """
    loop_sleeps, first_sleeps = Sleeps(), Sleeps()
    outcomes = [_outcome(kind) for kind in kinds]
    try:
        expected: object = await _run(method, retries, outcomes, loop_sleeps)
    except Exception as error:
        expected = error
    try:
        got: object = (await _run_first(method, retries, outcomes, first_sleeps))[0]
    except Exception as error:
        got = error
    if isinstance(expected, Exception):
        assert got is expected or (
            type(got) is type(expected) is oo.RateLimitError  # made afresh by the wait
            and got.__cause__ is expected.__cause__
        )
    else:
        assert got == expected
    assert first_sleeps.waits == loop_sleeps.waits


async def test_deadline_cuts_the_retry_wait() -> None:
    """The deadline layer sits above the retry loop: it ends a wait, and no attempt follows."""
    rec = 0

    def handle(request: httpx.Request) -> httpx.Response:
        nonlocal rec
        rec += 1
        return httpx.Response(503, headers={"Retry-After": "30"})

    async with fast_client(transport=httpx.MockTransport(handle), max_retries=5) as client:
        with anyio.fail_after(20), pytest.raises(oo.RequestTimeout):  # hang guard
            await client.get("x", deadline=0.2)
    assert rec == 1
