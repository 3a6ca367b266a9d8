"""
End-to-end: ``client.profiles`` (profiles, access, pass phrase, organizations, bookmarks,
tags, notes, settings) against the sandbox.
"""

from __future__ import annotations

import uuid

import attrs
import pytest

from onlyonce_async import (
    AccessDeniedError,
    AvatarVisibility,
    Client,
    CommunicationChannel,
    EmailNotificationType,
    NotFoundError,
    Profile,
    ProfileType,
    ValidationError,
    WrongSecretKeyError,
)
from onlyonce_async._convert import wire_names
from onlyonce_async.testing import Sandbox, SandboxUser

from .conftest import SignedIn

pytestmark = pytest.mark.anyio


async def _create_org(client: Client, sandbox: Sandbox, trade_name: str) -> uuid.UUID:
    await client.profiles.create_organization(
        pass_phrase="org-pp",
        email="org@example.com",
        trade_name=trade_name,
        legal_entity_type=sandbox.dictionary("legal_entity_type_field")[0].id,
        country=sandbox.dictionary("country_field")[0].id,
    )
    mine = [p async for p in client.profiles.list(scope="MINE")]
    return next(p.id for p in mine if p.name == trade_name)


async def test_list_search_and_get(
    alice_client: Client, bob_client: Client, alice: SandboxUser, bob: SandboxUser
) -> None:
    """Searching by name finds Bob; getting his profile counts a view."""
    found = [p async for p in alice_client.profiles.list(name="bob", page_size=1)]
    assert [p.id for p in found] == [bob.profile_id]
    profile = await alice_client.profiles.get(bob.profile_id, current_profile_id=alice.profile_id)
    assert profile.type is ProfileType.PERSONAL
    assert profile.name == "Bob User"
    again = await bob_client.profiles.get(bob.profile_id)
    assert again.views_count == 1


async def test_list_another_accounts_bookmarks_is_denied(
    alice_client: Client, bob: SandboxUser
) -> None:
    """Listing the bookmarks of another account's profile raises AccessDeniedError."""
    with pytest.raises(AccessDeniedError):
        await alice_client.profiles.list(scope="BOOKMARKS", profile_id=bob.profile_id).fetch_page(0)


async def test_get_unknown_profile(alice_client: Client) -> None:
    """An unknown profile id raises NotFoundError."""
    with pytest.raises(NotFoundError):
        await alice_client.profiles.get(uuid.uuid4())


async def test_create_and_delete_organization(alice_client: Client, sandbox: Sandbox) -> None:
    """An organization is created, listed as MINE, then deleted."""
    org_id = await _create_org(alice_client, sandbox, "Acme Corp")
    org = await alice_client.profiles.get(org_id)
    assert org.type is ProfileType.ORGANIZATION
    await alice_client.profiles.delete(org_id)
    with pytest.raises(NotFoundError):
        await alice_client.profiles.get(org_id)


async def test_create_organization_with_taken_trade_name(
    alice_client: Client, bob_client: Client, sandbox: Sandbox
) -> None:
    """A trade name already taken raises ValidationError naming tradeName."""
    await _create_org(alice_client, sandbox, "Acme Corp")
    with pytest.raises(ValidationError) as caught:
        await _create_org(bob_client, sandbox, "acme corp")
    assert "tradeName" in caught.value.errors
    assert [p.name async for p in bob_client.profiles.list(scope="MINE")] == ["Bob User"]


@pytest.mark.parametrize("whose", ["personal", "foreign"])
async def test_delete_personal_or_foreign_profile_is_denied(
    alice_client: Client, alice: SandboxUser, bob: SandboxUser, whose: str
) -> None:
    """Deleting a personal profile or another account's raises AccessDeniedError."""
    target = alice.profile_id if whose == "personal" else bob.profile_id
    with pytest.raises(AccessDeniedError):
        await alice_client.profiles.delete(target)
    assert (await alice_client.profiles.get(target)).id == target


async def test_enable_access_with_wrong_pass_phrase(
    signed_in: SignedIn, alice: SandboxUser
) -> None:
    """A wrong pass phrase raises WrongSecretKeyError and leaves access disabled."""
    client = await signed_in(alice)
    with pytest.raises(WrongSecretKeyError) as caught:
        await client.profiles.enable_access(alice.profile_id, "wrong", remember=False)
    assert not caught.value.expired
    with pytest.raises(WrongSecretKeyError):
        await client.datastore.get(alice.profile_id)


async def test_change_pass_phrase(signed_in: SignedIn, alice: SandboxUser) -> None:
    """After change_pass_phrase only the new pass phrase enables access."""
    client = await signed_in(alice)
    await client.profiles.change_pass_phrase(alice.profile_id, alice.pass_phrase, "fresh-pp")
    with pytest.raises(WrongSecretKeyError):
        await client.profiles.enable_access(alice.profile_id, alice.pass_phrase)
    await client.profiles.enable_access(alice.profile_id, "fresh-pp")


async def test_change_pass_phrase_with_wrong_one(signed_in: SignedIn, alice: SandboxUser) -> None:
    """A wrong current pass phrase raises WrongSecretKeyError and changes nothing."""
    client = await signed_in(alice)
    with pytest.raises(WrongSecretKeyError):
        await client.profiles.change_pass_phrase(alice.profile_id, "wrong", "fresh-pp")
    await client.profiles.enable_access(alice.profile_id, alice.pass_phrase)


async def test_bookmarks(alice_client: Client, alice: SandboxUser, bob: SandboxUser) -> None:
    """A bookmark appears in the BOOKMARKS scope and goes away when removed."""
    await alice_client.profiles.add_bookmark(alice.profile_id, bob.profile_id)
    marks = alice_client.profiles.list(scope="BOOKMARKS", profile_id=alice.profile_id)
    found = [p async for p in marks]
    assert [(p.id, p.bookmarked) for p in found] == [(bob.profile_id, True)]
    await alice_client.profiles.remove_bookmark(alice.profile_id, bob.profile_id)
    marks = alice_client.profiles.list(scope="BOOKMARKS", profile_id=alice.profile_id)
    assert [p async for p in marks] == []


async def test_bookmarks_of_another_account_are_denied(
    alice_client: Client, alice: SandboxUser, bob: SandboxUser
) -> None:
    """Bookmarking as, or removing a bookmark of, Bob's profile raises AccessDeniedError."""
    with pytest.raises(AccessDeniedError):
        await alice_client.profiles.add_bookmark(bob.profile_id, alice.profile_id)
    with pytest.raises(AccessDeniedError):
        await alice_client.profiles.remove_bookmark(bob.profile_id, alice.profile_id)


async def test_remove_absent_bookmark(
    alice_client: Client, alice: SandboxUser, bob: SandboxUser
) -> None:
    """Removing a bookmark that is not there succeeds (a retried removal must not fail);
    removing one of a profile that does not exist raises NotFoundError."""
    await alice_client.profiles.remove_bookmark(alice.profile_id, bob.profile_id)
    with pytest.raises(NotFoundError):
        await alice_client.profiles.remove_bookmark(alice.profile_id, uuid.UUID(int=3, version=4))


async def test_tags(alice_client: Client, alice: SandboxUser, bob: SandboxUser) -> None:
    """A tag shows on the tagged profile as the owner sees it, and is removed again."""
    await alice_client.profiles.add_tag(
        owner_id=alice.profile_id, target_id=bob.profile_id, tag="friend"
    )
    seen = await alice_client.profiles.get(bob.profile_id, current_profile_id=alice.profile_id)
    assert [t.tag for t in seen.tags or []] == ["friend"]
    tagged = alice_client.profiles.list(tags=["friend"])
    assert [p.id async for p in tagged] == [bob.profile_id]
    await alice_client.profiles.remove_tag(
        owner_id=alice.profile_id, target_id=bob.profile_id, tag="friend"
    )
    seen = await alice_client.profiles.get(bob.profile_id, current_profile_id=alice.profile_id)
    assert not seen.tags
    await alice_client.profiles.remove_tag(
        owner_id=alice.profile_id, target_id=bob.profile_id, tag="friend"
    )
    with pytest.raises(NotFoundError):
        await alice_client.profiles.remove_tag(
            owner_id=alice.profile_id, target_id=uuid.UUID(int=3, version=4), tag="friend"
        )


async def test_tags_as_another_account_are_denied(
    alice_client: Client, alice: SandboxUser, bob: SandboxUser
) -> None:
    """Tagging with another account's profile as owner raises AccessDeniedError."""
    with pytest.raises(AccessDeniedError):
        await alice_client.profiles.add_tag(
            owner_id=bob.profile_id, target_id=alice.profile_id, tag="x"
        )
    with pytest.raises(AccessDeniedError):
        await alice_client.profiles.remove_tag(
            owner_id=bob.profile_id, target_id=alice.profile_id, tag="x"
        )


async def test_notes_lifecycle(alice_client: Client, alice: SandboxUser, bob: SandboxUser) -> None:
    """A note is added, listed, updated and deleted."""
    note_id = await alice_client.profiles.add_note(
        bob.profile_id, owner_id=alice.profile_id, type="GENERAL", text="met at the fair"
    )
    notes = await alice_client.profiles.list_notes(bob.profile_id, owner_id=alice.profile_id)
    assert [(n.id, n.text) for n in notes] == [(note_id, "met at the fair")]
    await alice_client.profiles.update_note(bob.profile_id, attrs.evolve(notes[0], text="later"))
    notes = await alice_client.profiles.list_notes(bob.profile_id, owner_id=alice.profile_id)
    assert [n.text for n in notes] == ["later"]
    await alice_client.profiles.delete_note(bob.profile_id, note_id)
    assert await alice_client.profiles.list_notes(bob.profile_id, owner_id=alice.profile_id) == []


async def test_notes_of_another_account_are_denied(
    alice_client: Client, bob_client: Client, alice: SandboxUser, bob: SandboxUser
) -> None:
    """Bob cannot write, read, update or delete notes owned by Alice's profile."""
    note_id = await alice_client.profiles.add_note(
        bob.profile_id, owner_id=alice.profile_id, type="GENERAL", text="secret"
    )
    (note,) = await alice_client.profiles.list_notes(bob.profile_id, owner_id=alice.profile_id)
    with pytest.raises(AccessDeniedError):
        await bob_client.profiles.add_note(
            bob.profile_id, owner_id=alice.profile_id, type="GENERAL", text="forged"
        )
    with pytest.raises(AccessDeniedError):
        await bob_client.profiles.list_notes(bob.profile_id, owner_id=alice.profile_id)
    with pytest.raises(AccessDeniedError):
        await bob_client.profiles.update_note(bob.profile_id, attrs.evolve(note, text="x"))
    with pytest.raises(AccessDeniedError):
        await bob_client.profiles.delete_note(bob.profile_id, note_id)
    (kept,) = await alice_client.profiles.list_notes(bob.profile_id, owner_id=alice.profile_id)
    assert kept.text == "secret"


async def test_update_or_delete_unknown_note(
    alice_client: Client, alice: SandboxUser, bob: SandboxUser
) -> None:
    """An unknown note id raises NotFoundError."""
    note_id = await alice_client.profiles.add_note(
        bob.profile_id, owner_id=alice.profile_id, type="GENERAL", text="t"
    )
    (note,) = await alice_client.profiles.list_notes(bob.profile_id, owner_id=alice.profile_id)
    with pytest.raises(NotFoundError):
        await alice_client.profiles.update_note(bob.profile_id, attrs.evolve(note, id=uuid.uuid4()))
    with pytest.raises(NotFoundError):
        await alice_client.profiles.delete_note(alice.profile_id, note_id)


async def test_settings_round_trip(alice_client: Client, alice: SandboxUser) -> None:
    """Settings read, changed with attrs.evolve and written back are read back changed."""
    settings = await alice_client.profiles.get_settings(alice.profile_id)
    changed = attrs.evolve(
        settings,
        avatar_visibility=AvatarVisibility.NOBODY,
        searchable_by_name=False,
        email_notification_types=[EmailNotificationType.WEEKLY_SUMMARY],
        communication_channels_order=list(reversed(CommunicationChannel)),
    )
    await alice_client.profiles.update_settings(alice.profile_id, changed)
    assert await alice_client.profiles.get_settings(alice.profile_id) == changed


async def test_settings_of_another_account_are_denied(
    alice_client: Client, bob: SandboxUser, alice: SandboxUser
) -> None:
    """Reading or writing another account's settings raises AccessDeniedError."""
    with pytest.raises(AccessDeniedError):
        await alice_client.profiles.get_settings(bob.profile_id)
    mine = await alice_client.profiles.get_settings(alice.profile_id)
    with pytest.raises(AccessDeniedError):
        await alice_client.profiles.update_settings(bob.profile_id, mine)


async def test_page_size_over_the_api_maximum_is_refused_locally(
    alice_client: Client, sandbox: Sandbox
) -> None:
    """page_size 100 is served; 101, which the sandbox would answer 422, is never sent."""
    assert len([p async for p in alice_client.profiles.list(page_size=100)]) == 1
    sent = sandbox.stats.requests
    with pytest.raises(ValueError, match="page_size"):
        alice_client.profiles.list(page_size=101)
    assert sandbox.stats.requests == sent


async def test_sandbox_profile_body_has_every_field_of_the_model(
    alice_client: Client, alice: SandboxUser
) -> None:
    """The sandbox's profile body carries exactly the wire names of the SDK's Profile."""
    body = await alice_client.get(f"/profiles/{alice.profile_id}")
    assert set(body) == wire_names(Profile)
