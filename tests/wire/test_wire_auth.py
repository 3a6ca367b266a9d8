"""
Who is calling, on the wire: sign-in tokens (seed 002) and the JWT API's verdicts
(JWTAPI.md, as its reference verifier — jwtapi v0.4.1 on firebase/php-jwt v5.5.1 — gives
them). Issue 13 items 1, 2, 7 and 11-16.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from tests._support.clocks import Clock

from .conftest import API_KEY, Account, Mint, jwt_headers, sign_in

pytestmark = pytest.mark.anyio

BAD = "not-a-uuid"
#: Every protected endpoint of the reference with a path id, called with a bad id.
PROTECTED_WITH_ID = [
    ("POST", f"profiles/{BAD}/access"),
    ("POST", f"profiles/{BAD}/chagePassPhrase"),
    ("GET", f"profiles/{BAD}"),
    ("DELETE", f"profiles/{BAD}"),
    ("POST", f"profiles/{BAD}/bookmarks"),
    ("DELETE", f"profiles/{BAD}/bookmarks/{BAD}"),
    ("POST", f"profiles/{BAD}/notes"),
    ("GET", f"profiles/{BAD}/notes"),
    ("PUT", f"profiles/{BAD}/notes"),
    ("DELETE", f"profiles/{BAD}/notes/{BAD}"),
    ("GET", f"profiles/{BAD}/settings"),
    ("PUT", f"profiles/{BAD}/settings"),
    ("GET", f"profiles/{BAD}/dataStore"),
    ("POST", f"profiles/{BAD}/dataStore/addFields"),
    ("POST", f"profiles/{BAD}/dataStore/saveFields"),
    ("DELETE", f"profiles/{BAD}/dataStore/fields/{BAD}"),
    ("GET", f"profiles/{BAD}/cards/{BAD}"),
    ("POST", f"profiles/{BAD}/cards"),
    ("POST", f"profiles/{BAD}/cards/{BAD}/clone"),
    ("PUT", f"profiles/{BAD}/cards/{BAD}"),
    ("DELETE", f"profiles/{BAD}/cards/{BAD}"),
    ("GET", f"profiles/{BAD}/requests"),
    ("GET", f"files/{BAD}/info"),
    ("GET", f"profiles/{BAD}/files/{BAD}/download"),
    ("POST", f"profiles/{BAD}/files"),
    ("DELETE", f"profiles/{BAD}/files/{BAD}"),
]
#: Protected endpoints without a path id, called with bad input.
PROTECTED_BAD_INPUT = [
    ("GET", "profiles?page=x&scope=NOPE"),
    ("POST", "profiles"),
    ("POST", "requests"),
    ("POST", "requests/accept"),
    ("POST", "profiles/tags"),
    ("GET", "consolidated"),
    ("GET", "activities?scope=NOPE"),
    ("GET", "account/changePassword"),
]


def _segments(token: str) -> list[Any]:
    head, body, _ = token.split(".")
    return [json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4))) for p in (head, body)]


# -- item 1: sign-in tokens -------------------------------------------------------------------


async def test_sign_in_token_is_a_jwt_as_the_reference_shows(
    wire: httpx.AsyncClient, alice_wire: Account
) -> None:
    """/signIn answers ``Bearer eyJhbGciOiJIUzUxMiJ9...``: a three-part HS512 JWT that works."""
    assert alice_wire.token.startswith("eyJhbGciOiJIUzUxMiJ9.")
    header, claims = _segments(alice_wire.token)
    assert header == {"alg": "HS512"}
    assert isinstance(claims["exp"], int)
    response = await wire.get("account", headers=alice_wire.headers)
    assert response.status_code == 200
    assert response.json()["email"] == alice_wire.email


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param("Bearer eyJhbGciOiJIUzUxMiJ9.e30.sig", id="jwt-shaped"),
        pytest.param("Bearer abc", id="opaque"),
        pytest.param("Bearer a.b.c", id="three-parts"),
        pytest.param("Basic YTpi", id="other-scheme"),
    ],
)
async def test_bad_sign_in_token_is_401_never_a_jwt_api_code(
    wire: httpx.AsyncClient, alice_wire: Account, authorization: str
) -> None:
    """Without an API-Key header a bad bearer token is 401 with no JWT-API code."""
    response = await wire.get("account", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert "code" not in response.json()


async def test_forged_sign_in_token_is_401(wire: httpx.AsyncClient, alice_wire: Account) -> None:
    """A sign-in token with its claims changed fails the sandbox's signature: 401."""
    head, _, signature = alice_wire.token.split(".")
    _, claims = _segments(alice_wire.token)
    forged_claims = base64.urlsafe_b64encode(json.dumps({**claims, "exp": 9_999_999_999}).encode())
    forged = f"{head}.{forged_claims.decode().rstrip('=')}.{signature}"
    response = await wire.get("account", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


async def test_api_key_header_selects_the_jwt_api(
    wire: httpx.AsyncClient, alice_wire: Account
) -> None:
    """The same sign-in token with an API-Key header is a JWT-API request (400, code 100)."""
    response = await wire.get("account", headers={**alice_wire.headers, "API-Key": "unknown"})
    assert response.status_code == 400
    assert response.json()["code"] == 100


# -- item 2: authenticate, then validate ------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"), [pytest.param(m, p, id=f"{m} {p}") for m, p in PROTECTED_WITH_ID]
)
async def test_unauthenticated_bad_id_is_401(
    wire: httpx.AsyncClient, alice_wire: Account, method: str, path: str
) -> None:
    """Every protected endpoint answers a call without credentials 401 before its bad id."""
    response = await wire.request(method, path, json={})
    assert response.status_code == 401, response.text
    bad_token = await wire.request(
        method, path, json={}, headers={"Authorization": "Bearer expired.or.forged"}
    )
    assert bad_token.status_code == 401, bad_token.text


@pytest.mark.parametrize(
    ("method", "path"), [pytest.param(m, p, id=f"{m} {p}") for m, p in PROTECTED_BAD_INPUT]
)
async def test_unauthenticated_bad_input_is_401(
    wire: httpx.AsyncClient, method: str, path: str
) -> None:
    """Protected endpoints without a path id also authenticate before validating."""
    response = await wire.request(method, path, content=b"{not json")
    assert response.status_code == 401, response.text


async def test_public_endpoints_still_validate_without_credentials(
    wire: httpx.AsyncClient,
) -> None:
    """ "Requires None" endpoints validate as before: a bad id or parameter is 422."""
    cards = await wire.get(f"profiles/{BAD}/cards", params={"scope": "MINE"})
    assert cards.status_code == 422
    assert "id" in cards.json()["errors"]
    assert (await wire.get("dictionaries")).status_code == 422


async def test_authenticated_bad_id_is_422(wire: httpx.AsyncClient, alice_wire: Account) -> None:
    """Once authenticated, the bad id is what is wrong: 422 naming it."""
    response = await wire.get(f"profiles/{BAD}", headers=alice_wire.headers)
    assert response.status_code == 422
    assert "id" in response.json()["errors"]


# -- item 7: /signOut ends the token presented ------------------------------------------------


async def test_sign_out_ends_only_the_presented_token(
    wire: httpx.AsyncClient, alice_wire: Account
) -> None:
    """/signOut invalidates the JWT-token presented; another session of the account stays."""
    other = {
        "Authorization": f"Bearer {await sign_in(wire, alice_wire.email, alice_wire.password)}"
    }
    assert (await wire.get("signOut", headers=alice_wire.headers)).status_code == 200
    assert (await wire.get("account", headers=alice_wire.headers)).status_code == 401
    assert (await wire.get("account", headers=other)).status_code == 200


async def test_sign_out_with_a_signed_jwt_ends_nothing(
    wire: httpx.AsyncClient, mint: Mint, alice_wire: Account
) -> None:
    """/signOut with a signed JWT answers 200 and leaves the account's sessions alone."""
    assert (await wire.get("signOut", headers=jwt_headers(mint()))).status_code == 200
    assert (await wire.get("account", headers=alice_wire.headers)).status_code == 200


async def test_password_change_ends_every_session(
    wire: httpx.AsyncClient, alice_wire: Account
) -> None:
    """Changing the password ends every session of the account (docs/api-notes.md)."""
    second = {
        "Authorization": f"Bearer {await sign_in(wire, alice_wire.email, alice_wire.password)}"
    }
    body = {"oldPassword": alice_wire.password, "newPassword": "new-password"}
    changed = await wire.request(
        "GET", "account/changePassword", json=body, headers=alice_wire.headers
    )
    assert changed.status_code == 200
    assert (await wire.get("account", headers=alice_wire.headers)).status_code == 401
    assert (await wire.get("account", headers=second)).status_code == 401


# -- item 11: expiry, code 101 or 104 ---------------------------------------------------------


async def _verdict(wire: httpx.AsyncClient, headers: dict[str, str]) -> tuple[int, Any]:
    response = await wire.get("account", headers=headers)
    if response.status_code == 200:
        return 200, response.json()["email"]
    assert response.status_code == 400, response.text
    return response.json()["code"], response.json()["message"]


async def test_expired_token_codes(wire: httpx.AsyncClient, mint: Mint, clock: Clock) -> None:
    """A passed exp is the decoder's 101 "Expired token"; a 60 s old iat is 104."""
    now = int(clock.now)
    assert await _verdict(wire, jwt_headers(mint(exp=now))) == (101, "Expired token")
    assert await _verdict(wire, jwt_headers(mint(iat=now - 60))) == (104, "Token is expired")
    assert (await _verdict(wire, jwt_headers(mint(iat=now - 59))))[0] == 200


# -- items 12-16: the reference verifier's verdicts -------------------------------------------


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        pytest.param(1, 200, id="int"),
        pytest.param("1", 200, id="string"),
        pytest.param(True, 200, id="true"),
        pytest.param(1.0, 200, id="integral-float"),
        pytest.param(" 1 ", 200, id="padded-string"),
        pytest.param("one", 202, id="text"),
        pytest.param(1.5, 202, id="fraction"),
        pytest.param(None, 202, id="null"),
        pytest.param([1], 202, id="array"),
        pytest.param(2, 202, id="not-linked"),
    ],
)
async def test_user_claim_coerced_as_the_reference(
    wire: httpx.AsyncClient, mint: Mint, alice_wire: Account, user: Any, expected: int
) -> None:
    """The user claim finds user 1 as the reference's lookup does ("1", true, 1.0)."""
    code, detail = await _verdict(wire, jwt_headers(mint(user=user)))
    assert code == expected
    if expected == 200:
        assert detail == alice_wire.email


@pytest.mark.parametrize(
    ("template", "code", "message"),
    [
        pytest.param("Bearer {}", 200, None, id="exact"),
        pytest.param("bearer {}", 103, "No Bearer token found on request", id="lower-case"),
        pytest.param("BEARER {}", 103, "No Bearer token found on request", id="upper-case"),
        pytest.param("Bearer  {}", 101, "Signature verification failed", id="two-spaces"),
        pytest.param("Bearer {}, other", 200, None, id="comma-list"),
        pytest.param("Bearer 0", 103, "No Bearer token found on request", id="php-falsy"),
        pytest.param("Bearer {}x", 101, "Signature verification failed", id="trailing-junk"),
        pytest.param("Bearer a.b", 101, "Wrong number of segments", id="two-segments"),
    ],
)
async def test_authorization_parsed_as_the_reference(
    wire: httpx.AsyncClient, mint: Mint, template: str, code: int, message: str | None
) -> None:
    """The JWT API reads the header exactly as the reference server (Laravel bearerToken)."""
    headers = {"Authorization": template.format(mint()), "API-Key": API_KEY}
    verdict = await _verdict(wire, headers)
    assert verdict[0] == code
    if message is not None:
        assert verdict[1] == message


async def test_empty_api_key_is_100(wire: httpx.AsyncClient, mint: Mint) -> None:
    """An API-Key header that is present but empty is 100 "Invalid API key", not 102."""
    assert await _verdict(wire, jwt_headers(mint(), api_key="")) == (100, "Invalid API key")
    no_token = await _verdict(wire, {"API-Key": ""})
    assert no_token == (103, "No Bearer token found on request")


@pytest.mark.parametrize(
    ("claims", "code", "message"),
    [
        pytest.param({"exp": None}, 200, None, id="exp-null-accepted"),
        pytest.param({"nbf": None}, 200, None, id="nbf-null-accepted"),
        pytest.param({"jti": 123}, 200, None, id="jti-number-accepted"),
        pytest.param({"jti": {"a": 1}}, 200, None, id="jti-object-accepted"),
        pytest.param(
            {"exp": "never"},
            101,
            "The exp claim must be a NumericDate (a number), not a string",
            id="exp-string-refused",
        ),
        pytest.param(
            {"exp": True},
            101,
            "The exp claim must be a NumericDate (a number), not a boolean",
            id="exp-bool-refused",
        ),
        pytest.param(
            {"nbf": "soon"},
            101,
            "The nbf claim must be a NumericDate (a number), not a string",
            id="nbf-string-refused",
        ),
    ],
)
async def test_claim_types(
    wire: httpx.AsyncClient, mint: Mint, claims: dict[str, Any], code: int, message: str | None
) -> None:
    """What the reference accepts is accepted; a non-numeric time claim is named when refused."""
    verdict = await _verdict(wire, jwt_headers(mint(**claims)))
    assert verdict[0] == code
    if message is not None:
        assert verdict[1] == message


async def test_numeric_jti_replay_names_the_replay(wire: httpx.AsyncClient, mint: Mint) -> None:
    """A numeric jti is accepted once; its second use is refused as a replay, nothing else."""
    assert (await _verdict(wire, jwt_headers(mint(jti=123))))[0] == 200
    again = await _verdict(wire, jwt_headers(mint(jti=123, iss="other")))
    assert again == (101, "Token already used (jti)")
    assert (await _verdict(wire, jwt_headers(mint(jti="123"))))[0] == 200


async def test_unknown_crit_extension_is_ignored(wire: httpx.AsyncClient, mint: Mint) -> None:
    """A crit header naming an unknown extension is ignored, as by the reference decoder."""
    header = {"typ": "JWT", "alg": "RS256", "crit": ["urn:example:unknown"]}
    assert (await _verdict(wire, jwt_headers(mint(header=header))))[0] == 200


@pytest.mark.parametrize(
    ("header", "message"),
    [
        pytest.param({"typ": "JWT"}, "Empty algorithm", id="no-alg"),
        pytest.param({"alg": "none"}, "Algorithm not supported", id="none"),
        pytest.param({"alg": "HS256"}, "Algorithm not allowed", id="hs256"),
    ],
)
async def test_decoder_messages(
    wire: httpx.AsyncClient, mint: Mint, header: dict[str, str], message: str
) -> None:
    """The decoder's refusals are 101 with the reference decoder's own messages."""
    assert await _verdict(wire, jwt_headers(mint(header=header))) == (101, message)


async def test_future_iat_message(wire: httpx.AsyncClient, mint: Mint, clock: Clock) -> None:
    """An iat one second ahead is 101 with the reference decoder's message and date form."""
    future = int(clock.now) + 1
    code, message = await _verdict(wire, jwt_headers(mint(iat=future)))
    assert code == 101
    assert message == "Cannot handle token prior to 2023-11-14T22:13:21+0000"
