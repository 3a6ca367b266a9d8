"""
Shared fixtures: every async test runs on asyncio and on trio (anyio's pytest plugin);
a sandbox on a manual clock with two users, for the sandbox and end-to-end tests.
"""

from __future__ import annotations

import pytest

from onlyonce_async.testing import Sandbox, SandboxUser
from tests._support.clocks import Clock

# pytester runs the sandbox's pytest plugin the way users enable it (tests/testing); the shared
# fixtures (anyio_backend, clock, rsa_key, public_pem) live in tests/_support/fixtures.py.
pytest_plugins = ["pytester", "tests._support.fixtures"]


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
