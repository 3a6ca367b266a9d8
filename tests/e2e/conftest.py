"""
Fixtures for the end-to-end tests: the SDK's typed methods against the in-process sandbox.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest

from onlyonce_async import Client
from onlyonce_async._convert import decoding_with, make_converter
from onlyonce_async.testing import Sandbox, SandboxUser

SignedIn = Callable[[SandboxUser], Awaitable[Client]]


@pytest.fixture(autouse=True)
def strict_decoding() -> Iterator[None]:
    """Decode every answer strictly: a field or enum value the SDK does not know fails."""
    with decoding_with(make_converter(strict=True)):
        yield


@pytest.fixture
async def signed_in(sandbox: Sandbox) -> AsyncIterator[SignedIn]:
    """Build an SDK client for a user, signed in through ``account.sign_in``."""
    clients: list[Client] = []

    async def make(user: SandboxUser) -> Client:
        client = sandbox.client(max_retries=0)
        clients.append(client)
        await client.account.sign_in(user.email, user.password)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
async def alice_client(signed_in: SignedIn, alice: SandboxUser) -> Client:
    """Alice's client, signed in, with access to her personal profile enabled."""
    client = await signed_in(alice)
    await client.profiles.enable_access(alice.profile_id, alice.pass_phrase)
    return client


@pytest.fixture
async def bob_client(signed_in: SignedIn, bob: SandboxUser) -> Client:
    """Bob's client, signed in, with access to his personal profile enabled."""
    client = await signed_in(bob)
    await client.profiles.enable_access(bob.profile_id, bob.pass_phrase)
    return client


async def field_ids(client: Client, profile_id: uuid.UUID) -> dict[str, uuid.UUID]:
    """definitionName -> field value id of a profile's datastore."""
    values = await client.datastore.get(profile_id)
    return {v.definition_name: v.id for v in values if v.id is not None}


async def public_card(client: Client, profile_id: uuid.UUID) -> uuid.UUID:
    """The id of a profile's predefined public card."""
    return (await client.profiles.get(profile_id)).public_card_id or uuid.uuid4()
