"""
No secret (password, pass phrase, token, JWT, API key, private key) in logs, repr or str.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from typing import Any

import httpx
import pytest

from onlyonce_async import (
    APIError,
    BearerAuth,
    Client,
    SignedJWTAuth,
    UnauthorizedError,
    WrongSecretKeyError,
)
from onlyonce_async._access import enable_access
from onlyonce_async._logging import REDACTED, redact_url
from tests._support.jwt_server import API_KEY
from tests._support.keys import pem, rsa_key

BASE = "https://api.example.test/v2/"
USER = "grace@example.test"
PASSWORD = "Pw-" + secrets.token_hex(8)
WRONG_PASSWORD = "Wrong-" + secrets.token_hex(8)
PHRASE = "Phrase-" + secrets.token_hex(8)
KEY_PASSWORD = "KeyPw-" + secrets.token_hex(8)
PID = uuid.UUID("0b5a3f7e-1c2d-4e5f-8a9b-0c1d2e3f4a5b")


class LeakyServer:
    """A fake that issues random tokens, expires things on request and sees every header."""

    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.jwts: list[str] = []
        self.token_valid = False
        self.access = False

    def handler(self, request: httpx.Request) -> httpx.Response:
        """Answer one request, keeping every credential it carries."""
        path = request.url.path
        authorization = request.headers.get("Authorization", "")
        if authorization.count(".") == 2:
            self.jwts.append(authorization.removeprefix("Bearer "))
        if path == "/v2/signIn":
            if PASSWORD.encode() not in request.content:
                return httpx.Response(401, json={"message": "Invalid credentials"})
            self.tokens.append("tok-" + secrets.token_urlsafe(24))
            self.token_valid = True
            return httpx.Response(200, headers={"Authorization": f"Bearer {self.tokens[-1]}"})
        if path.endswith("/access"):
            if request.headers.get("Secret-Key") != PHRASE:
                return httpx.Response(401, json={"status": "wrong-secret-key"})
            self.access = True
            return httpx.Response(200)
        if "Secret-Key" not in request.headers and API_KEY not in request.headers.get(
            "API-Key", ""
        ):
            valid = self.tokens and authorization == f"Bearer {self.tokens[-1]}"
            if not (valid and self.token_valid):
                return httpx.Response(401, json={"message": "Unauthorized"})
        if path.endswith("/dataStore") and not self.access:
            text = f"Secret key for profile {PID} expired"
            return httpx.Response(
                401, json={"status": "wrong-secret-key", "message": text, "data": text}
            )
        return httpx.Response(200, json={"ok": True, "echo": "fine"})


def secrets_of(server: LeakyServer, pem_text: str) -> dict[str, str]:
    """Every secret that must never show, by name."""
    found = {
        "password": PASSWORD,
        "wrong password": WRONG_PASSWORD,
        "pass phrase": PHRASE,
        "API key": API_KEY,
        "key password": KEY_PASSWORD,
        "private key PEM": pem_text,
    }
    # Any line of the PEM body would give the key away, not only the whole text.
    for i, line in enumerate(pem_text.splitlines()[1:-1]):
        found[f"private key line {i}"] = line
    for i, token in enumerate(server.tokens):
        found[f"bearer token {i}"] = token
    for i, token in enumerate(server.jwts):
        found[f"JWT {i}"] = token
        found[f"JWT {i} signature"] = token.rsplit(".", 1)[1]
    return found


def texts_of(objects: list[Any]) -> list[str]:
    """repr and str of each object, and of an exception's response and request."""
    texts: list[str] = []
    for obj in objects:
        texts += [repr(obj), str(obj)]
        if isinstance(obj, BaseException):
            texts += [repr(obj.args)]
        if isinstance(obj, APIError) and obj.response is not None:
            texts += [repr(obj.response), repr(obj.response.request), str(obj.response.url)]
    return texts


@pytest.mark.anyio
async def test_no_secret_in_logs_or_reprs(caplog: pytest.LogCaptureFixture) -> None:
    """Every DEBUG log line and every repr/str of clients, auths and errors is secret-free."""
    caplog.set_level(logging.DEBUG)
    server = LeakyServer()
    transport = httpx.MockTransport(server.handler)
    pem_text = pem(rsa_key(), KEY_PASSWORD.encode()).decode()
    errors: list[BaseException] = []
    bearer = BearerAuth.with_credentials(USER, PASSWORD)
    jwt_auth = SignedJWTAuth(API_KEY, pem_text, password=KEY_PASSWORD, user=7, project="p")
    async with (
        Client(base_url=BASE, auth=bearer, transport=transport, rate_limiter=None) as client,
        Client(base_url=BASE, auth=jwt_auth, transport=transport, rate_limiter=None) as signed,
    ):
        await client.get("/things", params={"token": "q", "page": 0})
        server.token_valid = False  # expire: one re-sign-in inside the auth flow
        await client.post("/things", json={"password": "x", "note": "hello"})
        await enable_access(client, PID, PHRASE)
        server.access = False  # expire: one renewal with the remembered pass phrase
        await client.get(f"/profiles/{PID}/dataStore")
        await client.request(
            "POST", f"/profiles/{PID}/files", files={"file": ("a.txt", PASSWORD.encode())}
        )
        await client.account.sign_in(USER, PASSWORD)
        for call in (
            client.account.sign_in(USER, WRONG_PASSWORD),
            enable_access(client, PID, WRONG_PASSWORD),
        ):
            try:
                await call
            except APIError as exc:
                errors.append(exc)
        await client.account.sign_out()
        for _ in range(3):
            await signed.post("/cards", json={"name": "n"})
        server.access = False
        try:
            await client.with_options(auth=BearerAuth()).get(f"/profiles/{PID}/dataStore")
        except UnauthorizedError as exc:
            errors.append(exc)
        objects: list[Any] = [
            client,
            signed,
            bearer,
            jwt_auth,
            client.profile_access,
            *errors,
        ]
        texts = texts_of(objects)

    assert len(server.tokens) >= 3
    assert len(server.jwts) == 3
    assert len(errors) == 3
    assert any(isinstance(e, WrongSecretKeyError) for e in errors)
    lines = [record.getMessage() for record in caplog.records]
    lines += [caplog.text]
    sign_in_lines = [line for line in lines if "signIn" in line and "request POST" in line]
    assert sign_in_lines, "the sign-in requests are logged (redacted)"
    assert any(REDACTED in line for line in sign_in_lines)
    for name, secret in secrets_of(server, pem_text).items():
        for text in lines + texts:
            assert secret not in text, f"{name} leaked"


@pytest.mark.anyio
async def test_no_query_secret_in_httpx_log_lines(caplog: pytest.LogCaptureFixture) -> None:
    """httpx's own "HTTP Request" line made during a call hides credential-like query
    values as the SDK's line does; other parameters stay readable."""
    caplog.set_level(logging.DEBUG)
    query_secrets = {"access_token": "tok-in-query-9f3", "api_key": "key-in-query-7c1"}

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={})

    transport = httpx.MockTransport(handle)
    async with Client(base_url=BASE, transport=transport, rate_limiter=None) as client:
        await client.get("/things", params={**query_secrets, "page": 2})
    httpx_lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert httpx_lines and all("page=2" in line for line in httpx_lines)
    for text in [r.getMessage() for r in caplog.records] + [caplog.text]:
        for secret in query_secrets.values():
            assert secret not in text


def test_redact_url_hides_credential_query_values() -> None:
    """Credential-like query values and userinfo are redacted in logged URLs."""
    url = httpx.URL(f"https://u:{PASSWORD}@h/v2/x?token=abc123&api_key=k9&page=2")
    shown = redact_url(url)
    for secret in (PASSWORD, "abc123", "k9"):
        assert secret not in shown
    assert "page=2" in shown


@pytest.mark.parametrize(
    "auth",
    [
        pytest.param(lambda: BearerAuth("tok-visible-not"), id="bearer-token"),
        pytest.param(lambda: BearerAuth.with_credentials(USER, PASSWORD), id="bearer-creds"),
        pytest.param(lambda: SignedJWTAuth(API_KEY, pem(rsa_key())), id="signed-jwt"),
    ],
)
def test_auth_reprs(auth: Any) -> None:
    """repr/str of auth objects name no token, password, API key or key material."""
    obj = auth()
    for text in (repr(obj), str(obj)):
        for secret in ("tok-visible-not", PASSWORD, API_KEY, "PRIVATE"):
            assert secret not in text
