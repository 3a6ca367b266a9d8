"""
Every exception the SDK raises on purpose, and the one place responses map to them.

The tree::

    OnlyOnceError                      base of everything the SDK raises on purpose
    ├── TransportError                 network failure after retries (__cause__ = httpx error)
    │   └── RequestTimeout
    ├── DecodeError                    2xx body that is not valid JSON / not the documented shape
    │   └── ResponseTooLargeError      a body (any status) inflating past max_response_size
    ├── RateLimiterUnavailableError    the shared (Redis) rate limiter cannot be reached
    ├── ClientClosedError              the Client was closed: nothing (more) is sent
    └── APIError                       non-2xx response
        ├── BadRequestError            400
        │   ├── AuthenticationError    400 with a JWT-API code; .code
        │   │   ├── InvalidApiKeyError, InvalidTokenError, ... (ERROR_CODES)
        │   │   └── TokenExpiredError    an expired token, code 101 or 104 (both parents)
        │   └── RegistrationFailedError  400 {"status": "registration-failed"}; .fields
        ├── UnauthorizedError          401
        │   ├── AuthenticationFailedError  "authentication-failed"
        │   ├── WrongSecretKeyError        "wrong-secret-key"; .expired
        │   ├── WrongRequestStatusError    "wrong-request-status"
        │   ├── WrongRequestOwnerError     "wrong-request-owner"
        │   └── EncryptionError            "encryption-error"
        ├── ForbiddenError             403
        │   └── AccessDeniedError      "access-denied"
        ├── NotFoundError              404
        ├── PayloadTooLargeError       413
        ├── ValidationError            422; .errors
        ├── RateLimitError             429; .retry_after
        └── ServerError                5xx
            └── ApiDownError           {"status": 500, "reason": "API DOWN"}

`error_from_response` is the single table from a response to its class; `map_transport_errors`
is the single place httpx's exceptions become ours. Neither trusts the body: an HTML error
page, truncated JSON or fields of the wrong type still give the right class, with the
attributes that could not be read left as `None`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import httpx

from ._httpdate import parse_retry_after

__all__ = [
    "ERROR_CODES",
    "APIError",
    "AccessDeniedError",
    "ApiDownError",
    "AuthenticationError",
    "AuthenticationFailedError",
    "BadRequestError",
    "ClientClosedError",
    "ClientNotFoundError",
    "DecodeError",
    "EncryptionError",
    "ForbiddenError",
    "IPNotAllowedError",
    "InvalidApiKeyError",
    "InvalidTokenError",
    "MissingApiKeyError",
    "MissingTokenError",
    "NotFoundError",
    "OnlyOnceError",
    "PayloadTooLargeError",
    "ProjectAccessError",
    "RateLimitError",
    "RateLimiterUnavailableError",
    "RegistrationFailedError",
    "RequestTimeout",
    "ResponseTooLargeError",
    "ServerError",
    "TokenExpiredError",
    "TokenNotVerifiedError",
    "TransportError",
    "UnauthorizedError",
    "UserNotAccessibleError",
    "ValidationError",
    "WrongRequestOwnerError",
    "WrongRequestStatusError",
    "WrongSecretKeyError",
    "error_from_response",
    "map_transport_errors",
]


class OnlyOnceError(Exception):
    """
    Base class of every exception the SDK raises on purpose.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message: str | None = message


class TransportError(OnlyOnceError):
    """
    The request failed on the network after all retries; ``__cause__`` is httpx's error.
    """

    def __init__(self, message: str, *, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.request = request


class RequestTimeout(TransportError):
    """
    The request (or the call's overall ``deadline``) timed out.
    """


class DecodeError(OnlyOnceError):
    """
    A 2xx response whose body is not valid JSON or not of the documented shape.
    """

    def __init__(self, message: str, *, response: httpx.Response | None = None) -> None:
        super().__init__(message)
        self.response = response


class ResponseTooLargeError(DecodeError):
    """
    A response body (of any status) that decodes to more than ``max_response_size`` bytes.

    Reading stopped at the cap. A `DecodeError`, so it is not retried (the same server
    would send the same body again), and bulk sharing looks a share up after it, as after
    any undecodable answer. ``limit`` is the cap in bytes.
    """

    def __init__(self, message: str, *, response: httpx.Response | None = None, limit: int) -> None:
        super().__init__(message, response=response)
        self.limit = limit


class ClientClosedError(OnlyOnceError):
    """
    The `Client` (or the connection pool it shares) was closed.

    Raised by calls made after ``aclose()``, by calls still waiting in the rate limiter
    when it ran (they send nothing), and by calls in flight at that moment (whose outcome
    is then unknown). ``maybe_sent`` tells them apart: ``True`` when the request may have
    reached the server (bulk sharing looks such a share up before any resend).
    """

    def __init__(self, message: str, *, maybe_sent: bool) -> None:
        super().__init__(message)
        self.maybe_sent = maybe_sent


class RateLimiterUnavailableError(OnlyOnceError):
    """
    A shared rate limiter cannot reach its store (e.g. Redis is down); ``__cause__`` says why.

    Raised instead of sending without a limit: nothing was sent.
    """


class APIError(OnlyOnceError):
    """
    The API answered with a non-2xx status.

    Attributes:
        status_code: The HTTP status.
        message: The body's ``message``, or ``None`` when it has none (``str()`` of the
            error then describes the status instead).
        code: The JWT-API error code (an ``int``) or ``None``.
        status: The body's ``status`` string or ``None``.
        data: The body's ``data`` or ``None``.
        errors: Field errors of a 422 (``{field: [messages]}``), else empty.
        response: The ``httpx.Response``.
    """

    def __init__(
        self,
        message: str | None = None,
        *,
        status_code: int,
        code: int | None = None,
        status: str | None = None,
        data: Any = None,
        errors: Mapping[str, list[str]] | None = None,
        response: httpx.Response | None = None,
    ) -> None:
        super().__init__(message or _describe(status_code, status))
        self.message = message
        self.status_code = status_code
        self.code = code
        self.status = status
        self.data = data
        self.errors: dict[str, list[str]] = dict(errors or {})
        self.response = response

    def __str__(self) -> str:
        text = self.message or _describe(self.status_code, self.status)
        parts = [f"HTTP {self.status_code}"]
        if self.code is not None:
            parts.append(f"code {self.code}")
        if self.status is not None and self.message:
            parts.append(self.status)
        return f"{text} ({', '.join(parts)})"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status_code={self.status_code!r}, "
            f"message={self.message!r}, code={self.code!r}, status={self.status!r})"
        )


class BadRequestError(APIError):
    """HTTP 400."""


class AuthenticationError(BadRequestError):
    """HTTP 400 carrying a JWT-API error ``code`` (100-104, 201, 202, 501, 502)."""


class InvalidApiKeyError(AuthenticationError):
    """Code 100: Invalid API key."""


class InvalidTokenError(AuthenticationError):
    """Code 101: Could not decode Bearer token (bad signature, ``iat`` in the future...)."""


class MissingApiKeyError(AuthenticationError):
    """Code 102: No API key found on request."""


class MissingTokenError(AuthenticationError):
    """Code 103: No Bearer token found on request."""


class TokenNotVerifiedError(AuthenticationError):
    """
    Code 104: Token could not be verified — and every expired token.

    Catch this class for expiry: an expired signed JWT is refused with 104 ("Token is
    expired", the JWT API's 60 s lifetime) or, when its ``exp`` claim has passed, with 101
    ("Expired token", the decoder's check, which runs first); either way it is raised as
    `TokenExpiredError`, a subclass of this class.
    """


class TokenExpiredError(TokenNotVerifiedError, InvalidTokenError):
    """
    An expired token, whichever code the server used: 104 "Token is expired" or 101
    "Expired token".

    A subclass of `TokenNotVerifiedError` (the class to catch for expiry) and of
    `InvalidTokenError`, so ``isinstance(error, ERROR_CODES[error.code])`` holds for both
    codes. Signed JWTs are minted per attempt, so this usually means the client's clock or
    token lifetime is wrong, not that a retry would help.
    """


class ClientNotFoundError(AuthenticationError):
    """Code 201: Client not found."""


class UserNotAccessibleError(AuthenticationError):
    """Code 202: User not found or not accessible by this API Client."""


class ProjectAccessError(AuthenticationError):
    """Code 501: No access to this project or invalid project."""


class IPNotAllowedError(AuthenticationError):
    """Code 502: No access from this IP."""


class RegistrationFailedError(BadRequestError):
    """
    HTTP 400 ``{"status": "registration-failed"}``; ``fields`` names the fields at fault.
    """

    def __init__(self, message: str | None = None, *, fields: list[str], **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.fields = fields


class UnauthorizedError(APIError):
    """HTTP 401."""


class AuthenticationFailedError(UnauthorizedError):
    """HTTP 401 ``"authentication-failed"`` (e.g. a wrong old password)."""


class WrongSecretKeyError(UnauthorizedError):
    """
    HTTP 401 ``"wrong-secret-key"``; ``expired`` is true when profile access has run out.
    """

    def __init__(self, message: str | None = None, *, expired: bool, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.expired = expired


class WrongRequestStatusError(UnauthorizedError):
    """HTTP 401 ``"wrong-request-status"``: the share request is not in a state for this."""


class WrongRequestOwnerError(UnauthorizedError):
    """HTTP 401 ``"wrong-request-owner"``: the share request belongs to somebody else."""


class EncryptionError(UnauthorizedError):
    """HTTP 401 ``"encryption-error"``."""


class ForbiddenError(APIError):
    """HTTP 403."""


class AccessDeniedError(ForbiddenError):
    """HTTP 403 ``"access-denied"``."""


class NotFoundError(APIError):
    """HTTP 404: an id names nothing the API knows."""


class PayloadTooLargeError(APIError):
    """HTTP 413: the upload is larger than the server accepts."""


class ValidationError(APIError):
    """HTTP 422; ``errors`` maps each field to its messages."""


class RateLimitError(APIError):
    """
    HTTP 429, or a client-side pause too long to wait for; ``retry_after`` in seconds.
    """

    def __init__(self, message: str | None = None, *, retry_after: float | None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(APIError):
    """HTTP 5xx."""


class ApiDownError(ServerError):
    """The API reports itself down: ``{"status": 500, "reason": "API DOWN"}``."""

    def __str__(self) -> str:
        if self.message:
            return super().__str__()
        return f"API DOWN (HTTP {self.status_code})"


ERROR_CODES: Mapping[int, type[AuthenticationError]] = {
    100: InvalidApiKeyError,
    101: InvalidTokenError,
    102: MissingApiKeyError,
    103: MissingTokenError,
    104: TokenNotVerifiedError,
    201: ClientNotFoundError,
    202: UserNotAccessibleError,
    501: ProjectAccessError,
    502: IPNotAllowedError,
}

_BY_STATUS_STRING: Mapping[tuple[int, str], type[APIError]] = {
    (400, "registration-failed"): RegistrationFailedError,
    (401, "authentication-failed"): AuthenticationFailedError,
    (401, "wrong-secret-key"): WrongSecretKeyError,
    (401, "wrong-request-status"): WrongRequestStatusError,
    (401, "wrong-request-owner"): WrongRequestOwnerError,
    (401, "encryption-error"): EncryptionError,
    (403, "access-denied"): AccessDeniedError,
}

_BY_HTTP_STATUS: Mapping[int, type[APIError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    413: PayloadTooLargeError,
    422: ValidationError,
    429: RateLimitError,
}

_EXPIRED = re.compile(r"\bexpired\b", re.IGNORECASE)
#: The JWT-API codes an expired token comes back with (decoder's ``exp``; the 60 s check).
_EXPIRY_CODES = frozenset({101, 104})
_MAX_MESSAGE = 500


def _describe(status_code: int, status: str | None) -> str:
    if status:
        return status
    try:
        phrase = httpx.codes(status_code).get_reason_phrase(status_code)
    except ValueError:
        phrase = ""
    return phrase or f"HTTP {status_code}"


def _json_object(response: httpx.Response) -> dict[str, Any]:
    """The body as a JSON object, or ``{}`` for anything else (HTML, truncated, a list)."""
    try:
        body = json.loads(response.content) if response.content else None
    except (ValueError, UnicodeDecodeError, RecursionError):
        return {}
    return body if isinstance(body, dict) else {}


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    # isdecimal, not isdigit: int() refuses digits such as "²" that isdigit accepts.
    if isinstance(value, str) and value.strip().isdecimal() and len(value) < 10:
        return int(value)
    return None


def _as_str(value: Any) -> str | None:
    if isinstance(value, str):
        return value[:_MAX_MESSAGE]
    return None


def _field_errors(value: Any) -> dict[str, list[str]]:
    if not isinstance(value, dict):
        return {}
    errors: dict[str, list[str]] = {}
    for field, messages in value.items():
        if isinstance(messages, str):
            errors[str(field)] = [messages]
        elif isinstance(messages, list):
            errors[str(field)] = [str(m) for m in messages if isinstance(m, (str, int, float))]
    return errors


def _registration_fields(data: Any) -> list[str]:
    fields = data.get("fields") if isinstance(data, dict) else None
    if not isinstance(fields, list):
        return []
    return [f for f in fields if isinstance(f, str)]


def _error_fields(response: httpx.Response, body: dict[str, Any]) -> dict[str, Any]:
    """The attributes every `APIError` of ``response`` gets, as constructor keywords."""
    fields: dict[str, Any] = {
        "status_code": response.status_code,
        "code": _as_int(body.get("code")),
        "status": _as_str(body.get("status")),
        "data": body.get("data"),
        "response": response,
    }
    if response.status_code == 422:
        fields["errors"] = _field_errors(body.get("errors"))
    return fields


def api_down_error(response: httpx.Response, body: dict[str, Any]) -> ApiDownError:
    """
    The error of a response whose body is the API's report that it is down.

    The reference shows that body for ``GET /heartbeat`` without its HTTP status: it maps
    to `ApiDownError` as a 5xx (the error mapping) and as a 2xx (decoding, when the body
    is not the model asked for).

    Args:
        response: The response, its body read.
        body: Its decoded JSON body, for which `is_api_down` holds.

    Returns:
        The `ApiDownError`, carrying ``response``.
    """
    return ApiDownError(_as_str(body.get("message")), **_error_fields(response, body))


def error_from_response(response: httpx.Response) -> APIError:
    """
    Build the typed error for a non-2xx response.

    Args:
        response: A response whose body has been read.

    Returns:
        The most specific `APIError` subclass for the status, JWT-API code and
        ``status`` string, never raising on a malformed body.
    """
    body = _json_object(response)
    kwargs = _error_fields(response, body)
    status_code, code, status, data = (
        response.status_code,
        kwargs["code"],
        kwargs["status"],
        kwargs["data"],
    )
    message = _as_str(body.get("message"))
    if status_code == 400 and code is not None:
        if code in _EXPIRY_CODES and message and _EXPIRED.search(message):
            return TokenExpiredError(message, **kwargs)
        return ERROR_CODES.get(code, AuthenticationError)(message, **kwargs)
    cls = _BY_STATUS_STRING.get((status_code, status or ""))
    if cls is RegistrationFailedError:
        return RegistrationFailedError(message, fields=_registration_fields(data), **kwargs)
    if cls is WrongSecretKeyError:
        expired = isinstance(data, str) and bool(_EXPIRED.search(data))
        return WrongSecretKeyError(message, expired=expired, **kwargs)
    if cls is not None:
        return cls(message, **kwargs)
    if status_code == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return RateLimitError(message, retry_after=retry_after, **kwargs)
    if status_code >= 500:
        if is_api_down(body):
            return api_down_error(response, body)
        return ServerError(message, **kwargs)
    return _BY_HTTP_STATUS.get(status_code, APIError)(message, **kwargs)


def is_api_down(body: Any) -> bool:
    """Whether a decoded body is the API's ``{"status": 500, "reason": "API DOWN"}``."""
    return isinstance(body, dict) and body.get("reason") == "API DOWN"


class map_transport_errors:  # lower case: used like a function, `with map_transport_errors():`
    """
    Turn httpx's request errors into `TransportError` / `RequestTimeout`.

    The httpx exception stays available as ``__cause__``. A class rather than a
    generator-based context manager: it runs on every request, and this costs a third as
    much.

    Args:
        request: The request the errors belong to (their ``request``).
    """

    __slots__ = ("_request",)

    def __init__(self, request: httpx.Request | None = None) -> None:
        self._request = request

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if isinstance(exc, httpx.TimeoutException):
            raise RequestTimeout(
                f"request timed out: {type(exc).__name__}", request=self._request
            ) from exc
        if isinstance(exc, httpx.RequestError):
            text = str(exc) or type(exc).__name__
            raise TransportError(f"request failed: {text}", request=self._request) from exc
