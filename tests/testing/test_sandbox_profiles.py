"""
Wire-level tests of profiles, access, bookmarks, tags, notes, settings, companies and
activities.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from onlyonce_async.testing import Sandbox, SandboxUser
from tests._support.clocks import Clock

Headers = Callable[[SandboxUser], dict[str, str]]
Unlock = Callable[[SandboxUser], Awaitable[dict[str, str]]]
pytestmark = pytest.mark.anyio


def _org(trade_name: str = "Acme BV", **extra: Any) -> dict[str, Any]:
    return {"passPhrase": "org-pp", "email": "org@example.com", "tradeName": trade_name, **extra}


async def _my_profiles(http: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await http.get("profiles", params={"scope": "MINE"}, headers=headers)
    assert response.status_code == 200
    return response.json()["content"]  # type: ignore[no-any-return]


async def test_profile_shape(http: httpx.AsyncClient, alice: SandboxUser, auth: Headers) -> None:
    """GET /profiles/{id} returns every documented field."""
    response = await http.get(f"profiles/{alice.profile_id}", headers=auth(alice))
    body = response.json()
    assert response.status_code == 200
    assert body["id"] == str(alice.profile_id)
    assert body["type"] == "PERSONAL"
    assert isinstance(body["onlyonceId"], int)
    assert uuid.UUID(body["publicCardId"])
    for name in ("viewsCount", "incomingSharesCount", "outgoingSharesCount"):
        assert body[name] == 0
    assert body["tags"] == []


async def test_views_count_other_accounts(
    http: httpx.AsyncClient, alice: SandboxUser, bob: SandboxUser, auth: Headers
) -> None:
    """Another account viewing a profile increments viewsCount; the owner does not."""
    await http.get(f"profiles/{alice.profile_id}", headers=auth(alice))
    await http.get(f"profiles/{alice.profile_id}", headers=auth(bob))
    body = (await http.get(f"profiles/{alice.profile_id}", headers=auth(alice))).json()
    assert body["viewsCount"] == 1


@pytest.mark.parametrize(
    ("path", "status"),
    [
        pytest.param("profiles/not-a-uuid", 422, id="bad-uuid"),
        pytest.param(f"profiles/{uuid.UUID(int=7, version=4)}", 404, id="unknown"),
    ],
)
async def test_profile_bad_ids(
    http: httpx.AsyncClient, alice: SandboxUser, auth: Headers, path: str, status: int
) -> None:
    """A malformed id is 422, an unknown one 404, both with a message."""
    response = await http.get(path, headers=auth(alice))
    assert response.status_code == status
    assert response.json()["message"]


async def test_list_search_and_paging(
    http: httpx.AsyncClient, sandbox: Sandbox, alice: SandboxUser, auth: Headers
) -> None:
    """Searching by name pages with last/total/content; bad paging is 422."""
    for n in range(5):
        sandbox.create_user(
            email=f"u{n}@example.com", password="p", pass_phrase="q", first_name="Zed"
        )
    headers = auth(alice)
    first = (await http.get("profiles", params={"name": "zed", "size": 2}, headers=headers)).json()
    assert first["total"] == 5
    assert first["last"] is False
    assert len(first["content"]) == 2
    last = (
        await http.get("profiles", params={"name": "zed", "size": 2, "page": 2}, headers=headers)
    ).json()
    assert last["last"] is True
    assert len(last["content"]) == 1
    for params in ({"page": "-1"}, {"size": "0"}, {"size": "101"}, {"page": "9" * 5000}):
        response = await http.get("profiles", params=params, headers=headers)
        assert response.status_code == 422, params


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"scope": "EVERYTHING"}, id="unknown-scope"),
        pytest.param({"scope": "BOOKMARKS"}, id="missing-profile-id"),
        pytest.param({"type": "ROBOT"}, id="unknown-type"),
        pytest.param({"sortDirection": "up"}, id="bad-direction"),
    ],
)
async def test_list_validation(
    http: httpx.AsyncClient, alice: SandboxUser, auth: Headers, params: dict[str, str]
) -> None:
    """Unknown enum values and a missing profileId get 422 field errors."""
    response = await http.get("profiles", params=params, headers=auth(alice))
    assert response.status_code == 422
    assert response.json()["errors"]


async def test_create_and_delete_organization(
    http: httpx.AsyncClient, alice: SandboxUser, bob: SandboxUser, auth: Headers
) -> None:
    """POST /profiles creates an org listed under MINE and found by /companies; only the
    owner deletes it, and never a personal profile."""
    headers = auth(alice)
    legal = str(Sandbox.dictionary("legal_entity_type_field")[0].id)
    response = await http.post("profiles", json=_org(legalEntityType=legal), headers=headers)
    assert response.status_code == 200
    assert response.content == b""
    org = next(p for p in await _my_profiles(http, headers) if p["type"] == "ORGANIZATION")
    companies = (await http.get("companies", params={"employerName": "acme"})).json()
    assert companies == [{"onlyOnceId": org["onlyonceId"], "name": "Acme BV"}]
    dup = await http.post("profiles", json=_org("ACME bv"), headers=headers)
    assert dup.status_code == 422
    assert "tradeName" in dup.json()["errors"]
    assert (await http.delete(f"profiles/{org['id']}", headers=auth(bob))).json()["status"] == (
        "access-denied"
    )
    personal = await http.delete(f"profiles/{alice.profile_id}", headers=headers)
    assert personal.status_code == 403
    assert (await http.delete(f"profiles/{org['id']}", headers=headers)).status_code == 200
    assert len(await _my_profiles(http, headers)) == 1


async def test_create_organization_validation(
    http: httpx.AsyncClient, alice: SandboxUser, auth: Headers
) -> None:
    """Missing fields and a country outside the dictionary get 422."""
    response = await http.post(
        "profiles",
        json={"tradeName": 5, "country": str(uuid.UUID(int=1, version=4))},
        headers=auth(alice),
    )
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"passPhrase", "email", "tradeName", "country"}


async def test_companies_requires_employer_name(http: httpx.AsyncClient) -> None:
    """/companies needs employerName."""
    assert (await http.get("companies")).status_code == 422


async def test_access_and_expiry(
    http: httpx.AsyncClient, clock: Clock, alice: SandboxUser, bob: SandboxUser, auth: Headers
) -> None:
    """Access needs the right Secret-Key, is per account, and expires after access_ttl."""
    headers = auth(alice)
    path = f"profiles/{alice.profile_id}/dataStore"
    before = await http.get(path, headers=headers)
    assert before.status_code == 401
    assert before.json() == {
        "status": "wrong-secret-key",
        "message": f"Access to profile {alice.profile_id} required",
    }
    wrong = await http.post(
        f"profiles/{alice.profile_id}/access", headers={**headers, "Secret-Key": "nope"}
    )
    assert wrong.status_code == 401
    assert wrong.json()["status"] == "wrong-secret-key"
    other = await http.post(
        f"profiles/{alice.profile_id}/access", headers={**auth(bob), "Secret-Key": "alice-pp"}
    )
    assert other.status_code == 403
    ok = await http.post(
        f"profiles/{alice.profile_id}/access", headers={**headers, "Secret-Key": "alice-pp"}
    )
    assert ok.status_code == 200
    assert (await http.get(path, headers=headers)).status_code == 200
    clock.advance(299)
    assert (await http.get(path, headers=headers)).status_code == 200
    clock.advance(1)
    expired = await http.get(path, headers=headers)
    message = f"Secret key for profile {alice.profile_id} expired"
    assert expired.status_code == 401
    assert expired.json() == {"status": "wrong-secret-key", "message": message, "data": message}


async def test_change_pass_phrase(
    http: httpx.AsyncClient, alice: SandboxUser, auth: Headers
) -> None:
    """chagePassPhrase (sic) checks the old phrase and the new one unlocks access."""
    headers = auth(alice)
    path = f"profiles/{alice.profile_id}/chagePassPhrase"
    bad = await http.post(path, json={"passPhrase": "x", "newPassPhrase": "y"}, headers=headers)
    assert bad.status_code == 401
    assert bad.json()["status"] == "wrong-secret-key"
    missing = await http.post(path, json={"passPhrase": "alice-pp"}, headers=headers)
    assert missing.status_code == 422
    ok = await http.post(
        path, json={"passPhrase": "alice-pp", "newPassPhrase": "fresh"}, headers=headers
    )
    assert ok.status_code == 200
    access = await http.post(
        f"profiles/{alice.profile_id}/access", headers={**headers, "Secret-Key": "fresh"}
    )
    assert access.status_code == 200


async def test_bookmarks(
    http: httpx.AsyncClient, alice: SandboxUser, bob: SandboxUser, auth: Headers
) -> None:
    """Bookmarks add, list under BOOKMARKS, and delete; unknown profiles are 404."""
    headers = auth(alice)
    base = f"profiles/{alice.profile_id}/bookmarks"
    assert (
        await http.post(base, json={"id": str(bob.profile_id)}, headers=headers)
    ).status_code == 200
    listed = await http.get(
        "profiles",
        params={"scope": "BOOKMARKS", "profileId": str(alice.profile_id)},
        headers=headers,
    )
    assert [p["id"] for p in listed.json()["content"]] == [str(bob.profile_id)]
    assert listed.json()["content"][0]["bookmarked"] is True
    unknown = await http.post(base, json={"id": str(uuid.UUID(int=3, version=4))}, headers=headers)
    assert unknown.status_code == 404
    assert (await http.post(base, json={"id": "x"}, headers=headers)).status_code == 422
    foreign = await http.post(
        f"profiles/{bob.profile_id}/bookmarks", json={"id": str(alice.profile_id)}, headers=headers
    )
    assert foreign.status_code == 403
    assert (await http.delete(f"{base}/{bob.profile_id}", headers=headers)).status_code == 200


async def test_tags(
    http: httpx.AsyncClient, alice: SandboxUser, bob: SandboxUser, auth: Headers
) -> None:
    """Tags are added, shown on the target and under MINE, filtered on, and removed."""
    headers = auth(alice)
    tag = {"ownerId": str(alice.profile_id), "targetId": str(bob.profile_id), "tag": "friend"}
    assert (await http.post("profiles/tags", json=tag, headers=headers)).status_code == 200
    seen = (await http.get(f"profiles/{bob.profile_id}", headers=headers)).json()
    assert seen["tags"] == [tag]
    mine = await _my_profiles(http, headers)
    assert mine[0]["tags"] == [tag]
    filtered = await http.get("profiles", params={"tags": "friend"}, headers=headers)
    assert [p["id"] for p in filtered.json()["content"]] == [str(bob.profile_id)]
    assert (await http.post("profiles/tags", json=tag, headers=auth(bob))).status_code == 403
    removed = await http.request("DELETE", "profiles/tags", json=tag, headers=headers)
    assert removed.status_code == 200
    assert (await http.get(f"profiles/{bob.profile_id}", headers=headers)).json()["tags"] == []


async def test_removing_an_absent_bookmark_or_tag_is_a_no_op(
    http: httpx.AsyncClient, alice: SandboxUser, bob: SandboxUser, auth: Headers
) -> None:
    """A removal retried after a lost response (or of something never added) answers 200
    and leaves the other bookmarks and tags alone; an unknown profile stays 404."""
    headers = auth(alice)
    base = f"profiles/{alice.profile_id}/bookmarks"
    ghost = str(uuid.UUID(int=3, version=4))
    assert (await http.post(base, json={"id": str(bob.profile_id)}, headers=headers)).is_success
    kept = {"ownerId": str(alice.profile_id), "targetId": str(bob.profile_id), "tag": "kept"}
    gone = {**kept, "tag": "gone"}
    for tag in (kept, gone):
        assert (await http.post("profiles/tags", json=tag, headers=headers)).is_success
    for _ in range(2):
        removed = await http.request("DELETE", "profiles/tags", json=gone, headers=headers)
        assert (removed.status_code, removed.content) == (200, b"")
    never = {**kept, "targetId": str(alice.profile_id), "tag": "never"}
    assert (await http.request("DELETE", "profiles/tags", json=never, headers=headers)).is_success
    seen = (await http.get(f"profiles/{bob.profile_id}", headers=headers)).json()
    assert (seen["bookmarked"], seen["tags"]) == (True, [kept])
    for _ in range(2):
        removed = await http.delete(f"{base}/{bob.profile_id}", headers=headers)
        assert (removed.status_code, removed.content) == (200, b"")
    assert (await http.delete(f"{base}/{alice.profile_id}", headers=headers)).is_success
    seen = (await http.get(f"profiles/{bob.profile_id}", headers=headers)).json()
    assert (seen["bookmarked"], seen["tags"]) == (False, [kept])
    unknown_target = await http.delete(f"{base}/{ghost}", headers=headers)
    assert unknown_target.status_code == 404
    unknown_owner = await http.delete(
        f"profiles/{ghost}/bookmarks/{bob.profile_id}", headers=headers
    )
    assert unknown_owner.status_code == 404
    for body in ({**kept, "targetId": ghost}, {**kept, "ownerId": ghost}):
        unknown = await http.request("DELETE", "profiles/tags", json=body, headers=headers)
        assert unknown.status_code == 404, body
    foreign = await http.request("DELETE", "profiles/tags", json=kept, headers=auth(bob))
    assert foreign.status_code == 403


async def test_notes(
    http: httpx.AsyncClient, alice: SandboxUser, bob: SandboxUser, auth: Headers
) -> None:
    """Notes are created (id string), listed by owner, updated and deleted by the owner."""
    headers = auth(alice)
    base = f"profiles/{bob.profile_id}/notes"
    created = await http.post(
        base,
        json={"type": "INFO", "text": "met at conf", "ownerId": str(alice.profile_id)},
        headers=headers,
    )
    assert created.status_code == 200
    note_id = uuid.UUID(created.json())
    listed = await http.get(base, params={"ownerId": str(alice.profile_id)}, headers=headers)
    assert listed.json() == [
        {
            "id": str(note_id),
            "type": "INFO",
            "text": "met at conf",
            "ownerId": str(alice.profile_id),
        }
    ]
    assert (await http.get(base, headers=headers)).status_code == 422
    update = {
        "id": str(note_id),
        "type": "INFO",
        "text": "edited",
        "ownerId": str(alice.profile_id),
    }
    assert (await http.put(base, json=update, headers=headers)).status_code == 200
    assert (await http.put(base, json=update, headers=auth(bob))).status_code == 403
    spoof = await http.post(
        base, json={"type": "X", "text": "t", "ownerId": str(alice.profile_id)}, headers=auth(bob)
    )
    assert spoof.status_code == 403
    assert (await http.delete(f"{base}/{note_id}", headers=auth(bob))).status_code == 403
    assert (await http.delete(f"{base}/{note_id}", headers=headers)).status_code == 200
    assert (await http.delete(f"{base}/{note_id}", headers=headers)).status_code == 404


async def test_settings(
    http: httpx.AsyncClient, alice: SandboxUser, bob: SandboxUser, auth: Headers
) -> None:
    """Settings round-trip through PUT; bad values are 422; other accounts get 403."""
    headers = auth(alice)
    path = f"profiles/{alice.profile_id}/settings"
    settings = (await http.get(path, headers=headers)).json()
    assert len(settings["communicationChannelsOrder"]) == 12
    settings.update(avatarVisibility="NOBODY", searchableByName=False, emailNotificationTypes=[])
    assert (await http.put(path, json=settings, headers=headers)).status_code == 200
    assert (await http.get(path, headers=headers)).json() == settings
    bad = await http.put(
        path,
        json={**settings, "avatarVisibility": "SOME", "emailNotificationTypes": ["X"]},
        headers=headers,
    )
    assert bad.status_code == 422
    assert set(bad.json()["errors"]) == {"avatarVisibility", "emailNotificationTypes"}
    assert (await http.get(path, headers=auth(bob))).status_code == 403
    hidden = await http.get("profiles", params={"name": "Alice"}, headers=auth(bob))
    assert hidden.json()["total"] == 0


async def test_activities_account_scope(
    http: httpx.AsyncClient, alice: SandboxUser, auth: Headers
) -> None:
    """Sign-ins are recorded as ACCOUNT activities, newest first; profileId is required
    for other scopes."""
    await http.post("signIn", json={"username": alice.email, "password": alice.password})
    headers = auth(alice)
    await http.get("signOut", headers=headers)
    headers = auth(alice)
    response = await http.get("activities", params={"scope": "ACCOUNT"}, headers=headers)
    items = response.json()["content"]
    assert [i["actionName"] for i in items] == ["SIGN_OUT", "SIGN_IN"]
    assert items[0]["activityType"] == "ACCOUNT"
    assert items[0]["remoteIp"] == "127.0.0.1"
    assert set(items[0]["arguments"]) == {"browserType", "browserVersion", "deviceType", "deviceOS"}
    assert (await http.get("activities", headers=headers)).status_code == 422
    bad = await http.get("activities", params={"scope": "ALL", "profileId": "x"}, headers=headers)
    assert set(bad.json()["errors"]) == {"scope", "profileId"}
