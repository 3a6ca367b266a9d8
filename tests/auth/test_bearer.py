"""
BearerAuth, sign-in and sign-out: tokens installed, lazy and single-flight re-sign-in.
"""

from __future__ import annotations

import collections
import json

import anyio
import httpx
import pytest

from onlyonce_async import BearerAuth, Client, DecodeError, UnauthorizedError
from tests._support.helpers import CountingLimiter, Gate

BASE = "https://api.example.test/v2/"
USER = "ada@example.test"
PASSWORD = "correct horse battery staple"


class TokenServer:
    """A stateful fake: /signIn hands out numbered tokens; only the newest one is valid."""

    def __init__(self, *, password: str = PASSWORD) -> None:
        self.password = password
        self.issued = 0
        self.valid: str | None = None
        self.sign_ins: list[httpx.Request] = []
        self.seen: collections.Counter[str] = collections.Counter()
        self.rejected = 0
        self.gate: Gate | None = None

    def expire(self) -> None:
        """Invalidate the current token (as a server-side expiry would)."""
        self.valid = None

    async def handler(self, request: httpx.Request) -> httpx.Response:
        """Answer one request, after a checkpoint so concurrent calls really overlap."""
        await anyio.sleep(0.01)
        if request.url.path == "/v2/signIn":
            self.sign_ins.append(request)
            body = json.loads(request.content)
            if body != {"username": USER, "password": self.password}:
                return httpx.Response(401, json={"message": "Invalid credentials"})
            self.issued += 1
            self.valid = f"token-{self.issued}"
            return httpx.Response(200, headers={"Authorization": f"Bearer {self.valid}"})
        self.seen[request.url.path] += 1
        if request.url.path == "/v2/signOut":
            self.valid = None
            return httpx.Response(200)
        if self.gate is not None and request.url.path.startswith("/v2/item/"):
            await self.gate.arrive()
        if request.url.path == "/v2/busy":
            return httpx.Response(401, json={"status": "wrong-request-status"})
        if self.valid is None or request.headers.get("Authorization") != f"Bearer {self.valid}":
            self.rejected += 1
            return httpx.Response(401, json={"message": "Unauthorized"})
        return httpx.Response(200, json={"path": request.url.path})


def make_client(server: TokenServer, auth: httpx.Auth | None = None, **kwargs: object) -> Client:
    """A client on the fake server, without rate limiting unless one is given."""
    kwargs.setdefault("rate_limiter", None)
    return Client(
        base_url=BASE,
        auth=auth,
        transport=httpx.MockTransport(server.handler),
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.anyio
async def test_sign_in_installs_token_and_returns_it() -> None:
    """sign_in posts the credentials to /signIn, returns the token and installs a BearerAuth."""
    server = TokenServer()
    async with make_client(server) as client:
        token = await client.account.sign_in(USER, PASSWORD)
        assert token == "token-1"
        assert isinstance(client.auth, BearerAuth)
        assert client.auth.token == "token-1"
        assert await client.get("/things") == {"path": "/v2/things"}
    request = server.sign_ins[0]
    assert request.method == "POST"
    assert request.headers["Content-Type"] == "application/json"
    assert "Authorization" not in request.headers


@pytest.mark.anyio
async def test_sign_in_reuses_existing_bearer_auth() -> None:
    """An existing BearerAuth on the client receives the new token (same object)."""
    server = TokenServer()
    auth = BearerAuth("stale")
    async with make_client(server, auth) as client:
        await client.account.sign_in(USER, PASSWORD)
        assert client.auth is auth
        assert auth.token == "token-1"


@pytest.mark.anyio
async def test_sign_in_bad_credentials_raise_unauthorized() -> None:
    """A 401 from /signIn is an UnauthorizedError and leaves the client without a token."""
    server = TokenServer(password="other")
    async with make_client(server) as client:
        with pytest.raises(UnauthorizedError) as info:
            await client.account.sign_in(USER, PASSWORD)
        assert info.value.message == "Invalid credentials"
        assert client.auth is None


@pytest.mark.anyio
async def test_sign_in_without_header_is_decode_error() -> None:
    """A 200 from /signIn without a Bearer header is a DecodeError."""
    transport = httpx.MockTransport(lambda request: httpx.Response(200))
    async with Client(base_url=BASE, transport=transport, rate_limiter=None) as client:
        with pytest.raises(DecodeError):
            await client.account.sign_in(USER, PASSWORD)


@pytest.mark.anyio
async def test_sign_out_calls_server_and_clears_token() -> None:
    """sign_out sends GET /signOut with the token, then forgets it."""
    server = TokenServer()
    async with make_client(server) as client:
        await client.account.sign_in(USER, PASSWORD)
        await client.account.sign_out()
        assert isinstance(client.auth, BearerAuth)
        assert client.auth.token is None
        assert server.seen["/v2/signOut"] == 1
        await client.account.sign_out()  # nothing to invalidate: nothing is sent
        assert server.seen["/v2/signOut"] == 1


@pytest.mark.anyio
async def test_with_credentials_signs_in_lazily_once() -> None:
    """The first request signs in at base_url + signIn; later requests reuse the token."""
    server = TokenServer()
    auth = BearerAuth.with_credentials(USER, PASSWORD)
    initial = auth.token
    async with make_client(server, auth) as client:
        for _ in range(3):
            assert await client.get("/a") == {"path": "/v2/a"}
    assert [str(r.url) for r in server.sign_ins] == [BASE + "signIn"]
    assert (initial, auth.token) == (None, "token-1")
    assert server.rejected == 0


@pytest.mark.anyio
async def test_sign_in_goes_to_the_clients_base_path() -> None:
    """The sign-in URL keeps the client's base path, whatever the request's path."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if request.url.path.endswith("/signIn"):
            return httpx.Response(200, headers={"Authorization": "Bearer t"})
        return httpx.Response(200, json=None)

    auth = BearerAuth.with_credentials(USER, PASSWORD)
    async with Client(
        base_url="https://api.example.test/gateway/v2",
        auth=auth,
        transport=httpx.MockTransport(handler),
        rate_limiter=None,
    ) as client:
        await client.get("/profiles/abc/cards")
    assert seen == ["/gateway/v2/signIn", "/gateway/v2/profiles/abc/cards"]


@pytest.mark.anyio
async def test_concurrent_first_requests_sign_in_once() -> None:
    """Fifty concurrent first requests cause exactly one sign-in."""
    server = TokenServer()
    auth = BearerAuth.with_credentials(USER, PASSWORD)
    async with make_client(server, auth) as client, anyio.create_task_group() as tg:
        for i in range(50):
            tg.start_soon(client.get, f"/item/{i}")
    assert len(server.sign_ins) == 1
    assert server.rejected == 0


@pytest.mark.anyio
async def test_expired_token_single_flight_resign_in() -> None:
    """Fifty concurrent requests meeting an expired token: one sign-in, each replayed once."""
    server = TokenServer()
    auth = BearerAuth.with_credentials(USER, PASSWORD)
    results: dict[int, object] = {}

    async def call(i: int) -> None:
        results[i] = await client.get(f"/item/{i}")

    async with make_client(server, auth) as client:
        await client.get("/warm-up")
        server.expire()
        server.gate = Gate(50)  # all fifty meet the expired token
        async with anyio.create_task_group() as tg:
            for i in range(50):
                tg.start_soon(call, i)
    assert len(server.sign_ins) == 2  # the first one, and exactly one re-sign-in
    assert results == {i: {"path": f"/v2/item/{i}"} for i in range(50)}
    assert all(server.seen[f"/v2/item/{i}"] <= 2 for i in range(50))
    assert all(server.seen[f"/v2/item/{i}"] == 2 for i in range(50))
    assert server.rejected == 50  # all fifty met the expired token concurrently
    assert auth.token == "token-2"


@pytest.mark.anyio
async def test_rejected_sign_in_is_final() -> None:
    """A 401 from /signIn itself reaches the caller as UnauthorizedError, never retried."""
    server = TokenServer(password="changed")
    auth = BearerAuth.with_credentials(USER, PASSWORD)
    async with make_client(server, auth, max_retries=3) as client:
        with pytest.raises(UnauthorizedError) as info:
            await client.get("/a")
    assert info.value.message == "Invalid credentials"
    assert len(server.sign_ins) == 1
    assert server.seen["/v2/a"] == 0


@pytest.mark.anyio
async def test_rejected_re_sign_in_is_final() -> None:
    """When the re-sign-in after a 401 fails, its 401 is raised and nothing is replayed."""
    server = TokenServer()
    auth = BearerAuth.with_credentials(USER, PASSWORD)
    async with make_client(server, auth) as client:
        await client.get("/a")
        server.expire()
        server.password = "changed"
        with pytest.raises(UnauthorizedError) as info:
            await client.get("/b")
    assert info.value.message == "Invalid credentials"
    assert len(server.sign_ins) == 2
    assert server.seen["/v2/b"] == 1


@pytest.mark.anyio
async def test_status_string_401_does_not_sign_in_again() -> None:
    """A 401 about the call (wrong-request-status) is not a token problem: no re-sign-in."""
    server = TokenServer()
    auth = BearerAuth.with_credentials(USER, PASSWORD)
    async with make_client(server, auth) as client:
        with pytest.raises(UnauthorizedError) as info:
            await client.post("/busy", json={"ids": []})
    assert info.value.status == "wrong-request-status"
    assert len(server.sign_ins) == 1
    assert server.seen["/v2/busy"] == 1


@pytest.mark.anyio
async def test_fixed_token_401_is_raised() -> None:
    """Without credentials a 401 is simply raised, with no sign-in attempt."""
    server = TokenServer()
    async with make_client(server, BearerAuth("nope")) as client:
        with pytest.raises(UnauthorizedError):
            await client.get("/a")
    assert server.sign_ins == []


@pytest.mark.anyio
async def test_sign_in_and_replay_pass_the_rate_limiter() -> None:
    """Every request the auth flow sends (sign-ins and replays) is counted by the limiter."""
    server = TokenServer()
    limiter = CountingLimiter()
    auth = BearerAuth.with_credentials(USER, PASSWORD)
    async with make_client(server, auth, rate_limiter=limiter) as client:
        await client.get("/a")
        assert limiter.acquired == 2  # sign-in + request
        server.expire()
        await client.get("/b")
        assert limiter.acquired == 5  # rejected request + sign-in + replay
    assert len(server.sign_ins) == 2


@pytest.mark.anyio
async def test_with_credentials_on_a_bare_httpx_client() -> None:
    """Outside a Client, base_url= tells the auth where to sign in; without it, it refuses."""
    server = TokenServer()
    transport = httpx.MockTransport(server.handler)
    auth = BearerAuth.with_credentials(USER, PASSWORD, base_url="https://api.example.test/v2")
    async with httpx.AsyncClient(transport=transport, auth=auth) as http:
        response = await http.get(BASE + "a")
    assert response.status_code == 200
    assert [str(r.url) for r in server.sign_ins] == [BASE + "signIn"]
    lost = BearerAuth.with_credentials(USER, PASSWORD)
    async with httpx.AsyncClient(transport=transport, auth=lost) as http:
        with pytest.raises(RuntimeError, match="does not know where to sign in"):
            await http.get(BASE + "a")


def test_sync_flow_sends_fixed_token_only() -> None:
    """The sync flow attaches a fixed token and refuses credentials (signing in is async)."""
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("Authorization"))
        return httpx.Response(200)

    with httpx.Client(transport=httpx.MockTransport(handler), auth=BearerAuth("abc")) as http:
        http.get(BASE)
    assert seen == ["Bearer abc"]
    auth = BearerAuth.with_credentials(USER, PASSWORD)
    transport = httpx.MockTransport(handler)
    with httpx.Client(transport=transport, auth=auth) as http, pytest.raises(RuntimeError):
        http.get(BASE)


@pytest.mark.parametrize(
    ("username", "password", "error"),
    [
        pytest.param("", PASSWORD, ValueError, id="empty-username"),
        pytest.param(USER, " ", ValueError, id="blank-password"),
        pytest.param(USER, None, TypeError, id="none-password"),
    ],
)
def test_with_credentials_checks_arguments(
    username: str, password: str, error: type[Exception]
) -> None:
    """Empty or non-string credentials are refused before anything is sent."""
    with pytest.raises(error):
        BearerAuth.with_credentials(username, password)


def test_auth_is_built_outside_an_event_loop() -> None:
    """Building (and configuring) a BearerAuth needs no running event loop."""
    auth = BearerAuth.with_credentials(USER, PASSWORD)
    auth.token = "x"
    assert auth.has_credentials
    assert auth.token == "x"
