"""
Wire-level tests of share requests, the consolidated view and network activities.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from onlyonce_async.testing import Sandbox, SandboxUser

Headers = Callable[[SandboxUser], dict[str, str]]
Unlock = Callable[[SandboxUser], Awaitable[dict[str, str]]]
FieldIds = Callable[[dict[str, str], uuid.UUID], Awaitable[dict[str, uuid.UUID]]]
pytestmark = pytest.mark.anyio


def _share(
    card: str, sender: SandboxUser, recipient: SandboxUser, reversed_: bool = False
) -> dict[str, Any]:
    return {
        "cardId": card,
        "sender": {"id": str(sender.profile_id)},
        "recipient": {"id": str(recipient.profile_id)},
        "reversed": reversed_,
    }


async def _work_card(
    http: httpx.AsyncClient, headers: dict[str, str], user: SandboxUser, field_ids: FieldIds
) -> str:
    ids = await field_ids(headers, user.profile_id)
    response = await http.post(
        f"profiles/{user.profile_id}/cards",
        json={
            "name": "Work",
            "fields": [str(ids["first_name_field"]), str(ids["communication_email1_field"])],
        },
        headers=headers,
    )
    return str(response.json()["id"])


async def test_share_accept_and_consolidated(
    http: httpx.AsyncClient,
    sandbox: Sandbox,
    alice: SandboxUser,
    bob: SandboxUser,
    unlock: Unlock,
    field_ids: FieldIds,
) -> None:
    """A share goes PENDING -> ACCEPTED, connects both sides, and shows up in
    cards?scope=ACCEPTED, /consolidated, counts and activities."""
    a, b = await unlock(alice), await unlock(bob)
    card = await _work_card(http, a, alice, field_ids)
    sent = await http.post("requests", json=_share(card, alice, bob), headers=a)
    assert sent.status_code == 200
    body = sent.json()
    assert body["status"] == "PENDING"
    assert body["sender"]["id"] == str(alice.profile_id)
    assert body["recipient"]["id"] == str(bob.profile_id)
    assert body["connected"] is False
    assert body["completed"] is None
    incoming = await http.get(
        f"profiles/{bob.profile_id}/requests", params={"type": "INCOMING"}, headers=b
    )
    assert [r["id"] for r in incoming.json()["content"]] == [body["id"]]
    cards = (await http.get(f"profiles/{alice.profile_id}/cards", params={"scope": "MINE"})).json()
    assert next(c for c in cards if c["id"] == card)["pendingRequestsCount"] == 1
    assert (
        await http.post("requests/accept", json={"ids": [body["id"]]}, headers=b)
    ).status_code == 200
    assert [r.status for r in sandbox.share_requests()] == ["ACCEPTED"]
    accepted = (
        await http.get(f"profiles/{bob.profile_id}/cards", params={"scope": "ACCEPTED"})
    ).json()
    assert [c["id"] for c in accepted] == [card]
    content = (await http.get(f"profiles/{bob.profile_id}/cards/{card}", headers=b)).json()
    assert len(content["fields"]) == 2
    view = await http.get(
        "consolidated",
        params=[
            ("profileId", str(bob.profile_id)),
            ("fieldNames", "first_name_field"),
            ("fieldNames", "last_name_field"),
        ],
        headers=b,
    )
    assert view.json() == {
        "last": True,
        "total": 1,
        "content": [
            {str(alice.profile_id): {"first_name_field": "Alice", "last_name_field": None}}
        ],
    }
    connections = await http.get(
        "profiles", params={"scope": "CONNETIONS", "profileId": str(bob.profile_id)}, headers=b
    )
    assert connections.json()["content"][0]["connected"] is True
    again = await http.post("requests", json=_share(card, alice, bob), headers=a)
    assert again.status_code == 401
    assert again.json()["status"] == "wrong-request-status"
    updates = await http.get(
        "activities",
        params={"scope": "NETWORK_UPDATES", "profileId": str(bob.profile_id)},
        headers=b,
    )
    assert [i["actionName"] for i in updates.json()["content"]] == ["ACCEPT", "SHARE"]
    assert updates.json()["content"][0]["arguments"]["dataSetName"] == "Work"


async def test_request_status_machine(
    http: httpx.AsyncClient,
    alice: SandboxUser,
    bob: SandboxUser,
    unlock: Unlock,
    field_ids: FieldIds,
) -> None:
    """Only the recipient accepts/declines, only the sender revokes, only PENDING moves,
    and a failed bulk call changes nothing."""
    a, b = await unlock(alice), await unlock(bob)
    card = await _work_card(http, a, alice, field_ids)
    first = (await http.post("requests", json=_share(card, alice, bob), headers=a)).json()["id"]
    second = (await http.post("requests", json=_share(card, alice, bob), headers=a)).json()["id"]
    owner = await http.post("requests/accept", json={"ids": [first]}, headers=a)
    assert owner.status_code == 401
    assert owner.json()["status"] == "wrong-request-owner"
    revoke_owner = await http.post("requests/revoke", json={"ids": [first]}, headers=b)
    assert revoke_owner.json()["status"] == "wrong-request-owner"
    assert (
        await http.post("requests/decline", json={"ids": [first]}, headers=b)
    ).status_code == 200
    mixed = await http.post("requests/accept", json={"ids": [second, first]}, headers=b)
    assert mixed.status_code == 401
    assert mixed.json()["status"] == "wrong-request-status"
    listed = await http.get(
        f"profiles/{alice.profile_id}/requests",
        params={"statuses": "PENDING", "tagetId": str(bob.profile_id)},
        headers=a,
    )
    assert [r["id"] for r in listed.json()["content"]] == [second]
    assert (
        await http.post("requests/revoke", json={"ids": [second]}, headers=a)
    ).status_code == 200
    unknown = await http.post(
        "requests/accept", json={"ids": [str(uuid.UUID(int=4, version=4))]}, headers=b
    )
    assert unknown.status_code == 404
    assert (
        await http.post("requests/explode", json={"ids": [second]}, headers=b)
    ).status_code == 404
    assert (await http.post("requests/accept", json={"ids": []}, headers=b)).status_code == 422
    assert (await http.post("requests/accept", json={"ids": ["x"]}, headers=b)).status_code == 422


async def test_card_request_reversed(
    http: httpx.AsyncClient, alice: SandboxUser, bob: SandboxUser, unlock: Unlock
) -> None:
    """A reversed request asks for the recipient's card; the recipient accepts it."""
    a, b = await unlock(alice), await unlock(bob)
    bob_card = (await http.get(f"profiles/{bob.profile_id}", headers=b)).json()["publicCardId"]
    sent = await http.post("requests", json=_share(bob_card, alice, bob, reversed_=True), headers=a)
    assert sent.status_code == 200
    assert (
        await http.post("requests/accept", json={"ids": [sent.json()["id"]]}, headers=b)
    ).status_code == 200
    accepted = (
        await http.get(f"profiles/{alice.profile_id}/cards", params={"scope": "ACCEPTED"})
    ).json()
    assert [c["id"] for c in accepted] == [bob_card]


async def test_send_validation_and_ownership(
    http: httpx.AsyncClient, alice: SandboxUser, bob: SandboxUser, unlock: Unlock, auth: Headers
) -> None:
    """Sending checks body, access, ownership, recipient, card and self-sharing."""
    a = await unlock(alice)
    card = (await http.get(f"profiles/{alice.profile_id}", headers=a)).json()["publicCardId"]
    invalid = await http.post("requests", json={"sender": "x", "recipient": {"id": 5}}, headers=a)
    assert invalid.status_code == 422
    assert set(invalid.json()["errors"]) == {"cardId", "sender", "recipient.id"}
    to_self = await http.post("requests", json=_share(card, alice, alice), headers=a)
    assert set(to_self.json()["errors"]) == {"recipient"}
    locked = await http.post("requests", json=_share(card, bob, alice), headers=auth(bob))
    assert locked.status_code == 401
    assert locked.json()["status"] == "wrong-secret-key"
    foreign = await http.post("requests", json=_share(card, bob, alice), headers=a)
    assert foreign.status_code == 403
    ghost = _share(card, alice, bob)
    ghost["recipient"]["id"] = str(uuid.UUID(int=8, version=4))
    assert (await http.post("requests", json=ghost, headers=a)).status_code == 404
    wrong_card = _share(str(uuid.UUID(int=8, version=4)), alice, bob)
    assert (await http.post("requests", json=wrong_card, headers=a)).status_code == 404


async def test_list_requests_validation(
    http: httpx.AsyncClient, alice: SandboxUser, bob: SandboxUser, auth: Headers
) -> None:
    """Listing requests validates enums and refuses other accounts' profiles."""
    a = auth(alice)
    base = f"profiles/{alice.profile_id}/requests"
    for params in ({"type": "SIDEWAYS"}, {"statuses": "LOST"}, {"sortField": "x"}, {"cardId": "1"}):
        assert (await http.get(base, params=params, headers=a)).status_code == 422, params
    assert (await http.get(base, headers=auth(bob))).status_code == 403
    assert (await http.get(base, headers=a)).json() == {"last": True, "total": 0, "content": []}


async def test_consolidated_requires_access(
    http: httpx.AsyncClient, alice: SandboxUser, auth: Headers
) -> None:
    """/consolidated needs profileId and access."""
    a = auth(alice)
    assert (await http.get("consolidated", headers=a)).status_code == 422
    locked = await http.get("consolidated", params={"profileId": str(alice.profile_id)}, headers=a)
    assert locked.status_code == 401


async def test_pending_count_is_per_card_and_forgets_deleted_requests(
    http: httpx.AsyncClient,
    alice: SandboxUser,
    bob: SandboxUser,
    unlock: Unlock,
    field_ids: FieldIds,
) -> None:
    """A card's pendingRequestsCount counts only its own requests, and drops requests that
    went away with the recipient's account."""
    a, b = await unlock(alice), await unlock(bob)
    card = await _work_card(http, a, alice, field_ids)
    for _ in range(2):
        assert (await http.post("requests", json=_share(card, alice, bob), headers=a)).is_success

    async def counts() -> dict[str, int]:
        cards = await http.get(f"profiles/{alice.profile_id}/cards", params={"scope": "MINE"})
        return {c["id"]: c["pendingRequestsCount"] for c in cards.json()}

    assert sorted((await counts()).values()) == [0, 2]
    assert (await http.delete("account", headers=b)).is_success
    assert sorted((await counts()).values()) == [0, 0]


async def test_share_requests_keeps_requests_of_deleted_accounts(
    http: httpx.AsyncClient,
    sandbox: Sandbox,
    alice: SandboxUser,
    bob: SandboxUser,
    unlock: Unlock,
    field_ids: FieldIds,
) -> None:
    """Sandbox.share_requests() lists every share request ever created: deleting the
    recipient's account takes them out of the API, not out of the record."""
    a, b = await unlock(alice), await unlock(bob)
    card = await _work_card(http, a, alice, field_ids)
    sent = []
    for _ in range(2):
        response = await http.post("requests", json=_share(card, alice, bob), headers=a)
        sent.append(response.json()["id"])
    assert (await http.post("requests/accept", json={"ids": sent[:1]}, headers=b)).is_success
    before = sandbox.share_requests()
    assert [(str(r.id), r.status) for r in before] == [
        (sent[0], "ACCEPTED"),
        (sent[1], "PENDING"),
    ]
    assert (await http.delete("account", headers=b)).is_success
    outgoing = await http.get(f"profiles/{alice.profile_id}/requests", headers=a)
    assert outgoing.json()["total"] == 0
    assert sandbox.share_requests() == before


async def test_request_counts_only_in_scope_mine(
    http: httpx.AsyncClient,
    alice: SandboxUser,
    bob: SandboxUser,
    unlock: Unlock,
    field_ids: FieldIds,
) -> None:
    """A card's pendingRequestsCount / acceptedRequestsCount are its owner's: listed under
    scope MINE (and on the owner's read of it), null under ACCEPTED and on the recipient's
    read, signed in or not."""
    a, b = await unlock(alice), await unlock(bob)
    card = await _work_card(http, a, alice, field_ids)
    sent = [
        (await http.post("requests", json=_share(card, alice, bob), headers=a)).json()["id"]
        for _ in range(2)
    ]
    assert (await http.post("requests/accept", json={"ids": sent[:1]}, headers=b)).is_success

    def counts(item: dict[str, Any]) -> tuple[Any, Any]:
        return item["pendingRequestsCount"], item["acceptedRequestsCount"]

    mine = await http.get(f"profiles/{alice.profile_id}/cards", params={"scope": "MINE"})
    assert counts(next(c for c in mine.json() if c["id"] == card)) == (1, 1)
    own = await http.get(f"profiles/{alice.profile_id}/cards/{card}", headers=a)
    assert counts(own.json()) == (1, 1)
    for headers in ({}, b):
        accepted = await http.get(
            f"profiles/{bob.profile_id}/cards", params={"scope": "ACCEPTED"}, headers=headers
        )
        assert [(c["id"], *counts(c)) for c in accepted.json()] == [(card, None, None)]
    shared = await http.get(f"profiles/{bob.profile_id}/cards/{card}", headers=b)
    assert (shared.json()["id"], *counts(shared.json())) == (card, None, None)


async def _network_view(
    http: httpx.AsyncClient, headers: dict[str, str], viewer: SandboxUser, other: SandboxUser
) -> dict[str, Any]:
    """What ``viewer`` sees of the network with ``other``: share counts, connection, the
    cards it received and the profiles of its consolidated view."""
    me = (await http.get(f"profiles/{viewer.profile_id}", headers=headers)).json()
    them = (await http.get(f"profiles/{other.profile_id}", headers=headers)).json()
    accepted = await http.get(f"profiles/{viewer.profile_id}/cards", params={"scope": "ACCEPTED"})
    view = await http.get(
        "consolidated",
        params={"profileId": str(viewer.profile_id), "fieldNames": "first_name_field"},
        headers=headers,
    )
    return {
        "shares": (me["incomingSharesCount"], me["outgoingSharesCount"]),
        "connected": them["connected"],
        "accepted": [c["id"] for c in accepted.json()],
        "consolidated": [next(iter(item)) for item in view.json()["content"]],
    }


async def test_deleting_a_card_ends_its_pending_share(
    http: httpx.AsyncClient,
    sandbox: Sandbox,
    alice: SandboxUser,
    bob: SandboxUser,
    unlock: Unlock,
    field_ids: FieldIds,
) -> None:
    """A share of a card deleted since is REVOKED: the recipient cannot accept it any more
    (wrong-request-status, all or nothing), and nothing counts or connects it."""
    a, b = await unlock(alice), await unlock(bob)
    card = await _work_card(http, a, alice, field_ids)
    public = (await http.get(f"profiles/{alice.profile_id}", headers=a)).json()["publicCardId"]
    doomed = (await http.post("requests", json=_share(card, alice, bob), headers=a)).json()["id"]
    kept = (await http.post("requests", json=_share(public, alice, bob), headers=a)).json()["id"]
    assert (await http.delete(f"profiles/{alice.profile_id}/cards/{card}", headers=a)).is_success
    accept = await http.post("requests/accept", json={"ids": [kept, doomed]}, headers=b)
    assert accept.status_code == 401
    assert accept.json()["status"] == "wrong-request-status"
    assert [r.status for r in sandbox.share_requests()] == ["REVOKED", "PENDING"]
    incoming = await http.get(
        f"profiles/{bob.profile_id}/requests", params={"type": "INCOMING"}, headers=b
    )
    assert [(r["id"], r["status"]) for r in incoming.json()["content"]] == [
        (doomed, "REVOKED"),
        (kept, "PENDING"),
    ]
    assert await _network_view(http, b, bob, alice) == {
        "shares": (0, 0),
        "connected": False,
        "accepted": [],
        "consolidated": [],
    }
    updates = await http.get(
        "activities",
        params={"scope": "NETWORK_UPDATES", "profileId": str(bob.profile_id)},
        headers=b,
    )
    assert [i["actionName"] for i in updates.json()["content"]] == ["REVOKE", "SHARE", "SHARE"]


async def test_deleting_a_card_ends_its_accepted_share(
    http: httpx.AsyncClient,
    sandbox: Sandbox,
    alice: SandboxUser,
    bob: SandboxUser,
    unlock: Unlock,
    field_ids: FieldIds,
) -> None:
    """An accepted share of a card deleted since is REVOKED as its sender would revoke it:
    no longer counted, and the profiles stay connected only by another accepted card."""
    a, b = await unlock(alice), await unlock(bob)
    card = await _work_card(http, a, alice, field_ids)
    public = (await http.get(f"profiles/{alice.profile_id}", headers=a)).json()["publicCardId"]
    ids = [
        (await http.post("requests", json=_share(c, alice, bob), headers=a)).json()["id"]
        for c in (card, public)
    ]
    assert (await http.post("requests/accept", json={"ids": ids}, headers=b)).is_success
    assert (await _network_view(http, b, bob, alice))["shares"] == (2, 0)
    assert (await http.delete(f"profiles/{alice.profile_id}/cards/{card}", headers=a)).is_success
    assert [r.status for r in sandbox.share_requests()] == ["REVOKED", "ACCEPTED"]
    assert await _network_view(http, b, bob, alice) == {
        "shares": (1, 0),
        "connected": True,
        "accepted": [public],
        "consolidated": [str(alice.profile_id)],
    }
    assert (await http.post("requests/revoke", json={"ids": ids[1:]}, headers=a)).is_success
    assert await _network_view(http, b, bob, alice) == {
        "shares": (0, 0),
        "connected": False,
        "accepted": [],
        "consolidated": [],
    }
    again = await http.post("requests", json=_share(card, alice, bob), headers=a)
    assert again.status_code == 404


async def test_deleting_a_requested_card_declines_the_request(
    http: httpx.AsyncClient,
    sandbox: Sandbox,
    alice: SandboxUser,
    bob: SandboxUser,
    unlock: Unlock,
    field_ids: FieldIds,
) -> None:
    """A pending card request (reversed) for a card its owner deletes is DECLINED, as the
    owner would answer it; the owner can no longer accept it."""
    a, b = await unlock(alice), await unlock(bob)
    card = await _work_card(http, a, alice, field_ids)
    asked = await http.post("requests", json=_share(card, bob, alice, reversed_=True), headers=b)
    assert asked.status_code == 200
    assert (await http.delete(f"profiles/{alice.profile_id}/cards/{card}", headers=a)).is_success
    assert [(str(r.id), r.status) for r in sandbox.share_requests()] == [
        (asked.json()["id"], "DECLINED")
    ]
    accept = await http.post("requests/accept", json={"ids": [asked.json()["id"]]}, headers=a)
    assert accept.status_code == 401
    assert accept.json()["status"] == "wrong-request-status"
    assert (await _network_view(http, b, bob, alice))["accepted"] == []
