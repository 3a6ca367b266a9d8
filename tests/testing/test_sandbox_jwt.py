"""
The sandbox's JWT-API checks (JWTAPI.md): codes 100-104, 201, 202, 501, 502, request
binding, jti replay and zero leeway, with tokens minted here with PyJWT.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from onlyonce_async.testing import Sandbox, SandboxUser
from tests._support.clocks import Clock
from tests._support.keys import rsa_key as other_rsa_key

pytestmark = pytest.mark.anyio


Mint = Callable[..., str]


@pytest.fixture
def client_key(sandbox: Sandbox, alice: SandboxUser, public_pem: bytes) -> str:
    """Register an API client for alice; return its key."""
    sandbox.register_api_client(
        api_key="key-1", public_key=public_pem, users=[alice.user_id], projects=["p"]
    )
    return "key-1"


@pytest.fixture
def mint(rsa_key: rsa.RSAPrivateKey, clock: Clock, alice: SandboxUser) -> Mint:
    """Mint a token: defaults plus overrides; a value of ... removes a claim."""

    def run(key: Any = None, algorithm: str = "RS256", **overrides: Any) -> str:
        iat = int(clock.now)
        claims: dict[str, Any] = {
            "iat": iat,
            "exp": iat + 60,
            "iss": "tests",
            "user": alice.user_id,
            "project": "p",
            "jti": uuid.uuid4().hex,
        }
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not ...}
        return jwt.encode(claims, rsa_key if key is None else key, algorithm=algorithm)

    return run


def _headers(token: str | None, api_key: str | None = "key-1") -> dict[str, str]:
    headers = {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if api_key is not None:
        headers["API-Key"] = api_key
    return headers


async def _code(
    http: httpx.AsyncClient, headers: dict[str, str], path: str = "account"
) -> int | None:
    response = await http.get(path, headers=headers)
    if response.status_code == 200:
        return None
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["message"]
    return int(body["code"])


async def test_valid_token_acts_as_user(
    http: httpx.AsyncClient, client_key: str, mint: Mint, alice: SandboxUser
) -> None:
    """A valid signed JWT acts as the account of its user claim."""
    response = await http.get("account", headers=_headers(mint()))
    assert response.status_code == 200
    assert response.json()["email"] == alice.email


@pytest.mark.parametrize(
    ("make", "code"),
    [
        pytest.param(lambda m: _headers(m(), api_key=""), 100, id="100-empty-api-key"),
        pytest.param(lambda m: _headers(None), 103, id="103-no-bearer"),
        pytest.param(lambda m: _headers(None, api_key="nope"), 103, id="103-before-100"),
        pytest.param(lambda m: _headers(m(), api_key="nope"), 100, id="100-unknown-key"),
        pytest.param(lambda m: _headers("a.b.c"), 101, id="101-garbage"),
        pytest.param(lambda m: _headers(m(key="s" * 32, algorithm="HS256")), 101, id="101-hs256"),
        pytest.param(lambda m: _headers(m(exp=1)), 101, id="101-exp-passed"),
        pytest.param(lambda m: _headers(m(nbf=2_000_000_000)), 101, id="101-nbf"),
        pytest.param(lambda m: _headers(m(iat=...)), 104, id="104-no-iat"),
        pytest.param(lambda m: _headers(m(iat=1_699_999_999.5)), 104, id="104-float-iat"),
        pytest.param(lambda m: _headers(m(iat=1_700_000_000 - 60, exp=...)), 104, id="104-60s-old"),
        pytest.param(lambda m: _headers(m(iat=1_700_000_000 - 59, exp=...)), None, id="59s-old-ok"),
        pytest.param(lambda m: _headers(m(user=999)), 202, id="202-unknown-user"),
        pytest.param(lambda m: _headers(m(user="1")), None, id="string-user-coerced"),
        pytest.param(lambda m: _headers(m(user="one")), 202, id="202-text-user"),
        pytest.param(
            lambda m: _headers(m(iat=1_700_000_000 - 61, exp=..., user=9)), 104, id="104-before-202"
        ),
        pytest.param(lambda m: _headers(m(project="q")), 501, id="501-project"),
        pytest.param(lambda m: _headers(m(project=...)), 501, id="501-no-project"),
        pytest.param(lambda m: _headers(m(project=["p"])), 501, id="501-list-project"),
        pytest.param(lambda m: _headers(m(project={"p": 1})), 501, id="501-object-project"),
        pytest.param(lambda m: _headers(m(htm="POST")), 101, id="101-htm"),
        pytest.param(lambda m: _headers(m(htu="/v2/other")), 101, id="101-htu"),
        pytest.param(lambda m: _headers(m(bsh="00")), 101, id="101-bsh"),
        pytest.param(
            lambda m: _headers(
                m(htm="GET", htu="/v2/account", bsh=hashlib.sha256(b"").hexdigest())
            ),
            None,
            id="binding-ok",
        ),
    ],
)
async def test_jwt_codes(
    http: httpx.AsyncClient,
    client_key: str,
    mint: Mint,
    make: Callable[[Mint], dict[str, str]],
    code: int | None,
) -> None:
    """Each failed check answers HTTP 400 with its code, in the reference order."""
    assert await _code(http, make(mint)) == code


async def test_other_key_and_future_iat(
    http: httpx.AsyncClient, client_key: str, mint: Mint, clock: Clock
) -> None:
    """A token signed by another key, or with iat one second ahead (zero leeway), is 101."""
    other = other_rsa_key(name="unregistered")
    assert await _code(http, _headers(mint(key=other))) == 101
    assert await _code(http, _headers(mint(iat=int(clock.now) + 1))) == 101
    clock.advance(1)
    assert await _code(http, _headers(mint())) is None


async def test_expiry_with_injected_clock(
    http: httpx.AsyncClient, client_key: str, mint: Mint, clock: Clock
) -> None:
    """A token is valid for iat <= now < iat + 60 on the sandbox clock."""
    token = mint(exp=..., jti=...)
    clock.advance(59.9)
    assert await _code(http, _headers(token)) is None
    clock.advance(0.1)
    assert await _code(http, _headers(token)) == 104


async def test_client_disabled_and_ip(
    http: httpx.AsyncClient, sandbox: Sandbox, alice: SandboxUser, public_pem: bytes, mint: Mint
) -> None:
    """A disabled client is 201; an address outside allowed_ips is 502."""
    sandbox.register_api_client(
        api_key="key-1",
        public_key=public_pem,
        users=[alice.user_id],
        projects=["p"],
        allowed_ips=["10.0.0.1"],
    )
    assert await _code(http, _headers(mint())) == 502
    sandbox.register_api_client(
        api_key="key-1",
        public_key=public_pem,
        users=[alice.user_id],
        projects=["p"],
        allowed_ips=["127.0.0.1"],
    )
    assert await _code(http, _headers(mint())) is None
    sandbox.disable_api_client("key-1")
    assert await _code(http, _headers(mint())) == 201


async def test_jti_replay_and_bounded_memory(
    http: httpx.AsyncClient, sandbox: Sandbox, client_key: str, mint: Mint, clock: Clock
) -> None:
    """A jti is accepted once; remembered jtis are forgotten after their token expires."""
    token = mint()
    assert await _code(http, _headers(token)) is None
    assert await _code(http, _headers(token)) == 101
    for _ in range(5):
        assert await _code(http, _headers(mint())) is None
    assert sandbox.remembered_jtis == 6
    clock.advance(61)
    assert await _code(http, _headers(mint())) is None
    assert sandbox.remembered_jtis == 1


async def test_binding_with_query_and_body(
    http: httpx.AsyncClient, client_key: str, mint: Mint, alice: SandboxUser
) -> None:
    """htu carries the canonical sorted RFC 3986 query; bsh hashes the exact body bytes."""
    htu = "/v2/profiles?name=A%20b&scope=MINE"
    response = await http.get(
        "profiles",
        params={"scope": "MINE", "name": "A b"},
        headers=_headers(mint(htm="GET", htu=htu)),
    )
    assert response.status_code == 200
    body = b'{"type":"t","text":"x","ownerId":"%s"}' % str(alice.profile_id).encode()
    path = f"/v2/profiles/{alice.profile_id}/notes"
    good = mint(htm="POST", htu=path, bsh=hashlib.sha256(body).hexdigest())
    ok = await http.post(
        path[4:], content=body, headers={**_headers(good), "Content-Type": "application/json"}
    )
    assert ok.status_code == 200
    tampered = mint(htm="POST", htu=path, bsh=hashlib.sha256(body).hexdigest())
    bad = await http.post(path[4:], content=body + b" ", headers=_headers(tampered))
    assert bad.json()["code"] == 101


async def test_decode_message_echoing_a_lone_surrogate(
    http: httpx.AsyncClient, sandbox: Sandbox, client_key: str, rsa_key: rsa.RSAPrivateKey
) -> None:
    """A decoder message that quotes a lone surrogate from the token is still a 101 answer."""
    claims = {"iat": 1_700_000_000, "user": 1, "project": "p"}
    token = jwt.encode(claims, rsa_key, algorithm="RS256", headers={"crit": ["\ud800"]})
    assert await _code(http, _headers(token)) == 101
    assert sandbox.stats.internal_errors == 0


def test_register_rejects_non_rsa(sandbox: Sandbox) -> None:
    """Registering something that is not an RSA public key PEM raises ValueError."""
    with pytest.raises(ValueError, match=r"(?i)key|pem|deserialize"):
        sandbox.register_api_client(api_key="k", public_key="not a pem", users=[1])
