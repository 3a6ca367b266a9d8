"""
What every route handler shares: the store, the authenticator and response helpers.
"""

from __future__ import annotations

from typing import Any, Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ._auth import Authenticator
from ._limits import SandboxStats
from ._records import Account
from ._state import Store
from ._validate import parse_json

__all__ = ["BODY_KEY", "Context", "empty", "json_response"]

#: Where the outer app leaves the request body it read (bytes) in the ASGI scope.
BODY_KEY: Final = "onlyonce_async.body"


def empty() -> Response:
    """200 with an empty body."""
    return Response(status_code=200)


def json_response(data: Any, status_code: int = 200) -> JSONResponse:
    """A JSON response."""
    return JSONResponse(data, status_code=status_code)


class Context:
    """
    The sandbox as route handlers see it.

    Args:
        store: The records.
        auth: Bearer tokens, API clients and JWT checks.
        stats: The counters.
        max_upload_bytes: The largest file ``POST /profiles/{id}/files`` accepts.
    """

    def __init__(
        self, store: Store, auth: Authenticator, stats: SandboxStats, max_upload_bytes: int
    ) -> None:
        self.store = store
        self.auth = auth
        self.stats = stats
        self.max_upload_bytes = max_upload_bytes

    @staticmethod
    def body(request: Request) -> bytes:
        """The raw request body (read once by the outer app)."""
        body = request.scope.get(BODY_KEY, b"")
        return body if isinstance(body, bytes) else b""

    def json(self, request: Request) -> Any:
        """
        The request body decoded as JSON.

        Raises:
            ApiError: 422 for a missing or malformed body.
        """
        return parse_json(self.body(request))

    def account(self, request: Request) -> Account:
        """
        The calling account (bearer token or signed JWT).

        Raises:
            ApiError: 401, or a JWT-API 400.
        """
        return self.auth.authenticate(request, self.body(request))

    @staticmethod
    def remote_ip(request: Request) -> str:
        """The client's address, as the activity log records it."""
        return request.client.host if request.client else "unknown"

    def log_account(self, request: Request, account: Account, action: str) -> None:
        """Record an ACCOUNT activity for ``account`` with this request's origin."""
        self.store.log_account(
            account, action, self.remote_ip(request), request.headers.get("user-agent", "")
        )
