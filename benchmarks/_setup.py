"""
Setting up an owner, a card and recipients in a sandbox for the sharing benchmarks.
"""

from __future__ import annotations

import uuid

import attrs

from onlyonce_async import Client
from onlyonce_async.testing import Sandbox


@attrs.frozen
class Scene:
    """An owner signed in on a client, with a card to share and recipients to share it with."""

    token: str
    sender_id: uuid.UUID
    card_id: uuid.UUID
    recipients: list[uuid.UUID]


async def build_scene(sandbox: Sandbox, client: Client, recipients: int, tag: str) -> Scene:
    """Create the owner through the API and the recipients directly in sandbox state."""
    owner = sandbox.create_user(
        email=f"owner-{tag}@example.com", password="pw-owner-1", pass_phrase="phrase"
    )
    token = await client.account.sign_in(owner.email, "pw-owner-1")
    await client.profiles.enable_access(owner.profile_id, "phrase")
    fields = await client.datastore.get(owner.profile_id)
    card_id = await client.cards.create(
        owner.profile_id, name=f"card {tag}", fields=[f.id for f in fields if f.id is not None]
    )
    people = [
        sandbox.create_user(
            email=f"r{n}-{tag}@example.com", password="pw", pass_phrase="p"
        ).profile_id
        for n in range(recipients)
    ]
    return Scene(token=token, sender_id=owner.profile_id, card_id=card_id, recipients=people)
