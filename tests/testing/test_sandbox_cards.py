"""
Wire-level tests of the datastore and cards.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import httpx
import pytest

from onlyonce_async.testing import Sandbox, SandboxUser

Headers = Callable[[SandboxUser], dict[str, str]]
Unlock = Callable[[SandboxUser], Awaitable[dict[str, str]]]
FieldIds = Callable[[dict[str, str], uuid.UUID], Awaitable[dict[str, uuid.UUID]]]
pytestmark = pytest.mark.anyio


async def test_datastore_starts_from_sign_up(
    http: httpx.AsyncClient, alice: SandboxUser, unlock: Unlock
) -> None:
    """The personal datastore holds the sign-up names and email as FieldValues."""
    headers = await unlock(alice)
    fields = (await http.get(f"profiles/{alice.profile_id}/dataStore", headers=headers)).json()
    assert {f["definitionName"]: f["value"] for f in fields} == {
        "first_name_field": "Alice",
        "last_name_field": "User",
        "communication_email1_field": "alice@example.com",
    }
    assert all(f["parentValueId"] is None and uuid.UUID(f["id"]) for f in fields)


async def test_add_save_delete_fields(
    http: httpx.AsyncClient, alice: SandboxUser, unlock: Unlock
) -> None:
    """addFields returns created values, saveFields updates by id, delete removes children."""
    headers = await unlock(alice)
    base = f"profiles/{alice.profile_id}/dataStore"
    nl = next(e for e in Sandbox.dictionary("country_field") if e.value == "Netherlands")
    added = await http.post(
        f"{base}/addFields",
        json=[
            {"definitionName": "address_group", "value": "home"},
            {"definitionName": "country_field", "value": {"id": str(nl.id)}},
        ],
        headers=headers,
    )
    assert added.status_code == 200
    group, country = added.json()
    assert country["value"] == {"id": str(nl.id)}
    child = await http.post(
        f"{base}/addFields",
        json=[{"definitionName": "street_field", "value": "Main 1", "parentValueId": group["id"]}],
        headers=headers,
    )
    street = child.json()[0]
    saved = await http.post(
        f"{base}/saveFields",
        json=[{**street, "value": "Main 2"}, {"definitionName": "city_field", "value": "Delft"}],
        headers=headers,
    )
    values = {f["definitionName"]: f["value"] for f in saved.json()}
    assert values["street_field"] == "Main 2"
    assert values["city_field"] == "Delft"
    deleted = await http.delete(f"{base}/fields/{group['id']}", headers=headers)
    assert deleted.status_code == 200
    names = {f["definitionName"] for f in (await http.get(base, headers=headers)).json()}
    assert "street_field" not in names
    assert "address_group" not in names
    assert (await http.delete(f"{base}/fields/{group['id']}", headers=headers)).status_code == 404


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        pytest.param({"definitionName": "x"}, {"[0].value"}, id="not-an-array"),
        pytest.param([{"value": "v"}], {"[0].definitionName"}, id="missing-name"),
        pytest.param([{"definitionName": "x", "value": 5}], {"[0].value"}, id="bad-value"),
        pytest.param(
            [
                {
                    "definitionName": "country_field",
                    "value": {"id": str(uuid.UUID(int=9, version=4))},
                }
            ],
            {"[0].value"},
            id="not-in-dictionary",
        ),
        pytest.param(
            [
                {
                    "definitionName": "x",
                    "value": "v",
                    "parentValueId": str(uuid.UUID(int=9, version=4)),
                }
            ],
            {"[0].parentValueId"},
            id="unknown-parent",
        ),
        pytest.param(["nope"], {"[0]"}, id="not-an-object"),
    ],
)
async def test_add_fields_validation(
    http: httpx.AsyncClient,
    alice: SandboxUser,
    unlock: Unlock,
    body: object,
    errors: set[str],
) -> None:
    """Bad datastore items get 422 naming the item and field."""
    headers = await unlock(alice)
    response = await http.post(
        f"profiles/{alice.profile_id}/dataStore/addFields", json=body, headers=headers
    )
    assert response.status_code == 422
    if isinstance(body, dict):
        assert set(response.json()["errors"]) == {"body"}
    else:
        assert set(response.json()["errors"]) == errors


async def test_cards_lifecycle(
    http: httpx.AsyncClient, alice: SandboxUser, unlock: Unlock, field_ids: FieldIds
) -> None:
    """Cards are created, read with fields, cloned, renamed, and deleted."""
    headers = await unlock(alice)
    ids = await field_ids(headers, alice.profile_id)
    base = f"profiles/{alice.profile_id}/cards"
    listed = (await http.get(base, params={"scope": "MINE"})).json()
    assert [c["dataSetType"] for c in listed] == ["PUBLIC_CARD"]
    assert listed[0]["predefined"] is True
    created = await http.post(
        base,
        json={"name": "Work", "fields": [str(ids["communication_email1_field"])]},
        headers=headers,
    )
    card_id = created.json()["id"]
    content = (await http.get(f"{base}/{card_id}", headers=headers)).json()
    assert content["name"] == "Work"
    assert content["pendingRequestsCount"] == 0
    assert [f["value"] for f in content["fields"]] == ["alice@example.com"]
    clone = (await http.post(f"{base}/{card_id}/clone", headers=headers)).json()["id"]
    clone_body = (await http.get(f"{base}/{clone}", headers=headers)).json()
    assert clone_body["name"] == "Work (copy)"
    dup = await http.put(f"{base}/{clone}", json={"name": "work", "fields": []}, headers=headers)
    assert dup.status_code == 422
    assert "name" in dup.json()["errors"]
    renamed = await http.put(
        f"{base}/{clone}", json={"name": "Home", "fields": []}, headers=headers
    )
    assert renamed.status_code == 200
    assert (await http.delete(f"{base}/{clone}", headers=headers)).status_code == 200
    assert (await http.get(f"{base}/{clone}", headers=headers)).status_code == 404
    public = listed[0]["id"]
    assert (await http.delete(f"{base}/{public}", headers=headers)).json()["status"] == (
        "access-denied"
    )


async def test_card_validation_and_ownership(
    http: httpx.AsyncClient, alice: SandboxUser, bob: SandboxUser, unlock: Unlock, auth: Headers
) -> None:
    """Foreign field ids and missing names are 422; other accounts get 403; no access 401."""
    headers = await unlock(alice)
    base = f"profiles/{alice.profile_id}/cards"
    bad = await http.post(
        base, json={"fields": [str(uuid.UUID(int=5, version=4)), "x"]}, headers=headers
    )
    assert bad.status_code == 422
    assert set(bad.json()["errors"]) == {"name", "fields"}
    foreign = await http.post(base, json={"name": "n", "fields": []}, headers=auth(bob))
    assert foreign.status_code == 403
    locked = await http.post(
        f"profiles/{alice.profile_id}/cards", json={"name": "n", "fields": []}, headers=auth(alice)
    )
    assert locked.status_code == 200  # a new token of the same account keeps access
    assert (await http.get(base, params={"scope": "OTHER"})).status_code == 422
    assert (await http.get(base)).status_code == 422
    unknown = await http.get(
        f"profiles/{uuid.UUID(int=5, version=4)}/cards", params={"scope": "MINE"}
    )
    assert unknown.status_code == 404
