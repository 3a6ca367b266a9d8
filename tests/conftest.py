"""
Shared fixtures: every async test runs on asyncio and on trio (anyio's pytest plugin);
a sandbox on a manual clock with two users, for the sandbox and end-to-end tests.
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from onlyonce_async.testing import Sandbox, SandboxUser

from .helpers import Clock

# pytester runs the sandbox's pytest plugin the way users enable it (tests/testing).
pytest_plugins = ["pytester"]


@pytest.fixture(
    params=[
        pytest.param(("asyncio", {}), id="asyncio"),
        pytest.param(("trio", {}), id="trio"),
    ]
)
def anyio_backend(request: pytest.FixtureRequest) -> tuple[str, dict[str, object]]:
    """Run each ``@pytest.mark.anyio`` test once per backend."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def clock() -> Clock:
    """A manual clock for the sandbox."""
    return Clock()


@pytest.fixture
def sandbox(clock: Clock) -> Sandbox:
    """A sandbox on the manual clock, without rate limit."""
    return Sandbox(rate_limit=None, clock=clock)


@pytest.fixture
def alice(sandbox: Sandbox) -> SandboxUser:
    """The first user."""
    return sandbox.create_user(
        email="alice@example.com", password="alice-pw", pass_phrase="alice-pp", first_name="Alice"
    )


@pytest.fixture
def bob(sandbox: Sandbox) -> SandboxUser:
    """The second user."""
    return sandbox.create_user(
        email="bob@example.com", password="bob-pw", pass_phrase="bob-pp", first_name="Bob"
    )


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    """A fresh RSA key pair for signed-JWT tests."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def public_pem(rsa_key: rsa.RSAPrivateKey) -> bytes:
    """The PEM of the key pair's public half."""
    return rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
