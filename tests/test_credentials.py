"""
Credentials are checked where they enter: a ValueError naming the field, never the value,
before anything is sent; a non-ASCII pass phrase travels as UTF-8 and works end to end.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import httpx
import pytest

import onlyonce_async as oo
from onlyonce_async._cli import main
from onlyonce_async.testing import Sandbox
from tests._support.backends import asyncio_only
from tests._support.helpers import BASE, Recorder, fast_client

pytestmark = pytest.mark.anyio

MARK = "S3cr3tV4lue"
PID = uuid.UUID("0b5a3f7e-1c2d-4e5f-8a9b-0c1d2e3f4a5b")
#: A pass phrase far from ASCII: Latin-1, a dash, CJK and an emoji (4 UTF-8 bytes).
UNICODE_PHRASE = "Pässwörd – 秘密 🔑 ok"

# Values no credential may hold: each would break the header, or the UTF-8 encoding.
CONTROL_VALUES = [
    pytest.param(MARK + "\n", id="trailing-lf"),
    pytest.param(MARK + "\r\nX-Injected: 1", id="crlf-injection"),
    pytest.param(MARK[:3] + "\x00" + MARK, id="nul"),
    pytest.param(MARK + "\x7f", id="del"),
    pytest.param(MARK + "\t", id="tab"),
    pytest.param(MARK + "\ud800", id="lone-surrogate"),
]
# Further values a header token (bearer token, API key) may not hold.
TOKEN_VALUES = [
    *CONTROL_VALUES,
    pytest.param(MARK + "-ä", id="non-ascii"),
    pytest.param(MARK + " x", id="space"),
]
# Further values a pass phrase may not hold: HTTP drops white space at the ends.
PHRASE_VALUES = [
    *CONTROL_VALUES,
    pytest.param(" " + MARK, id="leading-space"),
    pytest.param(MARK + " ", id="trailing-space"),
]


Entry = Callable[[oo.Client, str], Awaitable[Any]]


async def _bearer(client: oo.Client, value: str) -> Any:
    return oo.BearerAuth(value)


async def _token_setter(client: oo.Client, value: str) -> Any:
    oo.BearerAuth().token = value


async def _with_credentials_password(client: oo.Client, value: str) -> Any:
    return oo.BearerAuth.with_credentials("a@example.com", value)


async def _with_credentials_username(client: oo.Client, value: str) -> Any:
    return oo.BearerAuth.with_credentials(value, "pw")


async def _sign_in(client: oo.Client, value: str) -> Any:
    return await client.account.sign_in("a@example.com", value)


async def _jwt_api_key(client: oo.Client, value: str) -> Any:
    return oo.SignedJWTAuth(value, "-----BEGIN PRIVATE KEY-----\n")


async def _enable_access(client: oo.Client, value: str) -> Any:
    return await client.profiles.enable_access(PID, value)


async def _change_pass_phrase(client: oo.Client, value: str) -> Any:
    return await client.profiles.change_pass_phrase(PID, "old-phrase", value)


async def _sign_up(client: oo.Client, value: str) -> Any:
    return await client.account.sign_up(
        pass_phrase=value,
        password="pw",
        email="a@example.com",
        first_name="A",
        last_name="B",
        country=PID,
    )


async def _change_password(client: oo.Client, value: str) -> Any:
    return await client.account.change_password("old-pw", value)


async def _raw_header(client: oo.Client, value: str) -> Any:
    return await client.get("x", headers={"X-Custom-Secret": value})


def _cases(entry: Entry, field: str, values: list[Any]) -> list[Any]:
    return [
        pytest.param(entry, field, v.values[0], id=f"{entry.__name__[1:]}-{v.id}") for v in values
    ]


@pytest.mark.parametrize(
    ("entry", "field", "value"),
    [
        *_cases(_bearer, "token", TOKEN_VALUES),
        *_cases(_token_setter, "token", TOKEN_VALUES),
        *_cases(_with_credentials_password, "password", CONTROL_VALUES),
        *_cases(_with_credentials_username, "username", CONTROL_VALUES),
        *_cases(_sign_in, "password", CONTROL_VALUES),
        *_cases(_jwt_api_key, "api_key", TOKEN_VALUES),
        *_cases(_enable_access, "pass_phrase", PHRASE_VALUES),
        *_cases(_change_pass_phrase, "new_pass_phrase", PHRASE_VALUES),
        *_cases(_sign_up, "pass_phrase", PHRASE_VALUES),
        *_cases(_change_password, "new_password", CONTROL_VALUES),
        *_cases(_raw_header, "X-Custom-Secret", CONTROL_VALUES[:5]),
    ],
)
async def test_a_bad_credential_is_refused_where_it_enters(
    entry: Entry, field: str, value: str
) -> None:
    """A credential with CR/LF, a control character, a lone surrogate (or, in a header
    token, non-ASCII) raises ValueError naming the field and not the value; nothing is
    sent."""
    rec = Recorder()
    async with fast_client(transport=rec.transport(), auth=oo.BearerAuth("tok")) as client:
        with pytest.raises(ValueError, match=field) as info:
            await entry(client, value)
    shown = str(info.value) + repr(info.value)
    assert MARK not in shown and MARK[:6] not in shown
    assert rec.requests == []


async def test_a_non_ascii_str_header_value_is_a_value_error() -> None:
    """A non-ASCII str header value raises ValueError (not UnicodeEncodeError, which would
    carry the value) before anything is sent."""
    rec = Recorder()
    async with fast_client(transport=rec.transport()) as client:
        with pytest.raises(ValueError, match="Secret-Key") as info:
            await client.get("x", headers={"Secret-Key": "Pä" + MARK})
    assert MARK not in str(info.value)
    assert rec.requests == []


async def test_an_unusable_sign_in_token_is_a_decode_error_without_the_token() -> None:
    """A /signIn answer whose token a header cannot carry is a DecodeError that does not
    quote it, and the token is not installed."""

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, headers=[(b"Authorization", b"Bearer " + MARK.encode() + b"\xe9")]
        )

    async with fast_client(transport=httpx.MockTransport(handle)) as client:
        with pytest.raises(oo.DecodeError) as info:
            await client.account.sign_in("a@example.com", "pw")
        assert client.auth is None
    assert MARK not in str(info.value) + repr(info.value)


async def test_a_non_ascii_pass_phrase_works_against_the_sandbox() -> None:
    """A pass phrase accepted at sign-up, non-ASCII included, enables access; a wrong
    one is still refused."""
    sandbox = Sandbox(rate_limit=None)
    user = sandbox.create_user(email="u@example.com", password="pw-1", pass_phrase=UNICODE_PHRASE)
    auth = oo.BearerAuth.with_credentials(user.email, user.password)
    async with sandbox.client(auth=auth) as client:
        with pytest.raises(oo.WrongSecretKeyError):
            await client.profiles.enable_access(user.profile_id, UNICODE_PHRASE[:-1] + "K")
        await client.profiles.enable_access(user.profile_id, UNICODE_PHRASE)
        await client.datastore.get(user.profile_id)


@asyncio_only
class TestOverTCP:
    """The header cases over a real socket (uvicorn's h11 parser; asyncio only)."""

    async def test_non_ascii_pass_phrase_round_trips(self) -> None:
        """Through httpx/h11 and uvicorn, the UTF-8 pass phrase arrives intact and enables
        access; a CR/LF one is a ValueError before anything is sent, not a TransportError
        quoting it."""
        sandbox = Sandbox(rate_limit=None)
        user = sandbox.create_user(
            email="u@example.com", password="pw-1", pass_phrase=UNICODE_PHRASE
        )
        async with sandbox.serve_tcp() as base_url:
            auth = oo.BearerAuth.with_credentials(user.email, user.password)
            async with oo.Client(base_url=base_url, auth=auth, rate_limiter=None) as client:
                with anyio.fail_after(30):
                    await client.profiles.enable_access(user.profile_id, UNICODE_PHRASE)
                    await client.datastore.get(user.profile_id)
                    with pytest.raises(ValueError, match="pass_phrase") as info:
                        await client.profiles.enable_access(user.profile_id, MARK + "\r\n")
        assert MARK not in str(info.value)

    async def test_a_token_with_a_newline_never_reaches_the_socket(self) -> None:
        """A token read from a file with its newline is refused when the auth is built,
        instead of a TransportError quoting it on the first call."""
        with pytest.raises(ValueError, match="token") as info:
            oo.BearerAuth(MARK + "\n")
        assert MARK not in str(info.value)


@pytest.mark.parametrize(
    "env",
    [
        pytest.param({"ONLYONCE_TOKEN": MARK + "\n"}, id="token"),
        pytest.param({"ONLYONCE_USERNAME": "a@x", "ONLYONCE_PASSWORD": MARK + "\r\n"}, id="pw"),
        pytest.param({"ONLYONCE_TOKEN": "tok", "ONLYONCE_PASS_PHRASE": MARK + "\n"}, id="phrase"),
    ],
)
def test_cli_credentials_from_the_environment_are_checked(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """A credential from the environment with CR/LF is a usage error (exit 2) naming the
    variable, never showing the value, and nothing is sent."""
    out = io.StringIO()
    env = {"ONLYONCE_BASE_URL": BASE, **env}
    sent: list[httpx.Request] = []

    def factory(settings: Any) -> oo.Client:
        def handle(request: httpx.Request) -> httpx.Response:
            sent.append(request)
            return httpx.Response(200, json={})

        return oo.Client(
            base_url=settings.base_url,
            auth=settings.auth,
            transport=httpx.MockTransport(handle),
        )

    status = main(["api", "GET", "/heartbeat"], environ=env, client_factory=factory, stdout=out)
    captured = capsys.readouterr()
    assert status == 2
    assert next(iter(k for k in env if k != "ONLYONCE_BASE_URL" and MARK in env[k])) in (
        captured.err
    )
    assert MARK not in captured.err + captured.out + out.getvalue()
    assert sent == []
