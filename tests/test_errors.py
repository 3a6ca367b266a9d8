"""
Every row of the error table, and malformed bodies that must still map cleanly.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

import onlyonce_async as oo
from onlyonce_async._errors import error_from_response
from tests._support.helpers import BASE, fast_client

pytestmark = pytest.mark.anyio


def _response(
    status: int, body: Any = None, *, text: str | None = None, **kw: Any
) -> httpx.Response:
    request = httpx.Request("GET", BASE + "x")
    if text is not None:
        return httpx.Response(status, text=text, request=request, **kw)
    if body is None:
        return httpx.Response(status, request=request, **kw)
    return httpx.Response(status, json=body, request=request, **kw)


ROWS = [
    pytest.param(400, {"message": "Invalid API key", "code": 100}, oo.InvalidApiKeyError, id="100"),
    pytest.param(400, {"message": "bad token", "code": 101}, oo.InvalidTokenError, id="101"),
    pytest.param(400, {"message": "no key", "code": 102}, oo.MissingApiKeyError, id="102"),
    pytest.param(400, {"message": "no token", "code": 103}, oo.MissingTokenError, id="103"),
    pytest.param(
        400,
        {"message": "iat must be an integer", "code": 104},
        oo.TokenNotVerifiedError,
        id="104",
    ),
    pytest.param(
        400, {"message": "Token is expired", "code": 104}, oo.TokenExpiredError, id="104-expired"
    ),
    pytest.param(
        400, {"message": "Expired token", "code": 101}, oo.TokenExpiredError, id="101-expired"
    ),
    pytest.param(400, {"message": "no client", "code": 201}, oo.ClientNotFoundError, id="201"),
    pytest.param(400, {"message": "no user", "code": 202}, oo.UserNotAccessibleError, id="202"),
    pytest.param(400, {"message": "project", "code": 501}, oo.ProjectAccessError, id="501"),
    pytest.param(400, {"message": "ip", "code": 502}, oo.IPNotAllowedError, id="502"),
    pytest.param(
        400, {"message": "odd", "code": 999}, oo.AuthenticationError, id="400-unknown-code"
    ),
    pytest.param(400, {"message": "bad"}, oo.BadRequestError, id="400"),
    pytest.param(
        400,
        {"status": "registration-failed", "data": {"fields": ["email"]}},
        oo.RegistrationFailedError,
        id="registration-failed",
    ),
    pytest.param(401, {"message": "Invalid credentials"}, oo.UnauthorizedError, id="401"),
    pytest.param(
        401, {"status": "authentication-failed"}, oo.AuthenticationFailedError, id="auth-failed"
    ),
    pytest.param(401, {"status": "wrong-secret-key"}, oo.WrongSecretKeyError, id="secret-key"),
    pytest.param(
        401, {"status": "wrong-request-status"}, oo.WrongRequestStatusError, id="request-status"
    ),
    pytest.param(
        401, {"status": "wrong-request-owner"}, oo.WrongRequestOwnerError, id="request-owner"
    ),
    pytest.param(401, {"status": "encryption-error"}, oo.EncryptionError, id="encryption"),
    pytest.param(403, {"status": "access-denied"}, oo.AccessDeniedError, id="access-denied"),
    pytest.param(403, {"message": "no"}, oo.ForbiddenError, id="403"),
    pytest.param(404, {"message": "Profile not found"}, oo.NotFoundError, id="404"),
    pytest.param(413, {"message": "too big"}, oo.PayloadTooLargeError, id="413"),
    pytest.param(
        422, {"message": "Validation", "errors": {"a": ["x"]}}, oo.ValidationError, id="422"
    ),
    pytest.param(429, {"message": "Too many"}, oo.RateLimitError, id="429"),
    pytest.param(500, {"message": "boom"}, oo.ServerError, id="500"),
    pytest.param(500, {"status": 500, "reason": "API DOWN"}, oo.ApiDownError, id="api-down"),
    pytest.param(502, None, oo.ServerError, id="502-empty"),
    pytest.param(503, {"message": "later"}, oo.ServerError, id="503"),
    pytest.param(418, {"message": "teapot"}, oo.APIError, id="other-4xx"),
]


@pytest.mark.parametrize(("status", "body", "cls"), ROWS)
def test_error_table(status: int, body: Any, cls: type[oo.APIError]) -> None:
    """Each status, JWT-API code and status string maps to exactly its class."""
    error = error_from_response(_response(status, body))
    assert type(error) is cls
    assert error.status_code == status
    assert isinstance(error, oo.APIError)
    assert isinstance(error, oo.OnlyOnceError)
    if isinstance(body, dict) and isinstance(body.get("code"), int):
        assert error.code == body["code"]
    if isinstance(body, dict) and isinstance(body.get("status"), str):
        assert error.status == body["status"]


def test_error_codes_mapping_is_complete() -> None:
    """ERROR_CODES maps the nine documented JWT-API codes to AuthenticationError subclasses."""
    assert sorted(oo.ERROR_CODES) == [100, 101, 102, 103, 104, 201, 202, 501, 502]
    assert all(issubclass(c, oo.AuthenticationError) for c in oo.ERROR_CODES.values())
    assert len(set(oo.ERROR_CODES.values())) == 9


def test_attributes_are_carried() -> None:
    """message, status, data, errors and response are all available on the exception."""
    response = _response(422, {"message": "Validation failed", "errors": {"name": ["taken"]}})
    error = error_from_response(response)
    assert isinstance(error, oo.ValidationError)
    assert error.message == "Validation failed"
    assert error.errors == {"name": ["taken"]}
    assert error.response is response
    assert error.code is None and error.status is None and error.data is None
    assert "Validation failed" in str(error) and "422" in str(error)


def test_registration_fields() -> None:
    """registration-failed exposes the offending field names."""
    error = error_from_response(
        _response(
            400, {"status": "registration-failed", "data": {"fields": ["email", 3, "country"]}}
        )
    )
    assert isinstance(error, oo.RegistrationFailedError)
    assert error.fields == ["email", "country"]


@pytest.mark.parametrize(
    ("data", "expired"),
    [
        pytest.param(
            "Secret key for profile 291d2906-2509-4112-ba09-40af62f00dc4 expired",
            True,
            id="expired",
        ),
        pytest.param(None, False, id="no-data"),
        pytest.param({"weird": 1}, False, id="wrong-type"),
    ],
)
def test_wrong_secret_key_expired(data: Any, expired: bool) -> None:
    """WrongSecretKeyError.expired is read from the documented data string."""
    error = error_from_response(_response(401, {"status": "wrong-secret-key", "data": data}))
    assert isinstance(error, oo.WrongSecretKeyError)
    assert error.expired is expired


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param("7", 7.0, id="seconds"),
        pytest.param("Wed, 21 Oct 2015 07:28:00 GMT", 0.0, id="date-in-past"),
        pytest.param("soon", None, id="garbage"),
        pytest.param(None, None, id="absent"),
    ],
)
def test_rate_limit_retry_after(header: str | None, expected: float | None) -> None:
    """RateLimitError.retry_after reads both Retry-After forms and tolerates junk."""
    headers = {"Retry-After": header} if header is not None else {}
    error = error_from_response(_response(429, {"message": "slow"}, headers=headers))
    assert isinstance(error, oo.RateLimitError)
    assert error.retry_after == expected


MALFORMED = [
    pytest.param(502, "<html><body>Bad Gateway</body></html>", oo.ServerError, id="html-502"),
    pytest.param(400, '{"message": "trunc', oo.BadRequestError, id="truncated-json"),
    pytest.param(400, '{"message": 5, "code": "abc"}', oo.BadRequestError, id="wrong-types"),
    pytest.param(400, '{"code": true}', oo.BadRequestError, id="bool-code"),
    pytest.param(400, '{"code": "101"}', oo.InvalidTokenError, id="string-code"),
    pytest.param(400, '{"code": "\u00b2"}', oo.BadRequestError, id="superscript-digit-code"),
    pytest.param(401, '{"status": ["wrong-secret-key"]}', oo.UnauthorizedError, id="status-list"),
    pytest.param(422, '{"errors": "nope"}', oo.ValidationError, id="errors-not-dict"),
    pytest.param(
        422, '{"errors": {"a": [1, {"x": 2}, "m"]}}', oo.ValidationError, id="errors-mixed"
    ),
    pytest.param(404, "[1, 2, 3]", oo.NotFoundError, id="json-list"),
    pytest.param(500, "\xff\xfe", oo.ServerError, id="bad-utf8"),
    pytest.param(500, "[" * 100_000, oo.ServerError, id="deep-nesting"),
]


@pytest.mark.parametrize(("status", "text", "cls"), MALFORMED)
def test_malformed_bodies_still_map(status: int, text: str, cls: type[oo.APIError]) -> None:
    """HTML pages, truncated JSON and wrongly typed fields give the typed error, never a crash."""
    error = error_from_response(_response(status, text=text))
    assert type(error) is cls
    assert error.message is None or isinstance(error.message, str)
    str(error)
    repr(error)


async def test_transport_errors_are_wrapped() -> None:
    """A connect failure becomes TransportError with httpx's error as __cause__."""
    with respx.mock(base_url=BASE) as router:
        router.get("heartbeat").mock(side_effect=httpx.ConnectError("refused"))
        async with fast_client(max_retries=0) as client:
            with pytest.raises(oo.TransportError) as info:
                await client.get("/heartbeat")
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert not isinstance(info.value, oo.RequestTimeout)


async def test_timeouts_are_request_timeout() -> None:
    """A read timeout becomes RequestTimeout, a TransportError."""
    with respx.mock(base_url=BASE) as router:
        router.get("heartbeat").mock(side_effect=httpx.ReadTimeout("slow"))
        async with fast_client(max_retries=0) as client:
            with pytest.raises(oo.RequestTimeout) as info:
                await client.get("/heartbeat")
    assert isinstance(info.value.__cause__, httpx.ReadTimeout)
    assert isinstance(info.value, oo.TransportError)


async def test_invalid_json_on_success_is_decode_error() -> None:
    """A 2xx body that is not JSON raises DecodeError, not ValueError."""
    with respx.mock(base_url=BASE) as router:
        router.get("x").mock(return_value=httpx.Response(200, text="<html>"))
        async with fast_client() as client:
            with pytest.raises(oo.DecodeError):
                await client.get("x")
