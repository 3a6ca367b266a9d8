"""
The core request layer: URLs, headers, options, decoding, origins, lifecycle and deadlines.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import anyio
import httpx
import pytest
import respx

import onlyonce_async as oo
from tests._support.helpers import BASE, CountingLimiter, Recorder, fast_client

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("path", ["/heartbeat", "heartbeat", "//heartbeat"])
async def test_paths_join_below_the_base_path(path: str) -> None:
    """A leading slash (or two) never escapes the base path."""
    rec = Recorder()
    async with fast_client(transport=rec.transport()) as client:
        await client.get(path)
    assert str(rec.requests[0].url) == "https://api.onlyonce.com/v2/heartbeat"


async def test_base_url_without_trailing_slash_keeps_its_path() -> None:
    """base_url ".../v2" is treated as ".../v2/"."""
    rec = Recorder()
    async with fast_client(base_url="https://example.test/api/v2", transport=rec.transport()) as c:
        await c.get("profiles")
    assert rec.requests[0].url.path == "/api/v2/profiles"


async def test_default_headers() -> None:
    """Every request names the SDK and its version and asks for JSON."""
    rec = Recorder()
    async with fast_client(transport=rec.transport(), headers={"X-Extra": "1"}) as client:
        await client.get("x", headers={"X-Call": "2"})
    headers = rec.requests[0].headers
    assert headers["User-Agent"].startswith(f"onlyonce-async/{oo.__version__}")
    assert headers["Accept"] == "application/json"
    assert headers["X-Extra"] == "1" and headers["X-Call"] == "2"


@pytest.mark.parametrize("own_pool", [True, False], ids=["sdk-pool", "caller-pool"])
async def test_a_calls_headers_win_over_every_default(own_pool: bool) -> None:
    """A call's headers replace the client's, the SDK's and the JSON content type; the
    other defaults stay, whichever connection pool carries them."""
    rec = Recorder()
    caller_pool = None if own_pool else httpx.AsyncClient(transport=rec.transport())
    options: dict[str, object] = (
        {"transport": rec.transport()} if own_pool else {"http_client": caller_pool}
    )
    async with fast_client(headers={"X-Extra": "client", "Accept": "text/csv"}, **options) as c:
        await c.post(
            "x",
            json={"a": 1},
            headers={"X-Extra": "call", "User-Agent": "mine/1", "Content-Type": "text/x"},
        )
        await c.post("y", json={"a": 1})
    if caller_pool is not None:
        await caller_pool.aclose()
    first, second = (r.headers for r in rec.requests)
    assert first.get_list("X-Extra") == ["call"]
    assert first.get_list("User-Agent") == ["mine/1"]
    assert first.get_list("Content-Type") == ["text/x"]
    assert first["Accept"] == "text/csv"
    assert second["X-Extra"] == "client"
    assert second["User-Agent"].startswith("onlyonce-async/")
    assert second.get_list("Content-Type") == ["application/json"]


async def test_options_reach_the_wire() -> None:
    """params (lists repeated, None dropped, UUIDs and enums as strings) and json are sent."""
    rec = Recorder()
    some_id = uuid.uuid4()
    async with fast_client(transport=rec.transport()) as client:
        await client.post(
            "things",
            json={"id": some_id, "n": 1, "text": "é"},
            params={"a": ["1", "2"], "skip": None, "id": some_id, "flag": True},
        )
    request = rec.requests[0]
    assert request.method == "POST"
    assert request.url.params.get_list("a") == ["1", "2"]
    assert "skip" not in request.url.params
    assert request.url.params["id"] == str(some_id)
    assert request.url.params["flag"] == "true"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {"id": str(some_id), "n": 1, "text": "é"}


async def test_data_files_and_content_options() -> None:
    """Form data, multipart files and raw content are passed through to httpx."""
    rec = Recorder()
    async with fast_client(transport=rec.transport()) as client:
        await client.request("POST", "form", data={"a": "b"})
        await client.request("POST", "upload", files={"file": ("a.txt", b"hello", "text/plain")})
        await client.request("PUT", "raw", content=b"\x00\x01")
    assert rec.requests[0].content == b"a=b"
    assert b"hello" in rec.requests[1].content
    assert rec.requests[1].headers["Content-Type"].startswith("multipart/form-data")
    assert rec.requests[2].content == b"\x00\x01"


async def test_json_with_content_is_refused() -> None:
    """json and content together are a caller error, raised before sending."""
    rec = Recorder()
    async with fast_client(transport=rec.transport()) as client:
        with pytest.raises(ValueError):
            await client.request("POST", "x", json={"a": 1}, content=b"x")
    assert rec.requests == []


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        pytest.param(httpx.Response(200), None, id="empty"),
        pytest.param(httpx.Response(200, content=b"  \n"), None, id="whitespace"),
        pytest.param(
            httpx.Response(200, json="6c0d1b1e-0000-4000-8000-000000000000"),
            "6c0d1b1e-0000-4000-8000-000000000000",
            id="json-string",
        ),
        pytest.param(httpx.Response(200, json=[1, 2]), [1, 2], id="list"),
        pytest.param(httpx.Response(204), None, id="204"),
    ],
)
async def test_decoding(response: httpx.Response, expected: Any) -> None:
    """Bodies decode as JSON; an empty body is None."""
    async with fast_client(transport=Recorder(response).transport()) as client:
        assert await client.get("x") == expected


async def test_request_raw_returns_the_response() -> None:
    """request_raw gives the final response with headers intact."""
    rec = Recorder(httpx.Response(200, headers={"Authorization": "Bearer t"}))
    async with fast_client(transport=rec.transport()) as client:
        response = await client.request_raw("POST", "signIn", json={})
    assert response.headers["Authorization"] == "Bearer t"


async def test_request_raw_raises_for_errors() -> None:
    """Non-2xx responses raise from request_raw too."""
    rec = Recorder(httpx.Response(404, json={"message": "nope"}))
    async with fast_client(transport=rec.transport()) as client:
        with pytest.raises(oo.NotFoundError):
            await client.request_raw("GET", "x")


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
async def test_shortcuts_delegate(method: str) -> None:
    """Each shortcut sends its method."""
    rec = Recorder()
    async with fast_client(transport=rec.transport()) as client:
        await getattr(client, method.lower())("x")
    assert rec.requests[0].method == method


async def test_custom_methods_work() -> None:
    """Any method token works through request(); junk is refused."""
    rec = Recorder()
    async with fast_client(transport=rec.transport()) as client:
        await client.request("propfind", "x")
        with pytest.raises(ValueError):
            await client.request("GET /x", "x")
    assert rec.requests[0].method == "PROPFIND"
    assert len(rec.requests) == 1


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/v2/x",
        "http://api.onlyonce.com/v2/x",
        "https://api.onlyonce.com:8443/v2/x",
    ],
)
async def test_other_origins_are_refused(url: str) -> None:
    """An absolute URL to another origin raises ValueError and sends nothing."""
    rec = Recorder()
    async with fast_client(transport=rec.transport(), auth=oo.BearerAuth("secret")) as client:
        with pytest.raises(ValueError):
            await client.get(url)
    assert rec.requests == []


async def test_same_origin_absolute_url_is_allowed() -> None:
    """An absolute URL of the base origin is sent as given."""
    rec = Recorder()
    async with fast_client(transport=rec.transport()) as client:
        await client.get("https://api.onlyonce.com/other/x")
    assert rec.requests[0].url.path == "/other/x"


@pytest.mark.parametrize(
    ("base_url", "allowed"),
    [
        ("http://api.example.com/v2/", False),
        ("http://localhost:8080/v2/", True),
        ("http://127.0.0.1:8080/v2/", True),
        ("http://[::1]:8080/v2/", True),
        ("https://api.example.com/v2/", True),
    ],
)
def test_plain_http_only_to_loopback(base_url: str, allowed: bool) -> None:
    """Plain http is refused for non-loopback hosts unless explicitly allowed."""
    if allowed:
        oo.Client(base_url=base_url)
    else:
        with pytest.raises(ValueError, match="allow_insecure_http"):
            oo.Client(base_url=base_url)
        oo.Client(base_url=base_url, allow_insecure_http=True)


@pytest.mark.parametrize(
    "base_url",
    ["ftp://x/", "/relative", "not a url", "http://127.0.0.1:99999/", "https://h:0/v2/"],
)
def test_base_url_must_be_absolute_http(base_url: str) -> None:
    """A base_url that is not an absolute http(s) URL with a usable port is refused (not
    an OverflowError from the socket at the first call)."""
    with pytest.raises(ValueError):
        oo.Client(base_url=base_url)


async def test_own_http_client_is_used_and_not_closed() -> None:
    """A caller's httpx.AsyncClient is used and left open by aclose()."""
    rec = Recorder()
    http = httpx.AsyncClient(transport=rec.transport())
    async with fast_client(http_client=http) as client:
        await client.get("x")
    assert len(rec.requests) == 1
    assert not http.is_closed
    await http.aclose()


async def test_own_client_closed_by_aclose() -> None:
    """The SDK closes the httpx client it created."""
    client = fast_client(transport=Recorder().transport())
    await client.aclose()
    assert client.http_client.is_closed
    with pytest.raises(oo.ClientClosedError):
        await client.get("x")


def test_http_client_and_transport_are_exclusive() -> None:
    """Passing both http_client and transport is refused."""
    with pytest.raises(ValueError):
        oo.Client(http_client=httpx.AsyncClient(), transport=httpx.MockTransport(Recorder()))


async def test_with_options_shares_the_pool() -> None:
    """A with_options client uses the same pool; closing it closes nothing shared."""
    rec = Recorder()
    async with fast_client(transport=rec.transport()) as client:
        other = client.with_options(auth=oo.BearerAuth("user-2"), max_retries=0, timeout=3.0)
        assert other.http_client is client.http_client
        await other.get("x")
        await other.aclose()
        assert not client.http_client.is_closed
        await client.get("y")
    assert rec.requests[0].headers["Authorization"] == "Bearer user-2"
    assert "Authorization" not in rec.requests[1].headers


async def test_per_call_timeout_reaches_httpx() -> None:
    """The timeout option sets the request's timeout extension; None disables it."""
    rec = Recorder()
    async with fast_client(transport=rec.transport(), timeout=7.0) as client:
        await client.get("a")
        await client.get("b", timeout=1.5)
        await client.get("c", timeout=None)
    assert rec.requests[0].extensions["timeout"]["read"] == 7.0
    assert rec.requests[1].extensions["timeout"]["read"] == 1.5
    assert rec.requests[2].extensions["timeout"]["read"] is None


async def test_deadline_bounds_retries() -> None:
    """A total deadline stops a call whose retries would otherwise go on."""
    with respx.mock(base_url=BASE) as router:
        router.get("x").mock(return_value=httpx.Response(503, headers={"Retry-After": "5"}))
        async with fast_client(max_retries=10) as client:
            # Hang guard: without the deadline, ten 5 s waits.
            with anyio.fail_after(30), pytest.raises(oo.RequestTimeout):
                await client.get("x", deadline=0.3)
        # The first 5 s wait was cut short: no second attempt was sent.
        assert router.calls.call_count == 1


async def test_stream_yields_unread_body() -> None:
    """stream() hands over the 2xx response to read in chunks, and maps errors first."""
    rec = Recorder(httpx.Response(200, content=b"x" * 100_000), httpx.Response(404, json={}))
    async with fast_client(transport=rec.transport()) as client:
        async with client.stream("GET", "file") as response:
            total = 0
            async for chunk in response.aiter_bytes():
                total += len(chunk)
        assert total == 100_000
        with pytest.raises(oo.NotFoundError):
            async with client.stream("GET", "missing"):
                pass


async def test_heartbeat_is_typed() -> None:
    """client.heartbeat() returns a Heartbeat with a parsed timestamp."""
    body = {"nodeName": "onlyonce-api-web-1", "since": "2016-07-20T19:35:40.3"}
    async with fast_client(transport=Recorder(httpx.Response(200, json=body)).transport()) as c:
        beat = await c.heartbeat()
    assert beat.node_name == "onlyonce-api-web-1"
    assert beat.since is not None and beat.since.microsecond == 300_000


async def test_heartbeat_api_down() -> None:
    """The documented API DOWN body raises ApiDownError, even on a 200."""
    down = {"status": 500, "reason": "API DOWN"}
    for status in (200, 500):
        rec = Recorder(httpx.Response(status, json=down))
        async with fast_client(transport=rec.transport(), max_retries=0) as client:
            with pytest.raises(oo.ApiDownError):
                await client.heartbeat()


async def test_heartbeat_malformed_is_decode_error() -> None:
    """A heartbeat body of the wrong shape raises DecodeError."""
    rec = Recorder(httpx.Response(200, json={"nodeName": 5}))
    async with fast_client(transport=rec.transport()) as client:
        with pytest.raises(oo.DecodeError):
            await client.heartbeat()


def test_repr_shows_no_secrets() -> None:
    """The client's repr names its base URL and auth type only."""
    client = oo.Client(auth=oo.BearerAuth("very-secret-token"))
    assert "very-secret-token" not in repr(client)
    assert "very-secret-token" not in repr(client.auth)


@pytest.mark.parametrize("base_url", ["https://api.example.test", "https://api.example.test/"])
async def test_base_url_without_a_path(base_url: str) -> None:
    """A base URL that is only an origin still puts paths below "/"."""
    rec = Recorder()
    async with fast_client(base_url=base_url, transport=rec.transport()) as client:
        await client.get("/x")
        await client.get("y?z=1")
    assert [str(r.url) for r in rec.requests] == [
        "https://api.example.test/x",
        "https://api.example.test/y?z=1",
    ]


async def test_client_deadline_bounds_typed_calls() -> None:
    """A client-level deadline bounds typed methods, and with_options/per-call override it."""
    with respx.mock(base_url=BASE) as router:
        heartbeat = router.get("heartbeat").mock(
            return_value=httpx.Response(503, headers={"Retry-After": "5"})
        )
        router.get("x").mock(return_value=httpx.Response(503, headers={"Retry-After": "0.2"}))
        async with fast_client(max_retries=10, deadline=0.3) as client:
            with anyio.fail_after(30), pytest.raises(oo.RequestTimeout):  # hang guard
                await client.heartbeat()
            # The first 5 s wait was cut short: no second attempt was sent.
            assert heartbeat.call_count == 1
            relaxed = client.with_options(deadline=None, max_retries=1)
            with pytest.raises(oo.ServerError):
                await relaxed.get("x")
            with pytest.raises(oo.ServerError):
                await client.get("x", deadline=None, timeout=1.0)


@pytest.mark.parametrize("bad", [0, -1.0, True, "5"])
def test_bad_deadline_is_refused(bad: object) -> None:
    """A deadline must be a positive number of seconds."""
    with pytest.raises(ValueError, match="deadline"):
        oo.Client(deadline=bad)  # type: ignore[arg-type]


TOKEN_BY_MISTAKE = "tok-passed-as-auth-5e2"


@pytest.mark.parametrize(
    ("options", "error"),
    [
        pytest.param({"auth": TOKEN_BY_MISTAKE}, TypeError, id="auth-a-string"),
        pytest.param({"rate_limiter": 5}, TypeError, id="rate-limiter-an-int"),
        pytest.param({"headers": [("X-A", "1")]}, TypeError, id="headers-a-list"),
        pytest.param({"headers": {"X-A\n": "1"}}, ValueError, id="header-name-newline"),
        pytest.param({"timeout": httpx.Timeout(-1.0)}, ValueError, id="negative-timeout"),
    ],
)
def test_bad_client_options_are_refused_at_construction(
    options: dict[str, Any], error: type[Exception]
) -> None:
    """A wrong option fails when the client is built, with a typed error that never quotes
    the value (a token passed as auth by mistake stays secret)."""
    with pytest.raises(error) as caught:
        oo.Client(**options)
    assert TOKEN_BY_MISTAKE not in str(caught.value)


async def test_the_auth_setter_is_checked() -> None:
    """Setting client.auth to something that is not an httpx.Auth is refused."""
    async with fast_client() as client:
        with pytest.raises(TypeError) as caught:
            client.auth = TOKEN_BY_MISTAKE  # type: ignore[assignment]
    assert TOKEN_BY_MISTAKE not in str(caught.value)


@pytest.mark.parametrize(
    ("call", "error"),
    [
        pytest.param({"params": [("a", "1")]}, TypeError, id="params-a-list"),
        pytest.param({"params": "a=1"}, TypeError, id="params-a-string"),
        pytest.param({"headers": [("X-A", "1")]}, TypeError, id="headers-a-list"),
        pytest.param({"headers": {"X-A\n": "1"}}, ValueError, id="header-name-newline"),
        pytest.param({"method": "GET\n"}, ValueError, id="method-newline"),
        pytest.param({"parms": {"a": 1}}, TypeError, id="option-typo"),
        pytest.param({"max_retries": 5}, TypeError, id="client-only-option"),
        pytest.param({"timeout": httpx.Timeout(-1.0)}, ValueError, id="negative-timeout"),
    ],
)
async def test_bad_call_options_are_refused_before_sending(
    call: dict[str, Any], error: type[Exception]
) -> None:
    """A wrong per-call option raises a typed error and sends nothing."""
    recorder = Recorder()
    options = dict(call)  # the parameter is shared by both backends' runs
    method = options.pop("method", "GET")
    async with fast_client(transport=httpx.MockTransport(recorder)) as client:
        with pytest.raises(error):
            await client.request(method, "x", **options)
    assert recorder.requests == []


async def test_redirects_are_never_followed_even_by_a_callers_http_client() -> None:
    """A redirect from a follow_redirects=True http_client is not followed: no header
    (Secret-Key, API-Key) reaches another origin and no request bypasses the limiter."""
    rec = Recorder(httpx.Response(302, headers={"Location": "https://evil.example/steal"}))
    limiter = CountingLimiter()
    http = httpx.AsyncClient(transport=rec.transport(), follow_redirects=True)
    async with fast_client(http_client=http, rate_limiter=limiter) as client:
        with pytest.raises(oo.APIError) as info:
            await client.post("x", headers={"Secret-Key": "pass phrase"})
    await http.aclose()
    assert info.value.status_code == 302
    assert [r.url.host for r in rec.requests] == ["api.onlyonce.com"]
    assert limiter.acquired == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"max_retries": 1.5}, id="float-retries"),
        pytest.param({"max_retries": -1}, id="negative-retries"),
        pytest.param({"max_retries": True}, id="bool-retries"),
        pytest.param({"max_retries": "2"}, id="str-retries"),
        pytest.param({"timeout": -1.0}, id="negative-timeout"),
        pytest.param({"timeout": float("nan")}, id="nan-timeout"),
        pytest.param({"timeout": "30"}, id="str-timeout"),
        pytest.param({"deadline": 0}, id="zero-deadline"),
        pytest.param({"deadline": float("nan")}, id="nan-deadline"),
    ],
)
async def test_with_options_validates_like_the_constructor(kwargs: dict[str, Any]) -> None:
    """Client.with_options refuses exactly what Client() refuses, with the same error."""
    with pytest.raises(ValueError) as from_constructor:
        oo.Client(**kwargs)
    async with oo.Client() as client:
        with pytest.raises(ValueError) as from_with_options:
            client.with_options(**kwargs)
    assert str(from_with_options.value) == str(from_constructor.value)


async def test_with_options_keeps_inheriting_what_it_is_not_given() -> None:
    """A valid with_options still shares the pool and inherits every other setting."""
    rec = Recorder(httpx.Response(503))
    async with fast_client(transport=rec.transport(), max_retries=4, timeout=9.0) as client:
        other = client.with_options(max_retries=1)
        assert other.http_client is client.http_client
        assert other.rate_limiter is client.rate_limiter
        with pytest.raises(oo.ServerError):
            await other.get("x")
    assert len(rec.requests) == 2
    assert rec.requests[0].extensions["timeout"]["read"] == 9.0


async def test_with_options_keeps_headers_and_the_retry_policy() -> None:
    """A with_options client is built by the constructor from every setting of its parent."""
    rec = Recorder()
    async with fast_client(
        transport=rec.transport(), headers={"X-Team": b"\xc3\xa9quipe"}
    ) as client:
        other = client.with_options(timeout=5.0)
        assert other.retry_policy is client.retry_policy
        assert other.base_url == client.base_url
        await other.get("x")
    assert (b"X-Team", b"\xc3\xa9quipe") in rec.requests[0].headers.raw


async def test_with_options_new_auth_forgets_pass_phrases() -> None:
    """Same identity: remembered pass phrases are shared; another auth starts with none."""
    pid = uuid.uuid4()
    async with oo.Client() as client:
        client.profile_access.remember(pid, "phrase")
        assert client.with_options(max_retries=0).profile_access.pass_phrase(pid) == "phrase"
        other = client.with_options(auth=oo.BearerAuth("t"))
        assert other.profile_access.pass_phrase(pid) is None


async def test_with_options_keeps_a_subclass() -> None:
    """with_options on a Client subclass returns that subclass (it goes through __init__)."""

    class MyClient(oo.Client):
        """A subclass with nothing of its own."""

    async with MyClient() as client:
        assert type(client.with_options(max_retries=0)) is MyClient
