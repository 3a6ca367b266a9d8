"""
The sandbox's rate limit counts verified identities (issue 15 item 15): no header value a
caller makes up opens a new bucket, and the table of buckets stays bounded.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from onlyonce_async.testing import Sandbox
from tests._support.clocks import Clock

from .conftest import BASE, PROJECT, b64url, jwt_headers, sign_in, sign_rs256

pytestmark = pytest.mark.anyio

LIMIT = 2


@pytest.fixture
def limited(clock: Clock) -> Sandbox:
    """A sandbox allowing two requests per identity per minute, with two accounts."""
    sandbox = Sandbox(rate_limit=(LIMIT, 60.0), clock=clock)
    for name in ("alice", "bob"):
        sandbox.create_user(email=f"{name}@example.com", password="pw", pass_phrase="pp")
    return sandbox


@pytest.fixture
async def http(limited: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    """Raw httpx on the limited sandbox's ASGI app."""
    transport = httpx.ASGITransport(app=limited.app, client=("127.0.0.1", 50124))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        yield client


async def _statuses(http: httpx.AsyncClient, headers: list[dict[str, str]]) -> list[int]:
    return [(await http.get("account", headers=h)).status_code for h in headers]


async def test_made_up_api_keys_share_one_bucket(http: httpx.AsyncClient, limited: Sandbox) -> None:
    """A different unverified API-Key on every request does not escape the limit."""
    headers = [jwt_headers("a.b.c", api_key=f"made-up-{i}") for i in range(LIMIT + 2)]
    assert await _statuses(http, headers) == [400] * LIMIT + [429, 429]
    assert limited.app.limiter is not None
    assert len(limited.app.limiter) == 1


async def test_unverified_jwt_claims_share_one_bucket(http: httpx.AsyncClient) -> None:
    """Bogus three-part tokens with a different user claim each share the address's bucket."""
    tokens = [
        f"eyJhbGciOiJIUzUxMiJ9.{b64url(json.dumps({'user': i}).encode())}.x" for i in range(4)
    ]
    headers = [{"Authorization": f"Bearer {t}"} for t in tokens]
    assert await _statuses(http, headers) == [401] * LIMIT + [429, 429]


async def test_each_verified_identity_has_its_own_quota(http: httpx.AsyncClient) -> None:
    """Two signed-in accounts each get the full quota, independent of failed calls."""
    tokens = [await sign_in(http, f"{name}@example.com", "pw") for name in ("alice", "bob")]
    failed = [{"Authorization": "Bearer nope"}] * 2
    assert await _statuses(http, failed) == [429, 429]  # the address spent its quota signing in
    for token in tokens:
        headers = {"Authorization": f"Bearer {token}"}
        assert await _statuses(http, [headers] * (LIMIT + 1)) == [200] * LIMIT + [429]


async def test_signed_jwts_count_against_client_and_user(
    http: httpx.AsyncClient,
    limited: Sandbox,
    rsa_key: rsa.RSAPrivateKey,
    public_pem: bytes,
    clock: Clock,
) -> None:
    """Verified signed JWTs count against (API client, user), whatever else they carry."""
    limited.register_api_client(
        api_key="k", public_key=public_pem, users=[1, 2], projects=[PROJECT]
    )

    def token(user: int, jti: str) -> dict[str, str]:
        claims = {"iat": int(clock.now), "user": user, "project": PROJECT, "jti": jti}
        return jwt_headers(sign_rs256(rsa_key, {"typ": "JWT", "alg": "RS256"}, claims), "k")

    first = [token(1, f"u1-{i}") for i in range(LIMIT + 1)]
    assert await _statuses(http, first) == [200] * LIMIT + [429]
    assert await _statuses(http, [token(2, "u2")]) == [200]
