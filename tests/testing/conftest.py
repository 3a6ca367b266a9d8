"""
Fixtures for the sandbox's wire-level tests: a sandbox, two users, raw httpx clients.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from onlyonce_async.testing import BASE_URL, Sandbox, SandboxUser
from tests._support import datastore


@pytest.fixture
async def http(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    """A raw httpx client talking to the sandbox in-process."""
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=BASE_URL) as client:
        yield client


Headers = Callable[[SandboxUser], dict[str, str]]


@pytest.fixture
def auth(sandbox: Sandbox) -> Headers:
    """Bearer headers for a user."""

    def headers(user: SandboxUser) -> dict[str, str]:
        return {"Authorization": f"Bearer {sandbox.sign_in(user)}"}

    return headers


Unlock = Callable[[SandboxUser], Awaitable[dict[str, str]]]


@pytest.fixture
def unlock(http: httpx.AsyncClient, auth: Headers) -> Unlock:
    """Sign a user in, enable access to their personal profile, return the headers."""

    async def run(user: SandboxUser) -> dict[str, str]:
        headers = auth(user)
        response = await http.post(
            f"profiles/{user.profile_id}/access",
            headers={**headers, "Secret-Key": user.pass_phrase},
        )
        assert response.status_code == 200
        return headers

    return run


FieldIds = Callable[[dict[str, str], uuid.UUID], Awaitable[dict[str, uuid.UUID]]]


@pytest.fixture
def field_ids(http: httpx.AsyncClient) -> FieldIds:
    """definitionName -> field id of a profile's datastore, read with the given headers."""

    async def run(headers: dict[str, str], profile_id: uuid.UUID) -> dict[str, uuid.UUID]:
        async def get(path: str) -> Any:
            response = await http.get(path, headers=headers)
            assert response.status_code == 200
            return response.json()

        return await datastore.field_ids(get, profile_id)

    return run
