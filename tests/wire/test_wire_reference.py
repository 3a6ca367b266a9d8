"""
The reference's own examples and parameters, on the wire: issue 13 items 3-6 and 8-10.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from .conftest import Account, SignUp

pytestmark = pytest.mark.anyio

#: Every member of the profile body in the reference (``GET /profiles`` response).
PROFILE_FIELDS = [
    "id",
    "onlyonceId",
    "name",
    "avatarId",
    "type",
    "createdDate",
    "publicCardId",
    "viewsCount",
    "incomingSharesCount",
    "outgoingSharesCount",
    "connectedDate",
    "lastModifyDate",
    "flexWorkerInfo",
    "bookmarked",
    "connected",
    "tags",
]
#: The reference's organisation example.
ORGANISATION = {
    "passPhrase": "org-pass-phrase",
    "email": "org@example.com",
    "tradeName": "Hoedje Van Papier BV",
    "legalEntityType": "a2fadfd9-db52-45f9-b853-5f0f0e2fc36f",
    "country": "1851877e-7a48-4949-87ee-6ba5ee04c889",
    "mailPassPhrase": False,
}
AVATAR = "data:image/png;base64," + base64.b64encode(b"\x89PNG fake").decode()


async def _page(
    wire: httpx.AsyncClient, path: str, headers: dict[str, str], params: Any = None
) -> list[Any]:
    response = await wire.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    content: list[Any] = response.json()["content"]
    return content


# -- item 3: sortField is any field of the profile body ---------------------------------------


@pytest.mark.parametrize("field", PROFILE_FIELDS)
async def test_sort_field_accepts_every_profile_field(
    wire: httpx.AsyncClient, alice_wire: Account, bob_wire: Account, field: str
) -> None:
    """GET /profiles?sortField=<any profile member> is 200, ordered by that member."""
    for direction in ("asc", "desc"):
        items = await _page(
            wire, "profiles", alice_wire.headers, {"sortField": field, "sortDirection": direction}
        )
        assert len(items) == 2
        values = [item[field] for item in items]
        if all(isinstance(v, (int, str)) and not isinstance(v, bool) for v in values):
            keys = [v.casefold() if isinstance(v, str) else v for v in values]
            assert keys == sorted(keys, reverse=direction == "desc")


async def test_sort_by_onlyonce_id_desc(
    wire: httpx.AsyncClient, alice_wire: Account, bob_wire: Account
) -> None:
    """sortField=onlyonceId&sortDirection=desc puts the newer profile first."""
    items = await _page(
        wire, "profiles", alice_wire.headers, {"sortField": "onlyonceId", "sortDirection": "desc"}
    )
    assert [item["id"] for item in items] == [bob_wire.profile_id, alice_wire.profile_id]


async def test_unknown_sort_field_is_422(wire: httpx.AsyncClient, alice_wire: Account) -> None:
    """A sortField that is no member of the profile body is 422 naming sortField."""
    response = await wire.get(
        "profiles", params={"sortField": "shoeSize"}, headers=alice_wire.headers
    )
    assert response.status_code == 422
    assert "sortField" in response.json()["errors"]


# -- item 4: settings that do what their names say --------------------------------------------


async def _settings(wire: httpx.AsyncClient, account: Account, **changes: Any) -> None:
    url = f"profiles/{account.profile_id}/settings"
    current = (await wire.get(url, headers=account.headers)).json()
    response = await wire.put(url, json={**current, **changes}, headers=account.headers)
    assert response.status_code == 200, response.text


async def _connect(wire: httpx.AsyncClient, sender: Account, recipient: Account) -> str:
    """Share the sender's public card with the recipient and accept it; the request id."""
    access = await wire.post(
        f"profiles/{sender.profile_id}/access",
        headers={**sender.headers, "Secret-Key": sender.pass_phrase},
    )
    assert access.status_code == 200
    me = (await wire.get(f"profiles/{sender.profile_id}", headers=sender.headers)).json()
    body = {
        "cardId": me["publicCardId"],
        "recipient": {"id": recipient.profile_id},
        "sender": {"id": sender.profile_id},
        "reversed": False,
    }
    shared = await wire.post("requests", json=body, headers=sender.headers)
    assert shared.status_code == 200, shared.text
    request_id: str = shared.json()["id"]
    accepted = await wire.post(
        "requests/accept", json={"ids": [request_id]}, headers=recipient.headers
    )
    assert accepted.status_code == 200
    return request_id


async def _avatar_seen_by(wire: httpx.AsyncClient, owner: Account, viewer: Account) -> Any:
    response = await wire.get(f"profiles/{owner.profile_id}", headers=viewer.headers)
    assert response.status_code == 200
    return response.json()["avatarId"]


async def test_avatar_visibility(wire: httpx.AsyncClient, sign_up: SignUp) -> None:
    """avatarVisibility: ALL shows avatarId to all, CONNECTED_USERS to connections, NOBODY none."""
    owner = await sign_up("owner@example.com", avatar=AVATAR)
    stranger = await sign_up("stranger@example.com")
    friend = await sign_up("friend@example.com")
    await _connect(wire, friend, owner)
    own = await _avatar_seen_by(wire, owner, owner)
    assert own is not None
    assert await _avatar_seen_by(wire, owner, stranger) == own
    await _settings(wire, owner, avatarVisibility="CONNECTED_USERS")
    assert await _avatar_seen_by(wire, owner, stranger) is None
    assert await _avatar_seen_by(wire, owner, friend) == own
    await _settings(wire, owner, avatarVisibility="NOBODY")
    assert await _avatar_seen_by(wire, owner, friend) is None
    assert await _avatar_seen_by(wire, owner, owner) == own
    listed = await _page(wire, "profiles", stranger.headers, {"name": "Een"})
    assert {item["avatarId"] for item in listed} == {None}


async def test_searchable_by_name(
    wire: httpx.AsyncClient, alice_wire: Account, bob_wire: Account
) -> None:
    """
    searchableByName: false keeps a profile out of other accounts' directory search;
    its own account and the other account's bookmarks still show it.
    """
    bookmarked = await wire.post(
        f"profiles/{alice_wire.profile_id}/bookmarks",
        json={"id": bob_wire.profile_id},
        headers=alice_wire.headers,
    )
    assert bookmarked.status_code == 200
    await _settings(wire, bob_wire, searchableByName=False)
    assert await _page(wire, "profiles", alice_wire.headers, {"name": "Bob"}) == []
    everybody = await _page(wire, "profiles", alice_wire.headers)
    assert [item["id"] for item in everybody] == [alice_wire.profile_id]
    own = await _page(wire, "profiles", bob_wire.headers, {"name": "Bob"})
    assert [item["id"] for item in own] == [bob_wire.profile_id]
    bookmarks = await _page(
        wire,
        "profiles",
        alice_wire.headers,
        {"scope": "BOOKMARKS", "profileId": alice_wire.profile_id, "name": "Bob"},
    )
    assert [item["id"] for item in bookmarks] == [bob_wire.profile_id]
    await _settings(wire, bob_wire, searchableByName=True)
    again = await _page(wire, "profiles", alice_wire.headers, {"name": "Bob"})
    assert [item["id"] for item in again] == [bob_wire.profile_id]


# -- item 5: the reference's examples run as written ------------------------------------------


async def test_dictionary_example(wire: httpx.AsyncClient) -> None:
    """/dictionaries?fieldDefinitionName=country_field starts as the reference's example."""
    response = await wire.get("dictionaries", params={"fieldDefinitionName": "country_field"})
    assert response.status_code == 200
    assert response.json()[:2] == [
        {"id": "88e43225-4127-4092-bf6a-3b4e0a67f8bc", "order": 0, "value": "Afghanistan"},
        {"id": "4c1ab58f-354c-490c-a9cb-8b9fd23adf1c", "order": 1, "value": "Albania"},
    ]


async def test_example_ids_are_dictionary_entries(wire: httpx.AsyncClient) -> None:
    """Every id an example of the reference uses is listed by /dictionaries."""
    wanted = {
        "country_field": {
            "64a26eb4-7e0d-43e0-a993-1b1535da1d63",
            "1851877e-7a48-4949-87ee-6ba5ee04c889",
        },
        "gender_field": {"c5e1dc28-f0f8-4f72-9a2a-1ff20ece7eef"},
        "legal_entity_type_field": {"a2fadfd9-db52-45f9-b853-5f0f0e2fc36f"},
    }
    for name, ids in wanted.items():
        entries = (await wire.get("dictionaries", params={"fieldDefinitionName": name})).json()
        assert ids <= {e["id"] for e in entries}
        assert [e["order"] for e in entries] == list(range(len(entries)))


async def test_sign_up_and_organisation_examples(wire: httpx.AsyncClient, sign_up: SignUp) -> None:
    """The /signUp example, verbatim, and the organisation example are accepted."""
    example = await sign_up("12341234@zdevops.com")
    created = await wire.post("profiles", json=ORGANISATION, headers=example.headers)
    assert created.status_code == 200, created.text
    mine = await _page(wire, "profiles", example.headers, {"scope": "MINE"})
    assert "Hoedje Van Papier BV" in {item["name"] for item in mine}


# -- item 9: organisation with only the required fields ---------------------------------------


async def test_organisation_with_required_fields_only(
    wire: httpx.AsyncClient, alice_wire: Account
) -> None:
    """POST /profiles with passPhrase, email and tradeName only is 200."""
    body = {"passPhrase": "pp", "email": "min@example.com", "tradeName": "Minimal Ltd"}
    created = await wire.post("profiles", json=body, headers=alice_wire.headers)
    assert created.status_code == 200, created.text


# -- item 10: the reference's CONNETIONS ------------------------------------------------------


async def test_connetions_scope(
    wire: httpx.AsyncClient, alice_wire: Account, bob_wire: Account
) -> None:
    """scope=CONNETIONS (the reference's spelling) lists the connections, as CONNECTIONS."""
    await _connect(wire, alice_wire, bob_wire)
    spelled = await _page(
        wire,
        "profiles",
        alice_wire.headers,
        {"scope": "CONNETIONS", "profileId": alice_wire.profile_id},
    )
    correct = await _page(
        wire,
        "profiles",
        alice_wire.headers,
        {"scope": "CONNECTIONS", "profileId": alice_wire.profile_id},
    )
    assert (
        [item["id"] for item in spelled]
        == [item["id"] for item in correct]
        == [bob_wire.profile_id]
    )


# -- item 6: array parameters in three forms; nothing ignored ---------------------------------


async def _shares(wire: httpx.AsyncClient, sender: Account, recipient: Account) -> dict[str, str]:
    """One ACCEPTED and one PENDING outgoing share; their ids by status."""
    accepted = await _connect(wire, sender, recipient)
    card = await wire.post(
        f"profiles/{sender.profile_id}/cards",
        json={"name": "Second", "fields": []},
        headers=sender.headers,
    )
    assert card.status_code == 200, card.text
    body = {
        "cardId": card.json()["id"],
        "recipient": {"id": recipient.profile_id},
        "sender": {"id": sender.profile_id},
    }
    pending = await wire.post("requests", json=body, headers=sender.headers)
    assert pending.status_code == 200
    return {"ACCEPTED": accepted, "PENDING": pending.json()["id"]}


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("statuses=PENDING&statuses=ACCEPTED", id="repeated"),
        pytest.param("statuses=PENDING,ACCEPTED", id="comma"),
        pytest.param("statuses%5B0%5D=PENDING&statuses%5B1%5D=ACCEPTED", id="qs-indices"),
        pytest.param("statuses[]=PENDING&statuses[]=ACCEPTED", id="qs-brackets"),
    ],
)
async def test_array_parameter_forms(
    wire: httpx.AsyncClient, alice_wire: Account, bob_wire: Account, query: str
) -> None:
    """statuses given repeated, comma-separated or qs-indexed filters the same way."""
    ids = await _shares(wire, alice_wire, bob_wire)
    both = await _page(
        wire, f"profiles/{alice_wire.profile_id}/requests?{query}", alice_wire.headers
    )
    assert {item["id"] for item in both} == set(ids.values())
    one = await _page(
        wire, f"profiles/{alice_wire.profile_id}/requests?statuses[0]=PENDING", alice_wire.headers
    )
    assert [item["id"] for item in one] == [ids["PENDING"]]


async def test_consolidated_node_example_encoding(
    wire: httpx.AsyncClient, alice_wire: Account, bob_wire: Account
) -> None:
    """The /consolidated example's fieldNames, as Node's qs encodes them, are honoured."""
    await _connect(wire, bob_wire, alice_wire)
    access = await wire.post(
        f"profiles/{alice_wire.profile_id}/access",
        headers={**alice_wire.headers, "Secret-Key": alice_wire.pass_phrase},
    )
    assert access.status_code == 200
    query = "fieldNames%5B0%5D=first_name_field&fieldNames%5B1%5D=communication_email1_field"
    items = await _page(
        wire, f"consolidated?profileId={alice_wire.profile_id}&{query}", alice_wire.headers
    )
    assert items == [
        {bob_wire.profile_id: {"first_name_field": "Bob", "communication_email1_field": None}}
    ]


@pytest.mark.parametrize(
    ("path", "named"),
    [
        pytest.param("profiles?sortfield=name", "sortfield", id="unknown-case"),
        pytest.param("profiles?fieldNames=x", "fieldNames", id="other-endpoints-param"),
        pytest.param("profiles?scope=MINE&scope=BOOKMARKS", "scope", id="scalar-repeated"),
        pytest.param("profiles?scope[0]=MINE", "scope[0]", id="scalar-indexed"),
        pytest.param("profiles?tags[x]=a", "tags[x]", id="malformed-index"),
        pytest.param("account?verbose=1", "verbose", id="no-parameters-endpoint"),
        pytest.param("profiles/{pid}/requests?targetID={pid}", "targetID", id="misspelt"),
    ],
)
async def test_unknown_or_malformed_parameter_is_422(
    wire: httpx.AsyncClient, alice_wire: Account, path: str, named: str
) -> None:
    """A parameter the endpoint does not take, or a malformed one, is a 422 naming it."""
    response = await wire.get(path.format(pid=alice_wire.profile_id), headers=alice_wire.headers)
    assert response.status_code == 422, response.text
    assert named in response.json()["errors"]


async def test_unknown_parameter_on_public_endpoint(wire: httpx.AsyncClient) -> None:
    """Public endpoints refuse unknown parameters too."""
    response = await wire.get("heartbeat", params={"x": "1"})
    assert response.status_code == 422
    assert response.json()["errors"] == {"x": ["is not a parameter of this endpoint"]}


# -- item 8: the sender can revoke an ACCEPTED share ------------------------------------------


async def test_sender_revokes_accepted_share(
    wire: httpx.AsyncClient, alice_wire: Account, bob_wire: Account
) -> None:
    """Revoking an ACCEPTED request makes it REVOKED and the card is no longer shared."""
    request_id = await _connect(wire, alice_wire, bob_wire)
    received = f"profiles/{bob_wire.profile_id}/cards"
    assert len((await wire.get(received, params={"scope": "ACCEPTED"})).json()) == 1
    revoked = await wire.post(
        "requests/revoke", json={"ids": [request_id]}, headers=alice_wire.headers
    )
    assert revoked.status_code == 200, revoked.text
    items = await _page(wire, f"profiles/{alice_wire.profile_id}/requests", alice_wire.headers)
    assert [item["status"] for item in items] == ["REVOKED"]
    assert items[0]["connected"] is False
    assert (await wire.get(received, params={"scope": "ACCEPTED"})).json() == []
    again = await wire.post(
        "requests/revoke", json={"ids": [request_id]}, headers=alice_wire.headers
    )
    assert again.status_code == 401
    assert again.json()["status"] == "wrong-request-status"


async def test_recipient_cannot_decline_accepted_share(
    wire: httpx.AsyncClient, alice_wire: Account, bob_wire: Account
) -> None:
    """Accept and decline still move PENDING requests only; revoke stays the sender's."""
    request_id = await _connect(wire, alice_wire, bob_wire)
    declined = await wire.post(
        "requests/decline", json={"ids": [request_id]}, headers=bob_wire.headers
    )
    assert declined.json()["status"] == "wrong-request-status"
    by_recipient = await wire.post(
        "requests/revoke", json={"ids": [request_id]}, headers=bob_wire.headers
    )
    assert by_recipient.json()["status"] == "wrong-request-owner"
