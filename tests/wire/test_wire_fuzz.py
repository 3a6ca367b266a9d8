"""
Random query strings and random signed tokens never crash the sandbox: every answer is a
documented status, and the last-resort handler is never reached.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import anyio
import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onlyonce_async.testing import Sandbox, SandboxUser

from .conftest import BASE, b64url, sign_rs256

_PATHS = ["profiles", "heartbeat", "dictionaries", "account"]
_NAMES = st.sampled_from(
    ["statuses", "tags", "scope", "name", "page", "size", "sortField", "fieldNames", "x"]
)
_PARAM = st.tuples(
    st.one_of(
        _NAMES,
        st.builds(lambda n, i: f"{n}[{i}]", _NAMES, st.text("0123456789x]", max_size=3)),
        st.text(max_size=6),
    ),
    st.text(max_size=8),
)
_VALUES: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=8,
)
_CLAIM_NAMES = st.sampled_from(["iat", "exp", "nbf", "user", "project", "jti", "htm", "bsh"])


def _sandbox(key: rsa.RSAPrivateKey) -> tuple[Sandbox, SandboxUser]:
    sandbox = Sandbox(rate_limit=(1000, 60.0))
    user = sandbox.create_user(email="fuzz@example.com", password="pw", pass_phrase="pp")
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    sandbox.register_api_client(api_key="k", public_key=pem, users=[user.user_id], projects=["p"])
    return sandbox, user


async def _all_below_500(sandbox: Sandbox, requests: list[tuple[str, dict[str, str]]]) -> None:
    transport = httpx.ASGITransport(app=sandbox.app, client=("127.0.0.1", 50125))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
        for target, headers in requests:
            response = await http.get(target, headers=headers)
            assert response.status_code < 500, (target, response.text)
            response.json()
    assert sandbox.stats.internal_errors == 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params=st.lists(_PARAM, max_size=6))
def test_random_query_strings_never_500(
    rsa_key: rsa.RSAPrivateKey, params: list[tuple[str, str]]
) -> None:
    """Any query string gets 200, 401 or a 422 naming what is wrong, never a crash."""
    sandbox, user = _sandbox(rsa_key)
    token = sandbox.sign_in(user)
    query = urllib.parse.urlencode(params)
    requests = [(f"{path}?{query}", {"Authorization": f"Bearer {token}"}) for path in _PATHS]
    anyio.run(_all_below_500, sandbox, requests)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    header=st.dictionaries(st.sampled_from(["alg", "typ", "crit", "kid"]), _VALUES, max_size=4),
    claims=st.dictionaries(_CLAIM_NAMES, _VALUES, max_size=6) | _VALUES,
    authorization=st.sampled_from(["Bearer {}", "bearer {}", "Bearer  {}", "{}", "Bearer {},x"]),
    api_key=st.sampled_from([None, "k", "", "other"]),
)
def test_random_signed_tokens_never_500(
    rsa_key: rsa.RSAPrivateKey, header: Any, claims: Any, authorization: str, api_key: str | None
) -> None:
    """Any header and claims, signed or not, get a JWT-API verdict or a sign-in 401."""
    sandbox, _ = _sandbox(rsa_key)
    signed = sign_rs256(rsa_key, {"alg": "RS256", **header}, claims)
    unsigned = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}.x"
    extra = {} if api_key is None else {"API-Key": api_key}
    requests = [
        ("account", {"Authorization": authorization.format(token), **extra})
        for token in (signed, unsigned)
    ]
    anyio.run(_all_below_500, sandbox, requests)
