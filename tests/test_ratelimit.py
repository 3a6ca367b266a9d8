"""
SlidingWindowRateLimiter: the window invariant, FIFO order, cancellation and penalties.
"""

from __future__ import annotations

import anyio
import httpx
import pytest

import onlyonce_async as oo
from onlyonce_async._ratelimit import LONGEST_PAUSE
from tests._support.clocks import Clock, GrantClock
from tests._support.helpers import Recorder, fast_client

pytestmark = pytest.mark.anyio


def _max_in_any_window(times: list[float], period: float) -> int:
    """The largest number of timestamps inside any half-open window of ``period``."""
    times = sorted(times)
    best = 0
    start = 0
    for end, t in enumerate(times):
        while t - times[start] >= period:
            start += 1
        best = max(best, end - start + 1)
    return best


async def test_never_more_than_limit_in_any_window() -> None:
    """120 concurrent tasks: no window of `period` ever holds more than `limit` starts.

    Starts are the limiter's own grant times (`GrantClock`), not the times the tasks got to
    run again, which a loaded machine can bunch together.
    """
    clock = GrantClock()
    limiter = oo.SlidingWindowRateLimiter(10, 0.25, clock=clock)
    times: list[float] = []

    async def worker() -> None:
        await limiter.acquire()
        times.append(clock.last)

    with anyio.fail_after(30):
        async with anyio.create_task_group() as tg:
            for _ in range(120):
                tg.start_soon(worker)
    assert len(times) == 120
    assert _max_in_any_window(times, 0.25) <= 10
    # 120 starts need at least 11 further windows after the first burst of 10.
    assert max(times) - min(times) >= 11 * 0.25


async def test_full_quota_is_usable() -> None:
    """Up to `limit` acquisitions pass at once: the limiter does not throttle below quota."""
    # A frozen clock: throttling below quota would wait for ever (the hang guard), however
    # slow the machine.
    limiter = oo.SlidingWindowRateLimiter(50, 60.0, clock=lambda: 0.0)
    with anyio.fail_after(30):
        for _ in range(50):
            await limiter.acquire()


async def test_waiters_are_served_first_come_first_served() -> None:
    """Tasks that start waiting in order are granted in that order."""
    limiter = oo.SlidingWindowRateLimiter(1, 0.05)
    order: list[int] = []

    async def worker(n: int) -> None:
        await limiter.acquire()
        order.append(n)

    async with anyio.create_task_group() as tg:
        for n in range(8):
            tg.start_soon(worker, n)
            await anyio.sleep(0.005)
    assert order == list(range(8))


async def test_a_newcomer_never_jumps_the_queue() -> None:
    """A slot that frees while a task waits for it goes to that task, not to one arriving
    at that moment that finds the slot free (a free slot is taken at once only when nobody
    waits)."""
    clock = Clock(now=0.0)
    limiter = oo.SlidingWindowRateLimiter(1, 0.2, margin=0.0, clock=clock)
    await limiter.acquire()
    order: list[str] = []
    first_granted = anyio.Event()

    async def take(name: str) -> None:
        await limiter.acquire()
        order.append(name)
        first_granted.set()

    with anyio.fail_after(30):  # hang guard
        async with anyio.create_task_group() as tg:
            tg.start_soon(take, "waiting")
            await anyio.wait_all_tasks_blocked()  # it sleeps in the limiter until 0.2
            assert limiter.stats().waiting == 1
            clock.advance(0.2)  # the slot is free; the waiting task has not woken yet
            tg.start_soon(take, "newcomer")
            await first_granted.wait()
            clock.advance(0.2)  # the next slot, for whoever is second
    assert order == ["waiting", "newcomer"]


async def test_cancelled_waiter_consumes_no_quota() -> None:
    """A waiter cancelled while waiting leaves the window exactly as it was."""
    clock = Clock(now=0.0)
    limiter = oo.SlidingWindowRateLimiter(2, 0.4, clock=clock)
    await limiter.acquire()
    await limiter.acquire()
    clock.advance(0.2)
    with anyio.move_on_after(0.05) as scope:  # the clock stands still: it cannot be granted
        await limiter.acquire()
    assert scope.cancelled_caught
    # The two real starts age out; a slot taken by the waiter (at 0.2) would not have, and
    # with the clock standing still the second acquisition would wait for ever.
    clock.advance(0.21)
    with anyio.fail_after(30):  # hang guard
        await limiter.acquire()
        await limiter.acquire()


async def test_cancelling_many_waiters_keeps_the_lock_usable() -> None:
    """Cancelling a crowd of waiters leaves the limiter working for later callers."""
    limiter = oo.SlidingWindowRateLimiter(1, 0.2)
    await limiter.acquire()
    async with anyio.create_task_group() as tg:
        for _ in range(50):
            tg.start_soon(limiter.acquire)
        await anyio.sleep(0.02)
        tg.cancel_scope.cancel()
    with anyio.fail_after(30):  # hang guard
        await limiter.acquire()


async def test_try_acquire_counts_a_start_only_when_one_may_start_at_once() -> None:
    """A free slot is counted at once; a full window, a pause or a queue refuse it uncounted."""
    clock = Clock(now=0.0)
    limiter = oo.SlidingWindowRateLimiter(2, 60.0, clock=clock)
    assert [limiter.try_acquire() for _ in range(3)] == [True, True, False]
    assert limiter.stats().used == 2
    clock.advance(61.0)
    await limiter.penalize(5.0)
    assert not limiter.try_acquire()  # paused
    clock.advance(5.0)
    assert limiter.try_acquire()
    assert limiter.try_acquire()

    async def wait_for_a_slot() -> None:
        await limiter.acquire()

    async with anyio.create_task_group() as tg:
        tg.start_soon(wait_for_a_slot)
        await anyio.wait_all_tasks_blocked()  # it queues for the window to move on
        clock.advance(61.0)
        assert not limiter.try_acquire()  # the queued task comes first
        tg.cancel_scope.cancel()
    assert limiter.stats().used == 0  # (the window moved on; nothing was counted meanwhile)


async def test_a_client_counts_every_request_once_sign_in_included() -> None:
    """
    Each request a call sends takes one slot of the client's limiter, whether the slot was
    free as the attempt began or not: the sign-in, the request, and a retry.
    """
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        if request.url.path.endswith("/signIn"):
            return httpx.Response(200, headers={"Authorization": "Bearer t"})
        if sent.count(request.url.path) == 1 and request.url.path.endswith("/busy"):
            return httpx.Response(503, json={"message": "busy"})
        return httpx.Response(200, json={})

    limiter = oo.SlidingWindowRateLimiter(10, 60.0, clock=lambda: 0.0)
    async with fast_client(
        transport=httpx.MockTransport(handler),
        auth=oo.BearerAuth.with_credentials("me@example.com", "pw"),
        rate_limiter=limiter,
    ) as client:
        await client.get("/a")
        await client.get("/busy")
    assert sent == ["/v2/signIn", "/v2/a", "/v2/busy", "/v2/busy"]
    assert limiter.stats().used == len(sent)


async def test_a_call_waiting_for_a_sign_in_takes_its_slot_when_it_is_sent() -> None:
    """
    A call held up by another call's sign-in counts no slot while it waits: a slot taken
    before it leaves would not keep the window (and its timeout would count the wait).
    """
    release = anyio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/signIn"):
            await release.wait()
            return httpx.Response(200, headers={"Authorization": "Bearer t"})
        return httpx.Response(200, json={})

    limiter = oo.SlidingWindowRateLimiter(10, 60.0, clock=lambda: 0.0)
    async with (
        fast_client(
            transport=httpx.MockTransport(handler),
            auth=oo.BearerAuth.with_credentials("me@example.com", "pw"),
            rate_limiter=limiter,
        ) as client,
        anyio.create_task_group() as tg,
    ):
        tg.start_soon(client.get, "/first")  # signs in
        await anyio.wait_all_tasks_blocked()
        tg.start_soon(client.get, "/second")  # waits for that sign-in
        await anyio.wait_all_tasks_blocked()
        assert limiter.stats().used == 1  # the sign-in only
        release.set()
    assert limiter.stats().used == 3


async def test_a_limiter_subclass_is_asked_for_every_request() -> None:
    """A subclass of the sliding window (counting, say) sees every request through acquire."""

    class Counting(oo.SlidingWindowRateLimiter):
        acquired = 0

        async def acquire(self) -> None:
            self.acquired += 1
            await super().acquire()

    limiter = Counting(10, 60.0)
    recorder = Recorder()
    async with fast_client(
        transport=recorder.transport(), auth=oo.BearerAuth("t"), rate_limiter=limiter
    ) as client:
        await client.get("/a")
        await client.get("/b")
    assert limiter.acquired == len(recorder.requests) == 2


async def test_penalize_pauses_everyone() -> None:
    """After penalize(s), no task starts before s seconds have passed."""
    limiter = oo.SlidingWindowRateLimiter(100, 60.0)
    await limiter.penalize(0.3)
    start = anyio.current_time()
    times: list[float] = []

    async def worker() -> None:
        await limiter.acquire()
        times.append(anyio.current_time() - start)

    async with anyio.create_task_group() as tg:
        for _ in range(5):
            tg.start_soon(worker)
    assert min(times) >= 0.29


async def test_penalty_raised_while_waiting_is_honoured() -> None:
    """A pause that arrives while a task already waits for a slot extends its wait."""
    clock = Clock(now=0.0)  # moved by hand: the steps below do not depend on speed
    limiter = oo.SlidingWindowRateLimiter(1, 0.1, clock=clock)
    await limiter.acquire()
    granted_at: list[float] = []

    async def worker() -> None:
        await limiter.acquire()
        granted_at.append(clock.now)

    async def until_the_clock_is_read() -> None:
        reads = clock.reads
        while clock.reads == reads:  # noqa: ASYNC110  # the limiter's reads are the signal
            await anyio.sleep(0.005)

    with anyio.fail_after(30):  # hang guard
        async with anyio.create_task_group() as tg:
            tg.start_soon(worker)
            await anyio.wait_all_tasks_blocked()  # the worker waits for the window
            await limiter.penalize(0.4)
            clock.advance(0.2)  # the window is over, the pause is not
            await until_the_clock_is_read()  # the worker woke and looked at the time
            await anyio.wait_all_tasks_blocked()
            assert granted_at == []
            clock.advance(0.21)
    assert len(granted_at) == 1 and granted_at[0] >= 0.4


@pytest.mark.parametrize("seconds", [LONGEST_PAUSE + 30, 1e9, 1e300])
async def test_a_penalty_longer_than_the_longest_pause_is_cut_to_it(seconds: float) -> None:
    """penalize() records at most LONGEST_PAUSE (a day): an absurd Retry-After cannot lock
    out every task sharing the limiter for years."""
    clock = Clock()
    limiter = oo.SlidingWindowRateLimiter(clock=clock)
    await limiter.penalize(seconds)
    clock.now += LONGEST_PAUSE + 0.001
    with anyio.fail_after(5):
        await limiter.acquire()  # neither raises "paused" nor sleeps


async def test_a_pause_over_a_minute_fails_fast_then_is_waited_out() -> None:
    """After penalize(120), acquire() raises RateLimitError (retry_after 120) at once; 61 s
    later, with 59 s left, it waits for the rest instead of raising."""
    clock = Clock()
    limiter = oo.SlidingWindowRateLimiter(clock=clock)
    await limiter.penalize(120)
    with anyio.fail_after(10), pytest.raises(oo.RateLimitError) as caught:  # hang guard
        await limiter.acquire()
    assert caught.value.retry_after == pytest.approx(120)
    assert limiter.stats().paused_for == pytest.approx(120)  # the full Retry-After
    clock.advance(61)
    granted: list[float] = []

    async def take() -> None:
        await limiter.acquire()
        granted.append(clock.now)

    with anyio.fail_after(10):  # hang guard
        async with anyio.create_task_group() as tg:
            tg.start_soon(take)  # raising here would fail the task group
            await anyio.wait_all_tasks_blocked()
            assert limiter.stats().waiting == 1  # sleeping in acquire(), not failed
            assert granted == []
            tg.cancel_scope.cancel()


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"limit": 0}, id="zero-limit"),
        pytest.param({"limit": True}, id="bool-limit"),
        pytest.param({"limit": 1.5}, id="float-limit"),
        pytest.param({"period": 0}, id="zero-period"),
        pytest.param({"period": float("inf")}, id="inf-period"),
        pytest.param({"margin": -1.0}, id="negative-margin"),
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, float]) -> None:
    """Nonsense limits raise ValueError at construction."""
    with pytest.raises(ValueError):
        oo.SlidingWindowRateLimiter(**kwargs)  # type: ignore[arg-type]


async def test_bad_penalty_is_refused() -> None:
    """A negative or non-finite penalty raises ValueError."""
    limiter = oo.SlidingWindowRateLimiter()
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            await limiter.penalize(bad)


def test_default_margin_is_small() -> None:
    """The safety margin is 1 % of the period, at most a quarter second."""
    assert oo.SlidingWindowRateLimiter(60, 60.0).margin == 0.25
    assert oo.SlidingWindowRateLimiter(60, 1.0).margin == pytest.approx(0.01)


def test_limiter_satisfies_protocol() -> None:
    """SlidingWindowRateLimiter is a RateLimiter."""
    assert isinstance(oo.SlidingWindowRateLimiter(), oo.RateLimiter)


async def test_client_default_limiter_and_sharing() -> None:
    """Each client gets its own 60/60 s limiter; with_options shares it unless replaced."""
    async with oo.Client() as a, oo.Client() as b:
        assert isinstance(a.rate_limiter, oo.SlidingWindowRateLimiter)
        assert (a.rate_limiter.limit, a.rate_limiter.period) == (60, 60.0)
        assert a.rate_limiter is not b.rate_limiter
        assert a.with_options(timeout=5).rate_limiter is a.rate_limiter
        other = oo.SlidingWindowRateLimiter(5, 1.0)
        assert a.with_options(rate_limiter=other).rate_limiter is other
        assert a.with_options(rate_limiter=None).rate_limiter is None
    async with oo.Client(rate_limiter=None) as c:
        assert c.rate_limiter is None
