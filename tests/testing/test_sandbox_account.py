"""
Wire-level tests of the sandbox's account operations.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from onlyonce_async.testing import BASE_URL, Sandbox, SandboxUser
from onlyonce_async.testing._auth import BEARER_TTL
from tests._support.clocks import Clock

Headers = Callable[[SandboxUser], dict[str, str]]
pytestmark = pytest.mark.anyio


def _sign_up_body(**overrides: Any) -> dict[str, Any]:
    country = next(e for e in Sandbox.dictionary("country_field") if e.value == "Netherlands")
    body: dict[str, Any] = {
        "passPhrase": "pp",
        "password": "pw",
        "email": "carol@example.com",
        "firstName": "Carol",
        "middleName": "van",
        "lastName": "Dijk",
        "country": str(country.id),
        "gender": str(Sandbox.dictionary("gender_field")[0].id),
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


async def test_sign_up_then_sign_in(http: httpx.AsyncClient) -> None:
    """A sign-up gives 200 with an empty body and the account can sign in."""
    response = await http.post("signUp", json=_sign_up_body())
    assert response.status_code == 200
    assert response.content == b""
    response = await http.post("signIn", json={"username": "carol@example.com", "password": "pw"})
    assert response.status_code == 200
    scheme, _, token = response.headers["authorization"].partition(" ")
    assert scheme == "Bearer"
    assert len(token) >= 22
    profiles = await http.get(
        "profiles", params={"scope": "MINE"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert profiles.json()["content"][0]["name"] == "Carol van Dijk"


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        pytest.param({"email": None, "password": None}, ["email", "password"], id="missing"),
        pytest.param({"firstName": 5}, ["firstName"], id="wrong-type"),
        pytest.param({"country": "not-a-uuid"}, ["country"], id="bad-uuid"),
        pytest.param(
            {"country": "00000000-0000-4000-8000-000000000000"}, ["country"], id="unknown-country"
        ),
        pytest.param({"gender": "x"}, ["gender"], id="bad-gender"),
        pytest.param({"avatar": "http://x"}, ["avatar"], id="bad-avatar"),
        pytest.param({"email": "no-at-sign"}, ["email"], id="bad-email"),
    ],
)
async def test_sign_up_registration_failed(
    http: httpx.AsyncClient, overrides: dict[str, Any], fields: list[str]
) -> None:
    """Bad sign-ups get 400 registration-failed naming every bad field."""
    response = await http.post("signUp", json=_sign_up_body(**overrides))
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "registration-failed"
    assert body["message"]
    assert sorted(body["data"]["fields"]) == sorted(fields)


async def test_sign_up_duplicate_email(http: httpx.AsyncClient, alice: SandboxUser) -> None:
    """An email already registered (any case) is a failed field."""
    response = await http.post("signUp", json=_sign_up_body(email="ALICE@example.com"))
    assert response.json()["data"]["fields"] == ["email"]


async def test_sign_up_avatar_becomes_profile_avatar(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    """A data-URI avatar is stored as a file and set as the profile's avatar."""
    body = _sign_up_body(avatar="data:image/png;base64,iVBORw0KGgo=")
    assert (await http.post("signUp", json=body)).status_code == 200
    token = (
        await http.post("signIn", json={"username": "carol@example.com", "password": "pw"})
    ).headers["authorization"]
    profile = (
        await http.get("profiles", params={"scope": "MINE"}, headers={"Authorization": token})
    ).json()
    assert profile["content"][0]["avatarId"] is not None


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"{not json", id="malformed"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, id="deep"),
    ],
)
async def test_malformed_body_is_422(http: httpx.AsyncClient, content: bytes) -> None:
    """Malformed sign-in and sign-up bodies get 422 with a body error (not the seed's 500)."""
    for path in ("signIn", "signUp"):
        response = await http.post(path, content=content)
        assert response.status_code == 422
        assert "body" in response.json()["errors"]


async def test_sign_in_bad_credentials(http: httpx.AsyncClient, alice: SandboxUser) -> None:
    """A wrong password or unknown user gets 401 with a message."""
    for username, password in (("alice@example.com", "nope"), ("who@example.com", "x")):
        response = await http.post("signIn", json={"username": username, "password": password})
        assert response.status_code == 401
        assert response.json() == {"message": "Invalid credentials"}


async def test_sign_in_missing_fields(http: httpx.AsyncClient) -> None:
    """A sign-in without fields gets 422 naming them."""
    response = await http.post("signIn", json={"username": 3})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"username", "password"}


async def test_sign_out_invalidates_token(
    http: httpx.AsyncClient, alice: SandboxUser, auth: Headers
) -> None:
    """After /signOut the bearer token gets 401."""
    headers = auth(alice)
    assert (await http.get("signOut", headers=headers)).status_code == 200
    response = await http.get("account", headers=headers)
    assert response.status_code == 401
    assert response.json()["message"]


async def test_get_account(http: httpx.AsyncClient, alice: SandboxUser, auth: Headers) -> None:
    """GET /account returns the documented fields."""
    response = await http.get("account", headers=auth(alice))
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "alice@example.com"
    assert body["accountLevel"] == "FREE"
    assert body["emailVerified"] is True
    assert body["createdDate"].startswith("2023-11-14T22:13:20.")


async def test_requires_auth(http: httpx.AsyncClient) -> None:
    """Endpoints needing a token answer 401 without one or with a bad one."""
    assert (await http.get("account")).status_code == 401
    bad = await http.get("account", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401


async def test_change_password(http: httpx.AsyncClient, alice: SandboxUser, auth: Headers) -> None:
    """GET /account/changePassword with a JSON body changes it and invalidates tokens."""
    headers = auth(alice)
    wrong = await http.request(
        "GET",
        "account/changePassword",
        json={"oldPassword": "bad", "newPassword": "new"},
        headers=headers,
    )
    assert wrong.status_code == 401
    assert wrong.json()["status"] == "authentication-failed"
    ok = await http.request(
        "GET",
        "account/changePassword",
        json={"oldPassword": "alice-pw", "newPassword": "new-pw"},
        headers=headers,
    )
    assert ok.status_code == 200
    assert (await http.get("account", headers=headers)).status_code == 401
    signed = await http.post("signIn", json={"username": alice.email, "password": "new-pw"})
    assert signed.status_code == 200


async def test_password_reset_never_reveals(http: httpx.AsyncClient, alice: SandboxUser) -> None:
    """GET /password/change is 200 for known and unknown emails; the email is required."""
    for email in (alice.email, "nobody@example.com"):
        response = await http.get("password/change", params={"email": email})
        assert response.status_code == 200
    assert (await http.get("password/change")).status_code == 422


async def test_delete_account(
    http: httpx.AsyncClient, sandbox: Sandbox, alice: SandboxUser, auth: Headers
) -> None:
    """DELETE /account removes the account, its profiles and its tokens."""
    headers = auth(alice)
    assert (await http.delete("account", headers=headers)).status_code == 200
    assert (await http.get("account", headers=headers)).status_code == 401
    response = await http.post("signIn", json={"username": alice.email, "password": alice.password})
    assert response.status_code == 401


async def test_create_user_rejects_duplicates(sandbox: Sandbox, alice: SandboxUser) -> None:
    """create_user refuses a taken email (any case) saying so; secrets stay out of repr."""
    with pytest.raises(ValueError, match=r"^cannot create user: the email '.*' is taken$"):
        sandbox.create_user(email=alice.email.upper(), password="x", pass_phrase="y")
    assert "alice-pw" not in repr(alice)
    assert "alice-pp" not in repr(alice)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "new@example.com\n", "email must not contain control characters"),
        ("password", "Passw0rd!\x00", "password must not contain control characters"),
        ("password", "Passw0rd!\r\n", "password must not contain control characters"),
        ("pass_phrase", "phrase\tone\x7f", "pass_phrase must not contain control characters"),
        ("pass_phrase", " phrase", "pass_phrase must not begin or end with white space"),
    ],
)
def test_create_user_refuses_what_sign_in_refuses(field: str, value: str, message: str) -> None:
    """create_user refuses an email, password or pass phrase the SDK could never sign in or
    unlock with (it used to create the account), naming the field and quoting no secret;
    no account is created."""
    sandbox = Sandbox(rate_limit=None)
    fields = {"email": "new@example.com", "password": "Passw0rd!", "pass_phrase": "phrase"}
    fields[field] = value
    with pytest.raises(ValueError, match=f"^cannot create user: {message}") as info:
        sandbox.create_user(
            email=fields["email"], password=fields["password"], pass_phrase=fields["pass_phrase"]
        )
    assert "Passw0rd" not in str(info.value)
    assert "phrase" not in str(info.value).replace("pass_phrase", "")
    user = sandbox.create_user(email="new@example.com", password="Passw0rd!", pass_phrase="phrase")
    assert user.email == "new@example.com"


@pytest.mark.parametrize("offset", [-86_400.0, 0.0, 5.0, 86_400.0 * 365])
async def test_sign_in_tokens_follow_the_injected_clock(offset: float) -> None:
    """A sandbox whose injected clock runs ahead of (or behind) the machine's accepts the
    tokens it issues, and ends them when its own clock passes their lifetime."""
    clock = Clock(time.time() + offset)
    sandbox = Sandbox(rate_limit=None, clock=clock)
    user = sandbox.create_user(
        email="clock@example.test", password="pw-clock-1", pass_phrase="phrase clock"
    )
    headers = {"Authorization": f"Bearer {sandbox.sign_in(user)}"}
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=BASE_URL) as http:
        assert (await http.get("account", headers=headers)).status_code == 200
        clock.advance(BEARER_TTL + 1)
        assert (await http.get("account", headers=headers)).status_code == 401
