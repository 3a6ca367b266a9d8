"""
End-to-end: ``client.datastore`` against the sandbox.
"""

from __future__ import annotations

import uuid

import attrs
import pytest

from onlyonce_async import (
    AccessDeniedError,
    Client,
    FieldValue,
    NotFoundError,
    ValidationError,
    WrongSecretKeyError,
)
from onlyonce_async.testing import Sandbox, SandboxUser

from .conftest import SignedIn

pytestmark = pytest.mark.anyio


async def test_get_holds_the_sign_up_fields(alice_client: Client, alice: SandboxUser) -> None:
    """The personal datastore starts with the names and email from sign-up."""
    values = {
        v.definition_name: v.value for v in await alice_client.datastore.get(alice.profile_id)
    }
    assert values == {
        "first_name_field": "Alice",
        "last_name_field": "User",
        "communication_email1_field": alice.email,
    }


async def test_get_without_access(signed_in: SignedIn, alice: SandboxUser) -> None:
    """Without enable_access the datastore raises WrongSecretKeyError (not expired)."""
    client = await signed_in(alice)
    with pytest.raises(WrongSecretKeyError) as caught:
        await client.datastore.get(alice.profile_id)
    assert caught.value.expired is False


async def test_get_another_accounts_datastore(alice_client: Client, bob: SandboxUser) -> None:
    """Another account's datastore raises AccessDeniedError."""
    with pytest.raises(AccessDeniedError):
        await alice_client.datastore.get(bob.profile_id)


async def test_add_fields_with_parent_and_dictionary_value(
    alice_client: Client, alice: SandboxUser, sandbox: Sandbox
) -> None:
    """add_fields returns the created values with ids; children point at their group."""
    country = sandbox.dictionary("country_field")[1].id
    (group,) = await alice_client.datastore.add_fields(
        alice.profile_id, [FieldValue(definition_name="address_group", value="home")]
    )
    assert group.id is not None
    created = await alice_client.datastore.add_fields(
        alice.profile_id,
        [
            FieldValue(definition_name="city_field", value="Delft", parent_value_id=group.id),
            FieldValue(
                definition_name="country_field",
                value={"id": str(country)},
                parent_value_id=group.id,
            ),
        ],
    )
    assert [(c.definition_name, c.parent_value_id) for c in created] == [
        ("city_field", group.id),
        ("country_field", group.id),
    ]
    stored = {v.id: v for v in await alice_client.datastore.get(alice.profile_id)}
    assert stored[created[1].id].value == {"id": str(country)}


async def test_add_fields_with_unknown_parent(alice_client: Client, alice: SandboxUser) -> None:
    """A parent outside the datastore raises ValidationError and stores nothing."""
    before = await alice_client.datastore.get(alice.profile_id)
    with pytest.raises(ValidationError) as caught:
        await alice_client.datastore.add_fields(
            alice.profile_id,
            [FieldValue(definition_name="city_field", value="x", parent_value_id=uuid.uuid4())],
        )
    assert "[0].parentValueId" in caught.value.errors
    assert await alice_client.datastore.get(alice.profile_id) == before


async def test_save_fields_updates_and_creates(alice_client: Client, alice: SandboxUser) -> None:
    """save_fields updates values with an id, creates the rest, returns the whole store."""
    values = await alice_client.datastore.get(alice.profile_id)
    first = next(v for v in values if v.definition_name == "first_name_field")
    result = await alice_client.datastore.save_fields(
        alice.profile_id,
        [
            attrs.evolve(first, value="Alicia"),
            FieldValue(definition_name="nickname_field", value="Ali"),
        ],
    )
    by_name = {v.definition_name: v.value for v in result}
    assert by_name["first_name_field"] == "Alicia"
    assert by_name["nickname_field"] == "Ali"
    assert len(result) == len(values) + 1


async def test_save_fields_with_unknown_id(alice_client: Client, alice: SandboxUser) -> None:
    """A value id outside the datastore raises ValidationError."""
    with pytest.raises(ValidationError) as caught:
        await alice_client.datastore.save_fields(
            alice.profile_id,
            [FieldValue(definition_name="x_field", value="x", id=uuid.uuid4())],
        )
    assert "[0].id" in caught.value.errors


async def test_save_fields_without_access(signed_in: SignedIn, alice: SandboxUser) -> None:
    """save_fields without access raises WrongSecretKeyError."""
    client = await signed_in(alice)
    with pytest.raises(WrongSecretKeyError):
        await client.datastore.save_fields(
            alice.profile_id, [FieldValue(definition_name="x_field", value="x")]
        )


async def test_delete_field(alice_client: Client, alice: SandboxUser) -> None:
    """delete_field removes the value; deleting it again raises NotFoundError."""
    (added,) = await alice_client.datastore.add_fields(
        alice.profile_id, [FieldValue(definition_name="hobby_field", value="chess")]
    )
    assert added.id is not None
    await alice_client.datastore.delete_field(alice.profile_id, added.id)
    ids = {v.id for v in await alice_client.datastore.get(alice.profile_id)}
    assert added.id not in ids
    with pytest.raises(NotFoundError):
        await alice_client.datastore.delete_field(alice.profile_id, added.id)


async def test_a_value_is_required_when_sending(
    alice_client: Client, alice: SandboxUser, sandbox: Sandbox
) -> None:
    """A field without a value (which the sandbox would refuse with 422) is never sent."""
    sent = sandbox.stats.requests
    with pytest.raises(ValueError, match="value"):
        await alice_client.datastore.add_fields(
            alice.profile_id, [FieldValue(definition_name="group_field")]
        )
    assert sandbox.stats.requests == sent
