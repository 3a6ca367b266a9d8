"""
The wire-level suite: raw httpx against ``sandbox.app`` through ``httpx.ASGITransport``,
written from the API reference (seed 002) and JWTAPI.md alone — no SDK code on the path.

Accounts are made the way the reference documents it (``POST /signUp``, then ``POST
/signIn`` for the token); signed JWTs are built here byte by byte (base64url, RS256 with
``cryptography``), so a test controls every header and claim the JWT API sees.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import attrs
import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.hashes import SHA256

from onlyonce_async.testing import Sandbox
from tests._support.clocks import Clock

#: Where the in-process sandbox serves the API (the reference's ``/v2`` base path).
BASE = "https://api.onlyonce.test/v2/"
#: The reference's /signUp example's country and gender.
EXAMPLE_COUNTRY = "64a26eb4-7e0d-43e0-a993-1b1535da1d63"
EXAMPLE_GENDER = "c5e1dc28-f0f8-4f72-9a2a-1ff20ece7eef"
API_KEY = "wire-key"
PROJECT = "wire"


@attrs.frozen
class Account:
    """An account made through /signUp and signed in through /signIn."""

    email: str
    password: str
    pass_phrase: str
    token: str
    profile_id: str

    @property
    def headers(self) -> dict[str, str]:
        """The reference's ``Authorization: Bearer <token>`` header."""
        return {"Authorization": f"Bearer {self.token}"}


SignUp = Callable[..., Awaitable[Account]]


@pytest.fixture
async def wire(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    """A raw httpx client on ``sandbox.app`` through httpx's own ASGI transport."""
    transport = httpx.ASGITransport(app=sandbox.app, client=("127.0.0.1", 50123))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        yield client


async def sign_in(wire: httpx.AsyncClient, email: str, password: str) -> str:
    """``POST /signIn``; the token from the response's ``Authorization`` header."""
    response = await wire.post("signIn", json={"username": email, "password": password})
    assert response.status_code == 200, response.text
    scheme, _, token = response.headers["Authorization"].partition(" ")
    assert scheme == "Bearer"
    return token


@pytest.fixture
def sign_up(wire: httpx.AsyncClient) -> SignUp:
    """Sign up (the reference's example body, with a given email) and sign in."""

    async def run(email: str, first_name: str = "Een Twee Drie Vier", **extra: Any) -> Account:
        body = {
            "passPhrase": "12341234",
            "password": "12341234",
            "email": email,
            "firstName": first_name,
            "middleName": "hoedje_van_hoedje_van",
            "lastName": "Papier",
            "personalEmail": "1234@hoedjevanpapier.com",
            "personalPhone": "+318812341234",
            "country": EXAMPLE_COUNTRY,
            "gender": EXAMPLE_GENDER,
            **extra,
        }
        response = await wire.post("signUp", json=body)
        assert response.status_code == 200, response.text
        token = await sign_in(wire, email, body["password"])
        mine = await wire.get(
            "profiles", params={"scope": "MINE"}, headers={"Authorization": f"Bearer {token}"}
        )
        assert mine.status_code == 200, mine.text
        profile_id = mine.json()["content"][0]["id"]
        return Account(email, body["password"], body["passPhrase"], token, profile_id)

    return run


@pytest.fixture
async def alice_wire(sign_up: SignUp) -> Account:
    """The first account."""
    return await sign_up("alice@example.com", first_name="Alice")


@pytest.fixture
async def bob_wire(sign_up: SignUp) -> Account:
    """The second account."""
    return await sign_up("bob@example.com", first_name="Bob")


def b64url(data: bytes) -> str:
    """Base64url without padding (RFC 7515)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sign_rs256(key: rsa.RSAPrivateKey, header: Any, claims: Any) -> str:
    """A compact JWS: the JSON header and claims as given, signed RS256 with ``key``."""
    head = b64url(json.dumps(header).encode())
    body = b64url(json.dumps(claims).encode())
    signature = key.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), SHA256())
    return f"{head}.{body}.{b64url(signature)}"


Mint = Callable[..., str]


@pytest.fixture
def jwt_user(sandbox: Sandbox, public_pem: bytes, alice_wire: Account) -> int:
    """
    Register an API client (JWTAPI.md) that may act as user 1, the first account (alice);
    return the user id.
    """
    sandbox.register_api_client(
        api_key=API_KEY, public_key=public_pem, users=[1], projects=[PROJECT]
    )
    return 1


@pytest.fixture
def mint(rsa_key: rsa.RSAPrivateKey, clock: Clock, jwt_user: int) -> Mint:
    """
    A JWT as the reference client builds it (``iat``, ``iss``, ``user``, ``project``);
    keyword arguments replace claims, ``...`` drops one, ``header=`` replaces the header.
    """

    def run(header: Any = None, **overrides: Any) -> str:
        claims: dict[str, Any] = {
            "iat": int(clock.now),
            "iss": "wire-tests/1.0",
            "user": jwt_user,
            "project": PROJECT,
        }
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not ...}
        return sign_rs256(rsa_key, header or {"typ": "JWT", "alg": "RS256"}, claims)

    return run


def jwt_headers(token: str, api_key: str = API_KEY) -> dict[str, str]:
    """What the reference client sends with every request."""
    return {"Authorization": f"Bearer {token}", "API-Key": api_key, "Accept": "application/json"}
