"""
pytest fixtures for testing code against the sandbox.

Enable them in a ``conftest.py`` with one line::

    pytest_plugins = ["onlyonce_async.testing.pytest_plugin"]

Fixtures: ``onlyonce_sandbox`` (a fresh `Sandbox` per test) and ``onlyonce_user`` (a
`SandboxUser` created in it). The plugin is not registered as a ``pytest11`` entry point,
so installing the SDK without the ``testing`` extra never affects pytest.
"""

from __future__ import annotations

import pytest

from ._sandbox import Sandbox, SandboxUser

__all__ = ["onlyonce_sandbox", "onlyonce_user"]


@pytest.fixture
def onlyonce_sandbox() -> Sandbox:
    """A fresh in-memory sandbox (default rate limit, seed 0)."""
    return Sandbox()


@pytest.fixture
def onlyonce_user(onlyonce_sandbox: Sandbox) -> SandboxUser:
    """A user (account and personal profile) in ``onlyonce_sandbox``."""
    return onlyonce_sandbox.create_user(
        email="user@example.com",
        password="password-1",  # noqa: S106 - a made-up test credential
        pass_phrase="pass-phrase-1",  # noqa: S106
    )
