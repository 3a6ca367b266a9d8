"""
SignedJWTAuth: wire format, request binding, fresh tokens per attempt, clock skew, keys.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import time
from typing import Any

import anyio
import httpx
import jwt
import pytest

from onlyonce_async import (
    Client,
    InvalidTokenError,
    SignedJWTAuth,
    TokenExpiredError,
    __version__,
)
from onlyonce_async._jwt import canonical_target
from tests._support.helpers import FAST_RETRIES, CountingLimiter
from tests._support.jwt_server import API_KEY, JWTServer, decode_and_verify
from tests._support.keys import ec_key, pem, rsa_key

BASE = "https://api.example.test/v2/"


def make_auth(**kwargs: Any) -> SignedJWTAuth:
    """A SignedJWTAuth with the session key, user 42 and project "crm"."""
    kwargs.setdefault("user", 42)
    kwargs.setdefault("project", "crm")
    return SignedJWTAuth(API_KEY, pem(rsa_key()), **kwargs)


def make_client(server: JWTServer, auth: SignedJWTAuth, **kwargs: Any) -> Client:
    """A client on the fake server with fast retries and no limiter unless given."""
    kwargs.setdefault("rate_limiter", None)
    return Client(
        base_url=BASE,
        auth=auth,
        transport=httpx.MockTransport(server.handler),
        retry_policy=FAST_RETRIES,
        **kwargs,
    )


@pytest.fixture
def server() -> JWTServer:
    """A fake JWT API server with the session key registered and a correct clock."""
    return JWTServer(rsa_key().public_key())


@pytest.mark.anyio
async def test_token_wire_format(server: JWTServer) -> None:
    """Header, signature and every claim are as JWTAPI.md and the binding rules say."""
    async with make_client(server, make_auth()) as client:
        before = time.time()
        await client.get("/profiles", params={"scope": "MINE", "name": "Ada Lovelace"})
        after = time.time()
    request = server.received[0]
    assert request.headers["API-Key"] == API_KEY
    token = request.headers["Authorization"].removeprefix("Bearer ")
    header, claims = decode_and_verify(token, rsa_key().public_key())
    assert header == {"alg": "RS256", "typ": "JWT"}
    assert set(claims) == {"iat", "iss", "user", "project", "exp", "jti", "htm", "htu", "bsh"}
    assert isinstance(claims["iat"], int)
    assert before - 3 <= claims["iat"] <= after
    assert claims["exp"] == claims["iat"] + 60
    assert claims["iss"] == f"onlyonce-async/{__version__}"
    assert claims["user"] == 42
    assert claims["project"] == "crm"
    assert len(claims["jti"]) >= 22  # at least 128 random bits, base64url
    assert claims["htm"] == "GET"
    assert claims["htu"] == "/v2/profiles?name=Ada%20Lovelace&scope=MINE"
    assert claims["bsh"] == hashlib.sha256(b"").hexdigest()


@pytest.mark.anyio
async def test_pyjwt_agrees(server: JWTServer) -> None:
    """PyJWT, given the public key, also accepts the token as RS256."""
    async with make_client(server, make_auth()) as client:
        await client.get("/heartbeat")
    token = server.received[0].headers["Authorization"].removeprefix("Bearer ")
    claims = jwt.decode(
        token, rsa_key().public_key(), algorithms=["RS256"], options={"verify_iat": False}
    )
    assert claims["htu"] == "/v2/heartbeat"


@pytest.mark.anyio
async def test_json_body_hash_is_of_the_bytes_sent(server: JWTServer) -> None:
    """bsh is the SHA-256 of exactly the body bytes the transport received."""
    body = {"name": "Zoë's card", "fields": ["a", "b"], "n": 1.5}
    async with make_client(server, make_auth()) as client:
        await client.post("/profiles/x/cards", json=body)
    request = server.received[0]
    claims = server.accepted[0][0]
    assert request.content  # the verifier re-checked bsh against these very bytes
    assert claims["bsh"] == hashlib.sha256(request.content).hexdigest()
    assert claims["htm"] == "POST"


@pytest.mark.anyio
async def test_multipart_body_hash(server: JWTServer) -> None:
    """A multipart upload is read before signing, so bsh covers the bytes sent."""
    files = {"file": ("a.bin", b"\x00\x01payload", "application/octet-stream")}
    async with make_client(server, make_auth()) as client:
        await client.request("POST", "/profiles/x/files", files=files, data={"metadata": "{}"})
    request = server.received[0]
    assert b"payload" in request.content
    assert server.accepted[0][0]["bsh"] == hashlib.sha256(request.content).hexdigest()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param("https://h/v2/heartbeat", "/v2/heartbeat", id="no-query"),
        pytest.param("https://h/v2/x?b=2&a=1&a=0", "/v2/x?a=0&a=1&b=2", id="sorted-pairs"),
        pytest.param("https://h/v2/x?q=a+b&r=%7E", "/v2/x?q=a%20b&r=~", id="plus-and-tilde"),
        pytest.param("https://h/v2/x?n=%C3%A9&e=", "/v2/x?e=&n=%C3%A9", id="utf8-and-empty"),
        pytest.param("https://h/v2/x?k=a%2Fb%3Dc%26", "/v2/x?k=a%2Fb%3Dc%26", id="reserved"),
        pytest.param("https://h/v2/p/a%20b/c", "/v2/p/a%20b/c", id="encoded-path-kept"),
    ],
)
def test_canonical_target(url: str, expected: str) -> None:
    """htu keeps the path as sent and canonicalises the query (RFC 3986, sorted)."""
    assert canonical_target(httpx.URL(url)) == expected


@pytest.mark.anyio
async def test_htu_keeps_base_path_and_sorted_query(server: JWTServer) -> None:
    """A list param and odd characters end up encoded and sorted in htu."""
    params = {"statuses": ["PENDING", "ACCEPTED"], "targetId": "a b/c", "type": "INCOMING"}
    async with make_client(server, make_auth()) as client:
        await client.get("/profiles/p1/requests", params=params)
    assert server.accepted[0][0]["htu"] == (
        "/v2/profiles/p1/requests?statuses=ACCEPTED&statuses=PENDING"
        "&targetId=a%20b%2Fc&type=INCOMING"
    )


@pytest.mark.anyio
async def test_jti_unique_across_1000_requests(server: JWTServer) -> None:
    """A thousand requests carry a thousand different jtis (the server rejects reuse)."""
    async with make_client(server, make_auth()) as client:
        for _ in range(1000):
            await client.get("/heartbeat")
    assert len(server.accepted) == 1000
    assert len({claims["jti"] for claims, _ in server.accepted}) == 1000


@pytest.mark.anyio
async def test_fresh_token_for_every_retry(server: JWTServer) -> None:
    """A 503 then 200: the retry carries a new token (new jti), both verified."""
    server.script.append(httpx.Response(503, json={"message": "busy"}))
    limiter = CountingLimiter()
    async with make_client(server, make_auth(), rate_limiter=limiter) as client:
        assert await client.get("/heartbeat") == {"ok": True}
    tokens = [r.headers["Authorization"] for r in server.received]
    assert len(tokens) == 2
    assert tokens[0] != tokens[1]
    assert len(server.jtis) == 2
    assert limiter.acquired == 2


@pytest.mark.anyio
@pytest.mark.parametrize("skew", [pytest.param(-30.0, id="behind"), pytest.param(30.0, id="ahead")])
async def test_iat_follows_server_clock(skew: float) -> None:
    """With the server's clock 30 s off, iat is never in its future nor far in its past."""
    server = JWTServer(rsa_key().public_key(), skew=skew)
    async with make_client(server, make_auth()) as client:
        for _ in range(6):
            assert await client.get("/heartbeat") == {"ok": True}
    # Every request succeeded; those after the first response are close to server time.
    assert [code for code, _ in server.refusals] in ([], [101])
    for claims, server_now in server.accepted[1:]:
        assert claims["iat"] <= server_now
        assert server_now - claims["iat"] <= 2
        assert claims["exp"] > server_now


@pytest.mark.anyio
async def test_not_yet_valid_is_corrected_and_retried_once(server: JWTServer) -> None:
    """A first request signed in the server's future gets 101, is re-signed and succeeds."""
    server.skew = -120.0
    limiter = CountingLimiter()
    async with make_client(server, make_auth(), rate_limiter=limiter, max_retries=0) as client:
        assert await client.get("/heartbeat") == {"ok": True}
        assert await client.get("/heartbeat") == {"ok": True}
    assert [code for code, _ in server.refusals] == [101]
    assert "prior to" in server.refusals[0][1]
    assert len(server.received) == 3
    assert limiter.acquired == 3  # the in-flow retry passed the limiter too


@pytest.mark.anyio
@pytest.mark.parametrize("skew", [61.0, 3600.0])
async def test_expired_on_arrival_is_learned_and_retried_once(skew: float) -> None:
    """A server whose clock runs a minute or more ahead finds the first token already
    expired (its iat too old): the flow learns the server's time from that answer's Date,
    re-signs and succeeds, instead of failing the call."""
    server = JWTServer(rsa_key().public_key(), skew=skew)
    async with make_client(server, make_auth(), max_retries=0) as client:
        assert await client.get("/heartbeat") == {"ok": True}
        assert await client.get("/heartbeat") == {"ok": True}
    (refusal,) = server.refusals  # 104 (older than 60 s) or 101 (past exp)
    assert refusal[0] in (101, 104)
    assert len(server.received) == 3


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("message", "error", "sends"),
    [
        pytest.param(
            "Cannot handle token prior to 2099-01-01T00:00:00+0000",
            InvalidTokenError,
            2,
            id="not-yet-valid-twice",
        ),
        pytest.param("Expired token", TokenExpiredError, 1, id="expired-without-clock-news"),
        pytest.param("Signature verification failed", InvalidTokenError, 1, id="bad-signature"),
    ],
)
async def test_a_lasting_refusal_is_raised(
    message: str, error: type[Exception], sends: int
) -> None:
    """A server that keeps refusing the token: "not yet valid" gets one re-signed retry;
    "expired" whose Date says nothing new about the server's clock, and a bad signature,
    are not clock problems and get none. Then the error surfaces."""
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.headers["Authorization"])
        body = {"message": message, "code": 101}
        return httpx.Response(400, json=body, headers={"Date": "Thu, 01 Jan 2015 00:00:00 GMT"})

    async with Client(
        base_url=BASE, auth=make_auth(), transport=httpx.MockTransport(handler), rate_limiter=None
    ) as client:
        with pytest.raises(error):
            await client.get("/heartbeat")
    assert len(calls) == len(set(calls)) == sends  # a retry is signed afresh


@pytest.mark.anyio
async def test_wrong_key_is_refused(server: JWTServer) -> None:
    """The verifier really checks signatures: a token from another key gets 101."""
    other = SignedJWTAuth(API_KEY, pem(rsa_key(3072)), user=42)
    async with make_client(server, other) as client:
        with pytest.raises(InvalidTokenError, match="Signature verification failed"):
            await client.get("/heartbeat")


@pytest.mark.anyio
async def test_claims_merged_last_and_binding_optional(server: JWTServer) -> None:
    """Extra claims are added (and win); bind_request=False leaves htm/htu/bsh out."""
    auth = make_auth(claims={"aud": "onlyonce", "iss": "my-app"}, bind_request=False, lifetime=30)
    async with make_client(server, auth) as client:
        await client.get("/heartbeat")
    claims = server.accepted[0][0]
    assert claims["aud"] == "onlyonce"
    assert claims["iss"] == "my-app"
    assert claims["exp"] == claims["iat"] + 30
    assert not {"htm", "htu", "bsh"} & set(claims)


@pytest.mark.anyio
async def test_user_and_project_left_out_when_none(server: JWTServer) -> None:
    """Without user/project the claims are simply absent."""
    auth = SignedJWTAuth(API_KEY, pem(rsa_key()), issuer="custom/1")
    async with make_client(server, auth) as client:
        await client.get("/heartbeat")
    claims = server.accepted[0][0]
    assert "user" not in claims
    assert "project" not in claims
    assert claims["iss"] == "custom/1"


def test_sync_client_is_signed(server: JWTServer) -> None:
    """The synchronous flow signs requests of a plain httpx.Client too."""
    transport = httpx.MockTransport(server.handler)
    with httpx.Client(transport=transport, auth=make_auth()) as http:
        assert http.post(BASE + "x", json={"a": 1}).status_code == 200
    assert server.accepted[0][0]["htu"] == "/v2/x"


# -- keys ----------------------------------------------------------------------------------

PASSWORD = "pem pass phrase 9f8e"


@pytest.mark.parametrize(
    "form",
    [
        pytest.param("bytes", id="bytes"),
        pytest.param("text", id="text"),
        pytest.param("path", id="path"),
        pytest.param("encrypted-str", id="encrypted-str-password"),
        pytest.param("encrypted-bytes", id="encrypted-bytes-password"),
    ],
)
def test_key_loading(form: str, tmp_path: pathlib.Path) -> None:
    """The key loads from PEM bytes, PEM text, a path, and encrypted PEM with a password."""
    password: str | bytes | None = None
    key: str | bytes | os.PathLike[str]
    if form == "bytes":
        key = pem(rsa_key())
    elif form == "text":
        key = pem(rsa_key()).decode()
    elif form == "path":
        key = tmp_path / "private_rsa.pem"
        key.write_bytes(pem(rsa_key()))
    else:
        key = pem(rsa_key(), PASSWORD.encode())
        password = PASSWORD if form == "encrypted-str" else PASSWORD.encode()
    auth = SignedJWTAuth(API_KEY, key, password=password)
    token = auth.token_for(httpx.Request("GET", BASE))
    decode_and_verify(token, rsa_key().public_key())


@pytest.mark.parametrize(
    ("key", "password", "message"),
    [
        pytest.param(
            lambda: pem(rsa_key(), PASSWORD.encode()),
            "wrong",
            "wrong password",
            id="wrong-password",
        ),
        pytest.param(
            lambda: pem(rsa_key(), PASSWORD.encode()), None, "encrypted", id="no-password"
        ),
        pytest.param(lambda: pem(rsa_key()), PASSWORD, "not encrypted", id="needless-password"),
        pytest.param(lambda: pem(rsa_key(1024)), None, "1024 bits", id="rsa-1024"),
        pytest.param(lambda: pem(ec_key()), None, "must be RSA", id="ec-key"),
        pytest.param(
            lambda: b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            None,
            "not a valid PEM",
            id="garbage-pem",
        ),
        pytest.param(lambda: "private_rsa.pem", None, "not PEM", id="str-path"),
        pytest.param(
            lambda: pathlib.Path("/nonexistent/key.pem"), None, "could not read", id="missing-file"
        ),
    ],
)
def test_bad_keys_are_refused(key: Any, password: str | None, message: str) -> None:
    """Unloadable, non-RSA and small keys raise a clear ValueError naming no secret."""
    with pytest.raises(ValueError, match=message) as info:
        SignedJWTAuth(API_KEY, key(), password=password)
    text = str(info.value)
    assert PASSWORD not in text
    assert "PRIVATE KEY" not in text
    assert API_KEY not in text
    assert info.value.__cause__ is None


@pytest.mark.parametrize("empty", ["", b""], ids=["str", "bytes"])
def test_empty_password_counts_as_none(empty: str | bytes) -> None:
    """An empty password is no password: an encrypted key asks for its password (it used
    to say the key was not encrypted), and an unencrypted key loads."""
    with pytest.raises(ValueError, match=r"^the private key is encrypted: pass its password$"):
        SignedJWTAuth(API_KEY, pem(rsa_key(), PASSWORD.encode()), password=empty)
    auth = SignedJWTAuth(API_KEY, pem(rsa_key()), password=empty)
    decode_and_verify(auth.token_for(httpx.Request("GET", BASE)), rsa_key().public_key())


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        pytest.param({"lifetime": 4}, ValueError, id="short-lifetime"),
        pytest.param({"lifetime": 60.0}, TypeError, id="float-lifetime"),
        pytest.param({"user": True}, TypeError, id="bool-user"),
        pytest.param({"user": "42"}, TypeError, id="str-user"),
        pytest.param({"project": ""}, ValueError, id="empty-project"),
        pytest.param({"claims": {"when": object()}}, TypeError, id="claims-not-json"),
        pytest.param({"claims": ["aud"]}, TypeError, id="claims-not-mapping"),
    ],
)
def test_arguments_are_checked(kwargs: dict[str, Any], error: type[Exception]) -> None:
    """Out-of-range or mistyped arguments are refused at construction."""
    with pytest.raises(error):
        make_auth(**kwargs)


def test_empty_api_key_is_refused() -> None:
    """An empty API key is a ValueError."""
    with pytest.raises(ValueError, match="api_key"):
        SignedJWTAuth("", pem(rsa_key()))


@pytest.mark.anyio
async def test_concurrent_requests_all_verify(server: JWTServer) -> None:
    """Many concurrent requests through one auth object all carry valid, distinct tokens."""
    async with make_client(server, make_auth()) as client, anyio.create_task_group() as tg:
        for i in range(30):
            tg.start_soon(client.post, f"/items/{i}", {"i": i})
    assert len(server.accepted) == 30
    assert len(server.jtis) == 30
