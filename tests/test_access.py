"""
Profile access: enable_access, remembered pass phrases, single-flight renewal on expiry.
"""

from __future__ import annotations

import collections
import uuid

import anyio
import httpx
import pytest

from onlyonce_async import BearerAuth, Client, WrongSecretKeyError
from onlyonce_async._access import ProfileAccess, enable_access, expired_profile

from .helpers import FAST_RETRIES, CountingLimiter, Gate

BASE = "https://api.example.test/v2/"
PID = uuid.UUID("6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f")
PHRASE = "open sesame 77"


class AccessServer:
    """A fake with per-profile access that can be expired at will."""

    def __init__(self, *, data_names_profile: bool = True) -> None:
        self.phrase = PHRASE
        self.granted: set[str] = set()
        self.expired: set[str] = set()
        self.access_calls: list[httpx.Request] = []
        self.hits: collections.Counter[str] = collections.Counter()
        self.data_names_profile = data_names_profile
        self.stay_expired = False
        self.expired_answers = 0
        self.gate: Gate | None = None

    def expire(self, pid: uuid.UUID = PID) -> None:
        """End the access to ``pid`` (as its TTL running out would)."""
        self.granted.discard(str(pid))
        self.expired.add(str(pid))

    async def handler(self, request: httpx.Request) -> httpx.Response:
        """Answer one request, after a checkpoint so concurrent calls really overlap."""
        await anyio.sleep(0.01)
        parts = request.url.path.split("/")  # ["", "v2", "profiles", id, ...]
        if parts[2:3] == ["profiles"] and parts[4:] == ["access"]:
            self.access_calls.append(request)
            if request.headers.get("Secret-Key") != self.phrase:
                return httpx.Response(401, json={"status": "wrong-secret-key"})
            if not self.stay_expired:
                self.granted.add(parts[3])
                self.expired.discard(parts[3])
            return httpx.Response(200)
        pid = parts[3] if parts[2:3] == ["profiles"] else request.url.params.get("profileId", "")
        self.hits[request.url.raw_path.decode()] += 1
        if self.gate is not None:
            await self.gate.arrive()
        if pid in self.granted:
            return httpx.Response(200, json=[])
        if pid in self.expired:
            self.expired_answers += 1
            body: dict[str, str] = {
                "status": "wrong-secret-key",
                "message": f"Secret key for profile {pid} expired",
            }
            if self.data_names_profile:
                body["data"] = f"Secret key for profile {pid} expired"
            else:
                body["data"] = "expired"
            return httpx.Response(401, json=body)
        return httpx.Response(
            401,
            json={"status": "wrong-secret-key", "message": f"Access to profile {pid} required"},
        )


def make_client(server: AccessServer, **kwargs: object) -> Client:
    """A client on the fake, without rate limiting unless given."""
    kwargs.setdefault("rate_limiter", None)
    return Client(
        base_url=BASE,
        transport=httpx.MockTransport(server.handler),
        retry_policy=FAST_RETRIES,
        **kwargs,  # type: ignore[arg-type]
    )


DATASTORE = f"/profiles/{PID}/dataStore"


@pytest.mark.anyio
async def test_enable_access_sends_secret_key_and_remembers() -> None:
    """enable_access posts the pass phrase in Secret-Key and remembers it by default."""
    server = AccessServer()
    async with make_client(server) as client:
        await enable_access(client, str(PID), PHRASE)
        assert await client.get(DATASTORE) == []
        assert client.profile_access.pass_phrase(PID) == PHRASE
    request = server.access_calls[0]
    assert request.method == "POST"
    assert request.url.path == f"/v2/profiles/{PID}/access"
    assert request.headers["Secret-Key"] == PHRASE


@pytest.mark.anyio
async def test_expired_access_is_renewed_and_replayed() -> None:
    """With remember, an expired access is re-enabled once and the call replayed."""
    server = AccessServer()
    async with make_client(server) as client:
        await enable_access(client, PID, PHRASE)
        server.expire()
        assert await client.get(DATASTORE) == []
    assert len(server.access_calls) == 2
    assert server.hits[f"/v2{DATASTORE}"] == 2


@pytest.mark.anyio
async def test_concurrent_expiry_renews_once() -> None:
    """Twenty concurrent calls meeting the expiry cause exactly one renewal."""
    server = AccessServer()
    results: list[object] = []

    async def call(i: int) -> None:
        results.append(await client.get(DATASTORE, params={"i": i}))

    async with make_client(server) as client:
        await enable_access(client, PID, PHRASE)
        server.expire()
        server.gate = Gate(20)  # all twenty meet the same expired state
        async with anyio.create_task_group() as tg:
            for i in range(20):
                tg.start_soon(call, i)
    assert results == [[]] * 20
    assert server.expired_answers == 20  # all twenty met the expiry concurrently
    assert len(server.access_calls) == 2  # enable + one renewal
    assert all(server.hits[f"/v2{DATASTORE}?i={i}"] <= 2 for i in range(20))


@pytest.mark.anyio
async def test_without_remember_expiry_reaches_caller() -> None:
    """remember=False: WrongSecretKeyError(expired=True) is raised, nothing renewed."""
    server = AccessServer()
    async with make_client(server) as client:
        await enable_access(client, PID, PHRASE, remember=False)
        server.expire()
        with pytest.raises(WrongSecretKeyError) as info:
            await client.get(DATASTORE)
        assert client.profile_access.pass_phrase(PID) is None
    assert info.value.expired is True
    assert len(server.access_calls) == 1


@pytest.mark.anyio
async def test_remember_false_forgets_earlier_phrase() -> None:
    """Enabling again with remember=False drops a pass phrase remembered before."""
    server = AccessServer()
    async with make_client(server) as client:
        await enable_access(client, PID, PHRASE)
        await enable_access(client, PID, PHRASE, remember=False)
        server.expire()
        with pytest.raises(WrongSecretKeyError):
            await client.get(DATASTORE)


@pytest.mark.anyio
async def test_wrong_pass_phrase_is_not_remembered() -> None:
    """A refused pass phrase raises WrongSecretKeyError(expired=False) and is not kept."""
    server = AccessServer()
    async with make_client(server) as client:
        with pytest.raises(WrongSecretKeyError) as info:
            await enable_access(client, PID, "wrong phrase")
        assert client.profile_access.pass_phrase(PID) is None
    assert info.value.expired is False


@pytest.mark.anyio
async def test_access_required_is_not_renewed() -> None:
    """A call that never had access (not expired) is not renewed, even with a phrase."""
    server = AccessServer()
    async with make_client(server) as client:
        client.profile_access.remember(PID, PHRASE)
        with pytest.raises(WrongSecretKeyError) as info:
            await client.get(DATASTORE)
    assert info.value.expired is False
    assert server.access_calls == []


@pytest.mark.anyio
@pytest.mark.parametrize(
    "where",
    [pytest.param("path", id="id-from-path"), pytest.param("query", id="id-from-profileId")],
)
async def test_profile_id_found_without_data(where: str) -> None:
    """Without an id in the error data, the path or the profileId parameter names it."""
    server = AccessServer(data_names_profile=False)
    async with make_client(server) as client:
        await enable_access(client, PID, PHRASE)
        server.expire()
        if where == "path":
            assert await client.get(DATASTORE) == []
        else:
            assert await client.get("/consolidated", params={"profileId": str(PID)}) == []
    assert len(server.access_calls) == 2


@pytest.mark.anyio
async def test_failed_renewal_surfaces_and_does_not_recurse() -> None:
    """When the remembered phrase no longer works, the renewal's error is raised."""
    server = AccessServer()
    async with make_client(server) as client:
        await enable_access(client, PID, PHRASE)
        server.expire()
        server.phrase = "changed"
        with pytest.raises(WrongSecretKeyError) as info:
            await client.get(DATASTORE)
    assert info.value.expired is False
    assert len(server.access_calls) == 2
    assert server.hits[f"/v2{DATASTORE}"] == 1


@pytest.mark.anyio
async def test_replayed_only_once() -> None:
    """If access is still expired after renewal, the replay's error is raised (no loop)."""
    server = AccessServer()
    async with make_client(server, max_retries=3) as client:
        await enable_access(client, PID, PHRASE)
        server.expire()
        server.stay_expired = True
        with pytest.raises(WrongSecretKeyError) as info:
            await client.get(DATASTORE)
    assert info.value.expired is True
    assert len(server.access_calls) == 2
    assert server.hits[f"/v2{DATASTORE}"] == 2


@pytest.mark.anyio
async def test_renewal_passes_the_rate_limiter() -> None:
    """The renewal request and the replay are both counted by the rate limiter."""
    server = AccessServer()
    limiter = CountingLimiter()
    async with make_client(server, rate_limiter=limiter) as client:
        await enable_access(client, PID, PHRASE)
        server.expire()
        before = limiter.acquired
        await client.get(DATASTORE)
    assert limiter.acquired - before == 3  # expired call, renewal, replay


def test_access_request_itself_is_never_renewed() -> None:
    """expired_profile returns None for POST /profiles/{id}/access (no recursion)."""
    error = WrongSecretKeyError(
        "expired", expired=True, status_code=401, data=f"Secret key for profile {PID} expired"
    )
    access = httpx.Request("POST", f"{BASE}profiles/{PID}/access")
    assert expired_profile(error, access, httpx.URL(BASE)) is None
    other = httpx.Request("GET", f"{BASE}profiles/{PID}/dataStore")
    assert expired_profile(error, other, httpx.URL(BASE)) == PID


def test_profile_access_repr_hides_phrases() -> None:
    """ProfileAccess never shows a pass phrase."""
    access = ProfileAccess()
    access.remember(PID, PHRASE)
    assert PHRASE not in repr(access)
    assert PHRASE not in str(access)


@pytest.mark.anyio
async def test_renewal_goes_through_the_clients_auth_flow() -> None:
    """The access request carries the client's bearer token; one POST, one replay."""
    server = AccessServer()
    async with make_client(server, auth=BearerAuth("tok-1")) as client:
        await enable_access(client, PID, PHRASE)
        server.expire()
        assert await client.get(DATASTORE, params={"page": None}) == []
    renewal = server.access_calls[-1]
    assert len(server.access_calls) == 2
    assert renewal.headers["Authorization"] == "Bearer tok-1"
    assert renewal.headers["Secret-Key"] == PHRASE
    assert server.hits[f"/v2{DATASTORE}"] == 2  # the expired call, and its one replay


@pytest.mark.anyio
async def test_renewal_of_a_with_options_client_shares_the_episode() -> None:
    """Calls through a with_options client (same identity) and its parent renew once."""
    server = AccessServer()
    async with make_client(server) as client:
        await enable_access(client, PID, PHRASE)
        server.expire()
        other = client.with_options(timeout=5.0)
        server.gate = Gate(2)
        async with anyio.create_task_group() as tg:
            tg.start_soon(client.get, DATASTORE)
            tg.start_soon(other.get, DATASTORE)
    assert len(server.access_calls) == 2  # enable_access, then one renewal


@pytest.mark.anyio
async def test_a_renewal_answered_503_is_retried_as_the_call() -> None:
    """The renewal is a step of the call's attempt: a 503 on it is retried like the call."""
    server = AccessServer()
    handle = server.handler
    unavailable = 1

    async def flaky(request: httpx.Request) -> httpx.Response:
        nonlocal unavailable
        if request.url.path.endswith("/access") and server.access_calls and unavailable:
            unavailable -= 1
            server.access_calls.append(request)
            return httpx.Response(503)
        return await handle(request)

    server.handler = flaky  # type: ignore[method-assign]
    async with make_client(server, max_retries=2) as client:
        await enable_access(client, PID, PHRASE)
        server.expire()
        assert await client.get(DATASTORE) == []
    assert len(server.access_calls) == 3  # enable, the 503 renewal, the renewal that worked
