"""
Raw calls with ``client.request()`` / ``client.request_raw()``, under bearer and signed-JWT
auth — for endpoints the typed modules do not cover, or when you want the wire itself.

It reads the ``/heartbeat`` response's headers with ``request_raw``, calls ``/profiles``
with ``request`` (decoded JSON, query parameters), posts to a path that the
server does not know and handles the resulting `NotFoundError`, then repeats a call signed
with a JWT (the JWT API protocol: an RSA key pair, an ``API-Key`` header).

With no environment set it runs against the embedded sandbox and generates an RSA key at
run time (registered with ``sandbox.register_api_client``; no key is ever written to disk).
Against a real server, set ``ONLYONCE_BASE_URL``, ``ONLYONCE_USERNAME``,
``ONLYONCE_PASSWORD`` and, for the signed-JWT part, ``ONLYONCE_API_KEY``,
``ONLYONCE_PRIVATE_KEY`` (path of the PEM file) and ``ONLYONCE_USER`` (integer user id).

Run: ``python examples/custom_endpoint.py``
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import anyio
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from onlyonce_async import Client, NotFoundError, SignedJWTAuth


async def raw_calls(client: Client, label: str) -> None:
    """The same raw calls under whichever auth ``client`` carries."""
    response = await client.request_raw("GET", "/heartbeat")
    print(f"[{label}] GET /heartbeat -> {response.status_code}")
    for name, value in response.headers.items():
        print(f"[{label}]   {name}: {value}")
    print(f"[{label}]   body: {response.json()}")

    page: Any = await client.request("GET", "/profiles", params={"scope": "MINE", "size": 5})
    names = [item["name"] for item in page["content"]]
    print(f"[{label}] GET /profiles?scope=MINE&size=5 -> total {page['total']}: {names}")

    try:
        await client.request("POST", "/reports/undocumented", json={"since": 0})
    except NotFoundError as exc:
        print(f"[{label}] POST /reports/undocumented -> NotFoundError: {exc}")


def new_rsa_key() -> tuple[bytes, bytes]:
    """A fresh 2048-bit RSA key pair as (private PEM, public PEM), kept in memory only."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


async def against_server(env: os._Environ[str]) -> None:
    async with Client(base_url=env["ONLYONCE_BASE_URL"]) as client:
        await client.account.sign_in(env["ONLYONCE_USERNAME"], env["ONLYONCE_PASSWORD"])
        await raw_calls(client, "bearer")
        if env.get("ONLYONCE_API_KEY"):
            jwt = SignedJWTAuth(
                env["ONLYONCE_API_KEY"],
                Path(env["ONLYONCE_PRIVATE_KEY"]),
                user=int(env["ONLYONCE_USER"]),
                project=env.get("ONLYONCE_PROJECT"),
            )
            await raw_calls(client.with_options(auth=jwt), "jwt")


async def in_sandbox() -> None:
    from onlyonce_async.testing import Sandbox

    sandbox = Sandbox()
    user = sandbox.create_user(
        email="raw@example.com", password="raw-password-1", pass_phrase="raw phrase"
    )
    private_pem, public_pem = new_rsa_key()
    sandbox.register_api_client(
        api_key="example-api-key", public_key=public_pem, users=[user.user_id], projects=["demo"]
    )
    print("running against the embedded sandbox")
    async with sandbox.client() as client:
        await client.account.sign_in(user.email, user.password)
        await raw_calls(client, "bearer")
        # The same connection pool, another identity: every attempt gets a fresh signed JWT.
        jwt = SignedJWTAuth("example-api-key", private_pem, user=user.user_id, project="demo")
        await raw_calls(client.with_options(auth=jwt), "jwt")


async def main() -> None:
    if os.environ.get("ONLYONCE_BASE_URL"):
        await against_server(os.environ)
    else:
        await in_sandbox()


if __name__ == "__main__":
    anyio.run(main)
