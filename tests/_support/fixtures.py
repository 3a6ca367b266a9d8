"""
The fixtures every test may use (registered by ``tests/conftest.py`` as a plugin).
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from . import keys
from .backends import BACKENDS
from .clocks import Clock


@pytest.fixture(params=BACKENDS)
def anyio_backend(request: pytest.FixtureRequest) -> tuple[str, dict[str, object]]:
    """Run each ``@pytest.mark.anyio`` test once per backend."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def clock() -> Clock:
    """A manual clock (for the sandbox, a limiter, a lease, the skew estimator)."""
    return Clock()


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    """The session's RSA key pair for signed-JWT tests (generated, never committed)."""
    return keys.rsa_key()


@pytest.fixture(scope="session")
def public_pem(rsa_key: rsa.RSAPrivateKey) -> bytes:
    """The PEM of the key pair's public half."""
    return keys.public_pem(rsa_key)
