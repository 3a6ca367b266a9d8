"""
End to end against the sandbox with DEBUG logging on: no secret in any log line, repr, str
or formatted traceback of any auth flow, successful or failing, nor in any event delivered
to a listener or any OpenTelemetry span attribute; in-process and over TCP, where httpx's
and httpcore's own DEBUG records (headers included) are captured too.
"""

from __future__ import annotations

import logging
import secrets
import traceback
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from onlyonce_async import BearerAuth, Client, OnlyOnceError, SignedJWTAuth
from onlyonce_async.otel import OpenTelemetryListener
from onlyonce_async.testing import BASE_URL, Sandbox
from tests._support import keys
from tests._support.backends import asyncio_only

pytestmark = pytest.mark.anyio


class Recording(httpx.AsyncBaseTransport):
    """Wraps the sandbox transport and keeps every credential that crossed the wire."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner
        self.seen: set[str] = set()

    def seen_token(self) -> str:
        """A bearer token that crossed the wire (a real one, to misuse)."""
        return next(v for v in sorted(self.seen) if "." not in v and v.isascii())

    async def aclose(self) -> None:
        """Close the wrapped transport."""
        await self._inner.aclose()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send, then remember the request's and the response's credential headers."""
        response = await self._inner.handle_async_request(request)
        for headers in (request.headers, response.headers):
            for name in ("Authorization", "API-Key", "Secret-Key"):
                value = headers.get(name)
                if value:
                    self.seen.add(value.removeprefix("Bearer "))
        return response


def _capture_everything(caplog: pytest.LogCaptureFixture) -> None:
    """DEBUG on the root logger and, by name, on httpx's and httpcore's loggers."""
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "httpcore.http11", "httpcore.connection"):
        caplog.set_level(logging.DEBUG, logger=name)


@pytest.fixture
def world(caplog: pytest.LogCaptureFixture) -> dict[str, Any]:
    """A sandbox, a recording transport and DEBUG logging of every logger."""
    _capture_everything(caplog)
    sandbox = Sandbox(rate_limit=None)
    return {"sandbox": sandbox, "transport": Recording(sandbox.transport()), "base": BASE_URL}


def _observe(world: dict[str, Any]) -> None:
    """Record every event, and every span in memory, of the clients `_client` makes."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    world["events"] = []
    world["spans"] = exporter
    world["otel"] = OpenTelemetryListener(tracer_provider=provider)


def _client(world: dict[str, Any], auth: httpx.Auth | None) -> Client:
    return Client(
        base_url=world["base"],
        transport=world["transport"],
        auth=auth,
        rate_limiter=None,
        listeners=[world["events"].append, world["otel"]],
    )


def _scan(texts: list[str], secret_values: list[str]) -> list[str]:
    """The secrets (abbreviated) found in any text, as text or as escaped UTF-8 bytes."""
    found = []
    for value in secret_values:
        forms = {value, repr(value.encode("utf-8"))[2:-1]}
        if len(value) >= 6 and any(form in text for text in texts for form in forms):
            found.append(value[:12] + "…")
    return found


async def test_no_secret_escapes_any_auth_flow(
    world: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """Sign-up, sign-in, re-auth, JWT, access, password and pass-phrase changes, and their
    failures, leave no secret in logs, reprs, strs or tracebacks."""
    await _exercise_every_auth_flow(world, caplog)


@asyncio_only
class TestOverTCP:
    """The same scan through uvicorn and httpx's real transport (asyncio only)."""

    async def test_no_secret_in_httpcore_or_httpx_records(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Over TCP, httpcore's DEBUG records (which print response headers such as
        /signIn's token) and httpx's INFO lines carry no secret either."""
        _capture_everything(caplog)
        sandbox = Sandbox(rate_limit=None)
        async with sandbox.serve_tcp() as base_url:
            world = {
                "sandbox": sandbox,
                "transport": Recording(httpx.AsyncHTTPTransport()),
                "base": base_url,
            }
            await _exercise_every_auth_flow(world, caplog)
        assert any(r.name.startswith("httpcore") for r in caplog.records)
        assert any(
            "[redacted]" in r.getMessage() for r in caplog.records if r.name != "onlyonce_async"
        )


async def _exercise_every_auth_flow(
    world: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    sandbox: Sandbox = world["sandbox"]
    _observe(world)
    # Non-ASCII secrets travel as UTF-8 (the pass phrase in the Secret-Key header).
    password = "Pw-ü-" + secrets.token_hex(8)
    new_password = "NewPw-" + secrets.token_hex(8)
    phrase = "Phrase-秘密-" + secrets.token_hex(8)
    new_phrase = "NewPhrase-ä-" + secrets.token_hex(8)
    wrong = "Wrong-" + secrets.token_hex(8)
    api_key = "Key-" + secrets.token_hex(12)
    pem = keys.pem(keys.rsa_key()).decode()
    errors: list[BaseException] = []
    objects: list[object] = []

    async def expect_error(coroutine: Any) -> None:
        try:
            await coroutine
        except OnlyOnceError as error:
            errors.append(error)
        else:
            raise AssertionError("the call was expected to fail")

    async def expect_value_error(coroutine: Any) -> None:
        try:
            await coroutine
        except ValueError as error:
            errors.append(error)
        else:
            raise AssertionError("the call was expected to be refused")

    anonymous = _client(world, None)
    async with anonymous:
        await anonymous.account.sign_up(
            email="grace@example.com",
            password=password,
            pass_phrase=phrase,
            first_name="Grace",
            last_name="Hopper",
            country=sandbox.dictionary("country_field")[0].id,
        )
        await expect_error(anonymous.account.sign_in("grace@example.com", wrong))
        await anonymous.account.sign_in("grace@example.com", password)
        objects += [anonymous, anonymous.auth]
        await expect_error(anonymous.account.change_password(wrong, new_password))
        await anonymous.account.change_password(password, new_password)

    auth = BearerAuth.with_credentials("grace@example.com", new_password)
    client = _client(world, auth)
    async with client:
        account = await client.account.get()
        # Revoke the token behind the client's back: the next call signs in again.
        async with httpx.AsyncClient(transport=world["transport"], base_url=world["base"]) as raw:
            await raw.get("signOut", headers={"Authorization": f"Bearer {auth.token}"})
        account = await client.account.get()
        profile_id = (await client.profiles.list(scope="MINE").collect())[0].id
        await expect_error(client.profiles.enable_access(profile_id, wrong))
        # Secrets read from a file with their line break: refused, never echoed.
        await expect_value_error(client.profiles.enable_access(profile_id, phrase + "\r\n"))
        await expect_value_error(client.account.sign_in("grace@example.com", new_password + "\n"))
        await client.profiles.enable_access(profile_id, phrase)
        await expect_error(client.profiles.change_pass_phrase(profile_id, wrong, new_phrase))
        await client.profiles.change_pass_phrase(profile_id, phrase, new_phrase)
        await client.profiles.enable_access(profile_id, new_phrase)
        await client.datastore.get(profile_id)
        objects += [client, auth, account, client.profile_access]
    bad_auth = BearerAuth.with_credentials("grace@example.com", wrong)
    async with _client(world, bad_auth) as failing:
        await expect_error(failing.account.get())
        objects += [failing, bad_auth]

    user = sandbox.create_user(email="jwt@example.com", password=password, pass_phrase=phrase)
    public_pem = keys.public_pem(keys.rsa_key())
    sandbox.register_api_client(
        api_key=api_key, public_key=public_pem, users=[user.user_id], projects=["p"]
    )
    for bad_key in (api_key + "\n", api_key + "\r\nX: y"):
        await expect_value_error(_build_jwt_auth(bad_key, pem, user.user_id))
    await expect_value_error(_build_bearer(world["transport"].seen_token() + "\n"))
    jwt_auth = SignedJWTAuth(api_key, pem, user=user.user_id, project="p")
    async with _client(world, jwt_auth) as jwt_client:
        await jwt_client.account.get()
        await jwt_client.profiles.enable_access(user.profile_id, phrase)
        objects += [jwt_client, jwt_auth]
    sandbox.disable_api_client(api_key)
    async with _client(
        world, SignedJWTAuth(api_key, pem, user=user.user_id, project="p")
    ) as disabled:
        await expect_error(disabled.account.get())
    wrong_user = SignedJWTAuth(api_key, pem, user=user.user_id + 999, project="p")
    async with _client(world, wrong_user) as other:
        await expect_error(other.account.get())

    secret_values = [password, new_password, phrase, new_phrase, wrong, api_key]
    secret_values += [line for line in pem.splitlines() if "-----" not in line]
    secret_values += sorted(world["transport"].seen - {"[redacted]"})
    assert len(world["transport"].seen) >= 6  # tokens, JWTs, keys really were seen
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    texts = [formatter.format(record) for record in caplog.records]
    texts += [repr(o) for o in objects] + [str(o) for o in objects]
    texts += [repr(e) for e in errors] + [str(e) for e in errors]
    texts += ["".join(traceback.format_exception(e)) for e in errors]
    texts += [repr(event) for event in world["events"]]
    spans = world["spans"].get_finished_spans()
    texts += [f"{s.name} {dict(s.attributes or {})} {s.events} {s.status}" for s in spans]
    assert len(caplog.records) > 20 and len(errors) >= 11
    assert any(type(event).__name__ == "ReauthenticatedEvent" for event in world["events"])
    assert len(spans) > 20
    assert _scan(texts, secret_values) == []


async def _build_jwt_auth(api_key: str, pem: str, user: int) -> SignedJWTAuth:
    return SignedJWTAuth(api_key, pem, user=user, project="p")


async def _build_bearer(token: str) -> BearerAuth:
    return BearerAuth(token)
