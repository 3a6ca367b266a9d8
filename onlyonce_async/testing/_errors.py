"""
The sandbox's error responses: one exception carrying the status, body and headers.

Handlers raise `ApiError`; the app turns it into the JSON response. Keeping every error
body shape in this module is what keeps them consistent with the wire decisions.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

__all__ = [
    "ApiError",
    "access_denied",
    "jwt_error",
    "not_found",
    "status_error",
    "validation_error",
]


class ApiError(Exception):
    """
    An error response a handler answers with.

    Args:
        status_code: The HTTP status.
        body: The JSON body (always has a ``message``).
        headers: Extra response headers (``Retry-After``).
    """

    def __init__(
        self, status_code: int, body: dict[str, Any], headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(status_code, body.get("message"))
        self.status_code = status_code
        self.body = body
        self.headers = dict(headers or {})


def validation_error(errors: Mapping[str, list[str]]) -> ApiError:
    """
    422 ``{"message": "Validation failed", "errors": {field: [...]}}``.
    """
    return ApiError(422, {"message": "Validation failed", "errors": dict(errors)})


def not_found(what: str, ident: uuid.UUID | str | int | None = None) -> ApiError:
    """
    404 ``{"message": "<What> [<id>] not found"}``.
    """
    label = what if ident is None else f"{what} {ident}"
    return ApiError(404, {"message": f"{label} not found"})


def status_error(status_code: int, status: str, message: str, data: Any = None) -> ApiError:
    """
    A status-string error: ``{"status", "message"[, "data"]}``.
    """
    body: dict[str, Any] = {"status": status, "message": message}
    if data is not None:
        body["data"] = data
    return ApiError(status_code, body)


def access_denied(message: str = "Access denied") -> ApiError:
    """
    403 ``{"status": "access-denied"}``: the caller does not own what it touches.
    """
    return status_error(403, "access-denied", message)


def jwt_error(code: int, message: str) -> ApiError:
    """
    A JWT-API failure: HTTP 400 ``{"message", "code"}``.
    """
    return ApiError(400, {"message": message, "code": code})
