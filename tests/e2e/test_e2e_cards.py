"""
End-to-end: ``client.cards`` against the sandbox.
"""

from __future__ import annotations

import uuid

import pytest

from onlyonce_async import (
    AccessDeniedError,
    Client,
    DataSetType,
    NotFoundError,
    ValidationError,
    WrongSecretKeyError,
)
from onlyonce_async.testing import Sandbox, SandboxUser
from tests._support.datastore import field_ids

from .conftest import SignedIn

pytestmark = pytest.mark.anyio


async def _card(client: Client, user: SandboxUser, name: str = "Work") -> uuid.UUID:
    ids = await field_ids(client.get, user.profile_id)
    return await client.cards.create(
        user.profile_id, name=name, fields=[ids["first_name_field"], ids["last_name_field"]]
    )


async def test_list_mine_has_the_public_card(sandbox: Sandbox, alice: SandboxUser) -> None:
    """Every profile owns its predefined public card; listing needs no sign-in."""
    async with sandbox.client() as anonymous:
        (card,) = await anonymous.cards.list(alice.profile_id, scope="MINE")
    assert card.predefined
    assert card.data_set_type is DataSetType.PUBLIC_CARD
    assert card.predefined_type == "PUBLIC"
    assert (card.pending_requests_count, card.accepted_requests_count) == (0, 0)


async def test_list_unknown_profile(alice_client: Client) -> None:
    """Listing the cards of an unknown profile raises NotFoundError."""
    with pytest.raises(NotFoundError):
        await alice_client.cards.list(uuid.uuid4(), scope="MINE")


async def test_create_get_update_clone_delete(alice_client: Client, alice: SandboxUser) -> None:
    """A card goes through create, get, update, clone and delete."""
    ids = await field_ids(alice_client.get, alice.profile_id)
    card_id = await _card(alice_client, alice)
    content = await alice_client.cards.get(alice.profile_id, card_id)
    assert content.name == "Work"
    assert content.data_set_type is DataSetType.SHAREABLE_CARD
    assert {f.definition_name for f in content.fields} == {"first_name_field", "last_name_field"}
    await alice_client.cards.update(
        alice.profile_id, card_id, name="Job", fields=[ids["communication_email1_field"]]
    )
    content = await alice_client.cards.get(alice.profile_id, card_id)
    assert (content.name, [f.id for f in content.fields]) == (
        "Job",
        [ids["communication_email1_field"]],
    )
    copy_id = await alice_client.cards.clone(alice.profile_id, card_id)
    copy = await alice_client.cards.get(alice.profile_id, copy_id)
    assert copy.name.startswith("Job") and copy.id != card_id
    await alice_client.cards.delete(alice.profile_id, card_id)
    names = [c.name for c in await alice_client.cards.list(alice.profile_id, scope="MINE")]
    assert "Job" not in names and copy.name in names


async def test_create_with_taken_name_or_foreign_field(
    alice_client: Client, bob_client: Client, alice: SandboxUser, bob: SandboxUser
) -> None:
    """A taken name or another profile's field raises ValidationError naming it."""
    await _card(alice_client, alice, "Work")
    with pytest.raises(ValidationError) as caught:
        await _card(alice_client, alice, "work")
    assert "name" in caught.value.errors
    bobs = await field_ids(bob_client.get, bob.profile_id)
    with pytest.raises(ValidationError) as caught:
        await alice_client.cards.create(
            alice.profile_id, name="Other", fields=[bobs["first_name_field"]]
        )
    assert "fields" in caught.value.errors
    assert len(await alice_client.cards.list(alice.profile_id, scope="MINE")) == 2


async def test_get_create_update_clone_without_access(
    signed_in: SignedIn, alice: SandboxUser
) -> None:
    """Without access, card content, create, update and clone raise WrongSecretKeyError."""
    client = await signed_in(alice)
    (public,) = await client.cards.list(alice.profile_id, scope="MINE")
    with pytest.raises(WrongSecretKeyError):
        await client.cards.get(alice.profile_id, public.id)
    with pytest.raises(WrongSecretKeyError):
        await client.cards.create(alice.profile_id, name="New", fields=[])
    with pytest.raises(WrongSecretKeyError):
        await client.cards.update(alice.profile_id, public.id, name="New", fields=[])
    with pytest.raises(WrongSecretKeyError):
        await client.cards.clone(alice.profile_id, public.id)
    assert len(await client.cards.list(alice.profile_id, scope="MINE")) == 1


async def test_update_clone_with_unknown_card(alice_client: Client, alice: SandboxUser) -> None:
    """Updating, cloning or getting an unknown card raises NotFoundError."""
    unknown = uuid.uuid4()
    with pytest.raises(NotFoundError):
        await alice_client.cards.update(alice.profile_id, unknown, name="x", fields=[])
    with pytest.raises(NotFoundError):
        await alice_client.cards.clone(alice.profile_id, unknown)
    with pytest.raises(NotFoundError):
        await alice_client.cards.get(alice.profile_id, unknown)


async def test_update_to_a_taken_name(alice_client: Client, alice: SandboxUser) -> None:
    """Renaming a card to another card's name raises ValidationError and keeps the name."""
    await _card(alice_client, alice, "Work")
    other = await _card(alice_client, alice, "Home")
    with pytest.raises(ValidationError):
        await alice_client.cards.update(alice.profile_id, other, name="Work", fields=[])
    assert (await alice_client.cards.get(alice.profile_id, other)).name == "Home"


async def test_delete_public_or_foreign_card_is_denied(
    alice_client: Client, bob_client: Client, alice: SandboxUser, bob: SandboxUser
) -> None:
    """The predefined card and another account's cards cannot be deleted (AccessDeniedError)."""
    (public,) = await alice_client.cards.list(alice.profile_id, scope="MINE")
    with pytest.raises(AccessDeniedError):
        await alice_client.cards.delete(alice.profile_id, public.id)
    bobs_card = await _card(bob_client, bob)
    with pytest.raises(AccessDeniedError):
        await alice_client.cards.delete(bob.profile_id, bobs_card)
    with pytest.raises(AccessDeniedError):
        await alice_client.cards.clone(bob.profile_id, bobs_card)
    assert len(await bob_client.cards.list(bob.profile_id, scope="MINE")) == 2
