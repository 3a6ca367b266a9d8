"""
End-to-end: ``client.network`` (share, request, accept/decline/revoke, listing, bulk) and
``client.consolidated`` against the sandbox.
"""

from __future__ import annotations

import uuid

import pytest

from onlyonce_async import (
    AccessDeniedError,
    Client,
    NotFoundError,
    RequestStatus,
    RequestType,
    ValidationError,
    WrongRequestOwnerError,
    WrongRequestStatusError,
    WrongSecretKeyError,
)
from onlyonce_async.testing import Sandbox, SandboxUser
from tests._support.datastore import field_ids

from .conftest import SignedIn

pytestmark = pytest.mark.anyio


async def _work_card(client: Client, user: SandboxUser) -> uuid.UUID:
    ids = await field_ids(client.get, user.profile_id)
    return await client.cards.create(
        user.profile_id,
        name="Work",
        fields=[ids["first_name_field"], ids["communication_email1_field"]],
    )


def _statuses(sandbox: Sandbox) -> list[str]:
    return [r.status for r in sandbox.share_requests()]


async def test_share_then_accept_connects(
    alice_client: Client,
    bob_client: Client,
    alice: SandboxUser,
    bob: SandboxUser,
    sandbox: Sandbox,
) -> None:
    """A shared card, once accepted, is listed as ACCEPTED and readable by the recipient."""
    card_id = await _work_card(alice_client, alice)
    share = await alice_client.network.share(
        card_id, sender_id=alice.profile_id, recipient_id=bob.profile_id
    )
    assert share.status is RequestStatus.PENDING
    assert (share.sender.id, share.recipient.id, share.card_id) == (
        alice.profile_id,
        bob.profile_id,
        card_id,
    )
    incoming = bob_client.network.list_requests(bob.profile_id, type=RequestType.INCOMING)
    assert [r.id async for r in incoming] == [share.id]
    await bob_client.network.accept([share.id])
    assert _statuses(sandbox) == ["ACCEPTED"]
    (accepted,) = await bob_client.cards.list(bob.profile_id, scope="ACCEPTED")
    assert accepted.id == card_id
    assert (accepted.pending_requests_count, accepted.accepted_requests_count) == (None, None)
    content = await bob_client.cards.get(bob.profile_id, card_id)
    assert {f.definition_name for f in content.fields} == {
        "first_name_field",
        "communication_email1_field",
    }
    connected = bob_client.profiles.list(scope="CONNECTIONS", profile_id=bob.profile_id)
    assert [p.id async for p in connected] == [alice.profile_id]


async def test_share_failures(
    alice_client: Client,
    bob_client: Client,
    alice: SandboxUser,
    bob: SandboxUser,
    sandbox: Sandbox,
) -> None:
    """Unknown card or recipient, oneself, a foreign sender, and an accepted duplicate fail."""
    card_id = await _work_card(alice_client, alice)
    with pytest.raises(NotFoundError):
        await alice_client.network.share(
            uuid.uuid4(), sender_id=alice.profile_id, recipient_id=bob.profile_id
        )
    with pytest.raises(NotFoundError):
        await alice_client.network.share(
            card_id, sender_id=alice.profile_id, recipient_id=uuid.uuid4()
        )
    with pytest.raises(ValidationError) as caught:
        await alice_client.network.share(
            card_id, sender_id=alice.profile_id, recipient_id=alice.profile_id
        )
    assert "recipient" in caught.value.errors
    with pytest.raises(AccessDeniedError):
        await alice_client.network.share(
            card_id, sender_id=bob.profile_id, recipient_id=alice.profile_id
        )
    assert sandbox.share_requests() == []
    share = await alice_client.network.share(
        card_id, sender_id=alice.profile_id, recipient_id=bob.profile_id
    )
    await bob_client.network.accept([share.id])
    with pytest.raises(WrongRequestStatusError):
        await alice_client.network.share(
            card_id, sender_id=alice.profile_id, recipient_id=bob.profile_id
        )
    assert _statuses(sandbox) == ["ACCEPTED"]


async def test_share_without_access(
    signed_in: SignedIn, alice: SandboxUser, bob: SandboxUser, sandbox: Sandbox
) -> None:
    """Sharing without access to the sender profile raises WrongSecretKeyError."""
    client = await signed_in(alice)
    (public,) = await client.cards.list(alice.profile_id, scope="MINE")
    with pytest.raises(WrongSecretKeyError):
        await client.network.share(
            public.id, sender_id=alice.profile_id, recipient_id=bob.profile_id
        )
    assert sandbox.share_requests() == []


async def test_request_card_then_decline(
    alice_client: Client,
    bob_client: Client,
    alice: SandboxUser,
    bob: SandboxUser,
    sandbox: Sandbox,
) -> None:
    """Bob asks for Alice's card; the request reaches Alice, whose account may decline it."""
    card_id = await _work_card(alice_client, alice)
    asked = await bob_client.network.request_card(
        card_id, sender_id=bob.profile_id, recipient_id=alice.profile_id
    )
    assert asked.status is RequestStatus.PENDING
    assert [r.reversed for r in sandbox.share_requests()] == [True]
    incoming = alice_client.network.list_requests(alice.profile_id, type="INCOMING")
    assert [r.id async for r in incoming] == [asked.id]
    await alice_client.network.decline([asked.id])
    assert _statuses(sandbox) == ["DECLINED"]
    again = await bob_client.network.request_card(
        card_id, sender_id=bob.profile_id, recipient_id=alice.profile_id
    )
    await alice_client.network.accept([again.id])
    (received,) = await bob_client.cards.list(bob.profile_id, scope="ACCEPTED")
    assert received.id == card_id


async def test_request_unknown_card(
    bob_client: Client, alice: SandboxUser, bob: SandboxUser, sandbox: Sandbox
) -> None:
    """Asking for a card the recipient does not own raises NotFoundError."""
    with pytest.raises(NotFoundError):
        await bob_client.network.request_card(
            uuid.uuid4(), sender_id=bob.profile_id, recipient_id=alice.profile_id
        )
    assert sandbox.share_requests() == []


async def test_answering_ones_own_share_is_the_wrong_owner(
    alice_client: Client,
    bob_client: Client,
    alice: SandboxUser,
    bob: SandboxUser,
    sandbox: Sandbox,
) -> None:
    """The sender cannot accept or decline; the recipient cannot revoke (wrong-request-owner)."""
    card_id = await _work_card(alice_client, alice)
    share = await alice_client.network.share(
        card_id, sender_id=alice.profile_id, recipient_id=bob.profile_id
    )
    with pytest.raises(WrongRequestOwnerError):
        await alice_client.network.accept([share.id])
    with pytest.raises(WrongRequestOwnerError):
        await alice_client.network.decline([share.id])
    with pytest.raises(WrongRequestOwnerError):
        await bob_client.network.revoke([share.id])
    assert _statuses(sandbox) == ["PENDING"]
    await alice_client.network.revoke([share.id])
    assert _statuses(sandbox) == ["REVOKED"]


async def test_only_pending_requests_move(
    alice_client: Client,
    bob_client: Client,
    alice: SandboxUser,
    bob: SandboxUser,
    sandbox: Sandbox,
) -> None:
    """A settled request cannot be answered again, and a batch is all or nothing."""
    card_id = await _work_card(alice_client, alice)
    first = await alice_client.network.share(
        card_id, sender_id=alice.profile_id, recipient_id=bob.profile_id
    )
    second = await alice_client.network.share(
        card_id, sender_id=alice.profile_id, recipient_id=bob.profile_id
    )
    await alice_client.network.revoke([first.id])
    for answer in (bob_client.network.accept, bob_client.network.decline):
        with pytest.raises(WrongRequestStatusError):
            await answer([second.id, first.id])
    with pytest.raises(WrongRequestStatusError):
        await alice_client.network.revoke([first.id])
    assert _statuses(sandbox) == ["REVOKED", "PENDING"]
    with pytest.raises(NotFoundError):
        await bob_client.network.accept([uuid.uuid4()])


async def test_list_requests_filters_and_pagination(
    alice_client: Client,
    bob_client: Client,
    signed_in: SignedIn,
    alice: SandboxUser,
    bob: SandboxUser,
    sandbox: Sandbox,
    clock: object,
) -> None:
    """Filters by target, status and card, sorting, and pages of two all work."""
    carol = sandbox.create_user(email="carol@example.com", password="pw", pass_phrase="pp")
    card_id = await _work_card(alice_client, alice)
    (public,) = [
        c for c in await alice_client.cards.list(alice.profile_id, scope="MINE") if c.predefined
    ]
    sent = []
    for target, card in [
        (bob.profile_id, card_id),
        (carol.profile_id, card_id),
        (bob.profile_id, public.id),
        (carol.profile_id, public.id),
        (bob.profile_id, card_id),
    ]:
        clock.advance(1)  # type: ignore[attr-defined]
        sent.append(
            await alice_client.network.share(card, sender_id=alice.profile_id, recipient_id=target)
        )
    await bob_client.network.accept([sent[0].id])
    requests = alice_client.network.list_requests

    async def ids(**kwargs: object) -> list[uuid.UUID]:
        return [r.id async for r in requests(alice.profile_id, page_size=2, **kwargs)]  # type: ignore[arg-type]

    assert await ids() == [s.id for s in sent]
    assert await ids(sort_direction="desc") == [s.id for s in reversed(sent)]
    assert await ids(target_id=carol.profile_id) == [sent[1].id, sent[3].id]
    assert await ids(statuses=["ACCEPTED"]) == [sent[0].id]
    assert await ids(statuses=[RequestStatus.PENDING], card_id=card_id) == [
        sent[1].id,
        sent[4].id,
    ]
    assert await ids(type="INCOMING") == []
    page = await requests(alice.profile_id, page_size=2).fetch_page(2)
    assert (page.total, page.last, [r.id for r in page.items]) == (5, True, [sent[4].id])
    assert await ids(sort_field="status", statuses=["ACCEPTED", "PENDING"]) == [
        sent[0].id,
        sent[1].id,
        sent[2].id,
        sent[3].id,
        sent[4].id,
    ]


async def test_list_requests_of_another_account(alice_client: Client, bob: SandboxUser) -> None:
    """Another account's profile raises AccessDeniedError."""
    with pytest.raises(AccessDeniedError):
        await alice_client.network.list_requests(bob.profile_id).collect()


async def test_share_many_and_share_all(
    alice_client: Client, alice: SandboxUser, bob: SandboxUser, sandbox: Sandbox
) -> None:
    """Bulk sharing sends one request per distinct recipient; an unknown one is an outcome."""
    carol = sandbox.create_user(email="carol@example.com", password="pw", pass_phrase="pp")
    card_id = await _work_card(alice_client, alice)
    unknown = uuid.uuid4()
    report = await alice_client.network.share_all(
        card_id,
        sender_id=alice.profile_id,
        recipient_ids=[bob.profile_id, carol.profile_id, bob.profile_id, unknown],
    )
    assert {o.recipient_id for o in report.succeeded} == {bob.profile_id, carol.profile_id}
    for outcome in report.succeeded:
        # Decoded when read, strictly here: the sandbox's answer drifting from the SDK's
        # ShareRequest would give None.
        request = outcome.request
        assert request is not None
        assert (request.id, request.recipient.id) == (outcome.request_id, outcome.recipient_id)
    (failed,) = report.failed
    assert failed.recipient_id == unknown
    assert isinstance(failed.error, NotFoundError)
    dave = sandbox.create_user(email="dave@example.com", password="pw", pass_phrase="pp")
    many = alice_client.network.share_many(
        card_id, sender_id=alice.profile_id, recipient_ids=[dave.profile_id, dave.profile_id]
    )
    outcomes = [o async for o in many]
    assert [(o.recipient_id, o.ok) for o in outcomes] == [(dave.profile_id, True)]
    recipients = sorted(str(r.recipient_id) for r in sandbox.share_requests())
    expected = (bob.profile_id, carol.profile_id, dave.profile_id)
    assert recipients == sorted(str(p) for p in expected)


async def test_consolidated(
    alice_client: Client,
    bob_client: Client,
    alice: SandboxUser,
    bob: SandboxUser,
) -> None:
    """The consolidated view shows what each connection shared, null for the rest."""
    card_id = await _work_card(alice_client, alice)
    share = await alice_client.network.share(
        card_id, sender_id=alice.profile_id, recipient_id=bob.profile_id
    )
    await bob_client.network.accept([share.id])
    view = bob_client.consolidated(
        bob.profile_id, ["first_name_field", "last_name_field"], page_size=5
    )
    entries = [e async for e in view]
    assert [(e.profile_id, e.values) for e in entries] == [
        (alice.profile_id, {"first_name_field": "Alice", "last_name_field": None})
    ]


async def test_consolidated_without_access(
    signed_in: SignedIn, alice_client: Client, bob: SandboxUser
) -> None:
    """Without access to the profile, consolidated raises WrongSecretKeyError."""
    client = await signed_in(bob)
    with pytest.raises(WrongSecretKeyError):
        await client.consolidated(bob.profile_id, ["first_name_field"]).collect()
