"""
One sign-in (or one access renewal) per episode, its outcome shared by every waiting call;
and a signed-in token bound to the origin it came from.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import anyio
import httpx
import pytest

import onlyonce_async as oo
from onlyonce_async.testing import BASE_URL, Sandbox
from tests._support.clocks import Clock
from tests._support.helpers import Gate, fast_client

pytestmark = pytest.mark.anyio

CALLS = 30


class CountingAuth(oo.BearerAuth):
    """A with_credentials auth that signals once ``expected`` flows have started."""

    expected = CALLS

    def __init__(self, token: str | None = None) -> None:
        super().__init__(token)
        self.started = 0
        self.all_started = anyio.Event()

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """Count the flow, then run BearerAuth's."""
        self.started += 1
        if self.started == self.expected:
            self.all_started.set()
        flow = super().async_auth_flow(request)
        try:
            outgoing = await flow.__anext__()
            while True:
                response = yield outgoing
                try:
                    outgoing = await flow.asend(response)
                except StopAsyncIteration:
                    return
        finally:
            await flow.aclose()


def counting_auth() -> CountingAuth:
    """A CountingAuth with credentials."""
    auth = CountingAuth.with_credentials("a@example.com", "refused-password")
    assert isinstance(auth, CountingAuth)
    return auth


class SignInServer:
    """/signIn answers ``status`` once every call has started; counts sign-ins."""

    def __init__(self, auth: CountingAuth, status: int) -> None:
        self.auth = auth
        self.status = status
        self.sign_ins = 0
        self.calls = 0

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request."""
        if request.url.path.endswith("/signIn"):
            self.sign_ins += 1
            # Hold the sign-in until every call is waiting for it (no timing involved).
            await self.auth.all_started.wait()
            return httpx.Response(self.status, json={"message": "no"})
        self.calls += 1
        return httpx.Response(200, json={})


@pytest.mark.parametrize(
    ("status", "error", "sign_ins"),
    [
        pytest.param(401, oo.UnauthorizedError, 1, id="refused-password"),
        # The leader's own retries are new episodes (1 + max_retries); waiters share one.
        pytest.param(503, oo.ServerError, 3, id="unavailable"),
    ],
)
async def test_one_failed_sign_in_fails_every_waiting_call(
    status: int, error: type[Exception], sign_ins: int
) -> None:
    """30 concurrent calls with a refused password send one sign-in (not 30), and all 30
    fail with its error; a 503 costs 1 + max_retries sign-ins, not 90."""
    auth = counting_auth()
    server = SignInServer(auth, status)
    failures: list[BaseException] = []

    async def call(client: oo.Client) -> None:
        try:
            await client.get("x")
        except oo.OnlyOnceError as exc:
            failures.append(exc)

    async with fast_client(
        transport=httpx.MockTransport(server.handle), auth=auth, max_retries=2
    ) as client:
        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:
                for _ in range(CALLS):
                    tg.start_soon(call, client)
    assert server.sign_ins == sign_ins
    assert server.calls == 0
    assert len(failures) == CALLS and all(isinstance(f, error) for f in failures)


async def test_a_rejected_token_episode_signs_in_once_and_shares_the_failure() -> None:
    """30 calls whose token is rejected at once cause one sign-in; when it is refused,
    every one of them fails with that refusal."""
    gate = Gate(CALLS)
    sign_ins = 0

    async def handle(request: httpx.Request) -> httpx.Response:
        nonlocal sign_ins
        if request.url.path.endswith("/signIn"):
            sign_ins += 1
            if sign_ins == 1:
                return httpx.Response(200, headers={"Authorization": "Bearer t1"})
            return httpx.Response(401, json={"message": "Invalid credentials"})
        # Every call gets its 401 only once all of them were sent with the same token.
        await gate.arrive()
        return httpx.Response(401, json={"message": "Token expired"})

    auth = oo.BearerAuth.with_credentials("a@example.com", "pw")
    async with fast_client(transport=httpx.MockTransport(handle), auth=auth) as client:
        await client.account.sign_in("a@example.com", "pw")
        failures: list[BaseException] = []

        async def call() -> None:
            try:
                await client.get("x")
            except oo.UnauthorizedError as exc:
                failures.append(exc)

        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:
                for _ in range(CALLS):
                    tg.start_soon(call)
    assert sign_ins == 2  # the explicit one, then one for the whole episode
    assert len(failures) == CALLS


async def test_forty_waiters_on_a_changed_pass_phrase_send_one_access_request() -> None:
    """When access expired and the pass phrase was changed meanwhile, 40 concurrent calls
    send POST /access once, and all 40 fail with its WrongSecretKeyError."""
    clock = Clock()
    sandbox = Sandbox(rate_limit=None, access_ttl=60.0, clock=clock)
    user = sandbox.create_user(email="u@example.com", password="pw-1", pass_phrase="phrase-1")
    inner = sandbox.transport()
    gate = Gate(40)
    access_posts = 0

    class Counting(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            nonlocal access_posts
            if request.method == "POST" and request.url.path.endswith("/access"):
                access_posts += 1
            elif request.url.path.endswith("/dataStore"):
                await gate.arrive()  # all 40 calls are sent before any is answered
            return await inner.handle_async_request(request)

    auth = oo.BearerAuth.with_credentials(user.email, user.password)
    async with oo.Client(
        base_url=BASE_URL, transport=Counting(), auth=auth, rate_limiter=None
    ) as client:
        await client.profiles.enable_access(user.profile_id, "phrase-1")
        await client.profiles.change_pass_phrase(user.profile_id, "phrase-1", "phrase-2")
        clock.advance(61.0)
        access_posts = 0
        failures: list[BaseException] = []

        async def call() -> None:
            try:
                await client.datastore.get(user.profile_id)
            except oo.WrongSecretKeyError as exc:
                failures.append(exc)

        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:
                for _ in range(40):
                    tg.start_soon(call)
    assert access_posts == 1
    assert len(failures) == 40


class TwoOrigins:
    """Two API origins behind one transport, each issuing its own token."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str | None]] = []

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """Sign in per host; record which token reached which host."""
        host = request.url.host
        if request.url.path.endswith("/signIn"):
            return httpx.Response(200, headers={"Authorization": f"Bearer tok-{host}"})
        self.seen.append((host, request.headers.get("Authorization")))
        return httpx.Response(200, json={})


async def test_a_token_never_goes_to_another_origin() -> None:
    """One with_credentials auth shared by clients of two origins sends each origin only
    the token that origin issued."""
    server = TwoOrigins()
    transport = httpx.MockTransport(server.handle)
    auth = oo.BearerAuth.with_credentials("a@example.com", "pw")
    a = fast_client(base_url="https://a.example/v2/", transport=transport, auth=auth)
    b = fast_client(base_url="https://b.example/v2/", transport=transport, auth=auth)
    async with a, b:
        for client in (a, b, a, b):
            await client.get("x")
    assert server.seen
    for host, authorization in server.seen:
        assert authorization == f"Bearer tok-{host}"


async def test_a_signed_in_token_is_not_sent_to_another_origin() -> None:
    """A token installed by account.sign_in on one client is not sent by a client of
    another origin sharing the auth object."""
    server = TwoOrigins()
    transport = httpx.MockTransport(server.handle)
    async with fast_client(base_url="https://a.example/v2/", transport=transport) as a:
        await a.account.sign_in("a@example.com", "pw")
        async with fast_client(
            base_url="https://b.example/v2/", transport=transport, auth=a.auth
        ) as b:
            await b.get("x")
        await a.get("x")
    assert ("b.example", None) in server.seen
    assert ("a.example", "Bearer tok-a.example") in server.seen


async def test_a_hanging_sign_in_ends_every_waiter_with_one_attempt() -> None:
    """A sign-in that never answers, with 10 calls waiting on it, is attempted once: its
    caller times out (timeout is per attempt) and the other 9 fail with it, instead of
    each waiting a timeout of its own in turn."""
    auth = counting_auth()
    auth.expected = 10
    server = SignInServer(auth, 200)

    async def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/signIn"):
            server.sign_ins += 1
            await anyio.sleep_forever()
        return await server.handle(request)

    failures: list[BaseException] = []

    async def call(client: oo.Client) -> None:
        try:
            await client.get("x")
        except oo.OnlyOnceError as exc:
            failures.append(exc)

    async with fast_client(
        transport=httpx.MockTransport(handle), auth=auth, max_retries=0, timeout=0.5
    ) as client:
        with anyio.fail_after(30):  # a hang guard only
            async with anyio.create_task_group() as tg:
                for _ in range(10):
                    tg.start_soon(call, client)
    assert server.sign_ins == 1
    assert len(failures) == 10
    assert all(isinstance(f, oo.TransportError) for f in failures)
    assert sum(isinstance(f, oo.RequestTimeout) for f in failures) >= 1
