"""
Testing your own code against the sandbox, with the SDK's pytest fixtures.

``onlyonce_sandbox`` is a fresh in-memory Only Once server per test and ``onlyonce_user``
an account in it (``.email``, ``.password``, ``.pass_phrase``, ``.profile_id``). Your code
gets a real `Client` wired to the sandbox, so it runs exactly as in production, errors and
all, without a network.

The "app" here is two small functions; the tests below them are what you would write.
Enable the fixtures with one line (here, or in your ``conftest.py``)::

    pytest_plugins = ["onlyonce_async.testing.pytest_plugin"]

Run: ``pytest examples/test_my_app.py`` (needs ``onlyonce-async[testing]`` and pytest; async
tests use anyio's pytest plugin, installed with anyio; ``examples/pytest.ini`` is this
directory's own pytest configuration).
"""

from __future__ import annotations

import uuid

import pytest

from onlyonce_async import Client, NotFoundError
from onlyonce_async.testing import Sandbox, SandboxUser

pytest_plugins = ["onlyonce_async.testing.pytest_plugin"]


# -- the application code under test --------------------------------------------------------


async def greeting(client: Client, profile_id: uuid.UUID) -> str:
    """A greeting for a profile, or a polite fallback when it does not exist."""
    try:
        profile = await client.profiles.get(profile_id)
    except NotFoundError:
        return "Hello, stranger!"
    return f"Hello, {profile.name}!"


async def contact_card(client: Client, profile_id: uuid.UUID, pass_phrase: str) -> uuid.UUID:
    """Create a card holding the profile's e-mail address and return its id."""
    await client.profiles.enable_access(profile_id, pass_phrase)
    fields = await client.datastore.get(profile_id)
    emails = [f.id for f in fields if f.id is not None and "email" in f.definition_name]
    return await client.cards.create(profile_id, name="Contact", fields=emails)


# -- its tests ------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_greeting_uses_the_profile_name(
    onlyonce_sandbox: Sandbox, onlyonce_user: SandboxUser
) -> None:
    """The greeting names the profile's owner."""
    async with onlyonce_sandbox.client() as client:
        await client.account.sign_in(onlyonce_user.email, onlyonce_user.password)
        assert await greeting(client, onlyonce_user.profile_id) == "Hello, Test User!"


@pytest.mark.anyio
async def test_greeting_for_an_unknown_profile(
    onlyonce_sandbox: Sandbox, onlyonce_user: SandboxUser
) -> None:
    """An unknown profile gets the fallback greeting instead of an exception."""
    async with onlyonce_sandbox.client() as client:
        await client.account.sign_in(onlyonce_user.email, onlyonce_user.password)
        assert await greeting(client, uuid.uuid4()) == "Hello, stranger!"


@pytest.mark.anyio
async def test_contact_card_holds_the_email(
    onlyonce_sandbox: Sandbox, onlyonce_user: SandboxUser
) -> None:
    """The created card exists and carries exactly the e-mail field."""
    async with onlyonce_sandbox.client() as client:
        await client.account.sign_in(onlyonce_user.email, onlyonce_user.password)
        card_id = await contact_card(client, onlyonce_user.profile_id, onlyonce_user.pass_phrase)
        card = await client.cards.get(onlyonce_user.profile_id, card_id)
        assert [f.value for f in card.fields] == [onlyonce_user.email]
