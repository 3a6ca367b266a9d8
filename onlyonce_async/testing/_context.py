"""
What every route handler shares: the store, the authenticator, the request's verified
caller and parsed query, and response helpers; and `endpoint`, how a handler declares
that it needs no authentication and which query parameters it takes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, Final, TypeVar

import attrs
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ._auth import Authenticator, Identity
from ._errors import ApiError
from ._limits import SandboxStats
from ._query import Query
from ._records import Account
from ._state import Store
from ._validate import parse_json

__all__ = [
    "BODY_KEY",
    "IDENTITY_KEY",
    "QUERY_KEY",
    "Context",
    "EndpointSpec",
    "empty",
    "endpoint",
    "json_response",
    "spec_of",
]

#: Where the outer app leaves the request body it read (bytes) in the ASGI scope.
BODY_KEY: Final = "onlyonce_async.body"
#: Where the outer app leaves the verified `Identity` (or ``None``: no credentials).
IDENTITY_KEY: Final = "onlyonce_async.identity"
#: Where the route guard leaves the parsed `Query`.
QUERY_KEY: Final = "onlyonce_async.query"
_SPEC_ATTR: Final = "_onlyonce_endpoint"
_F = TypeVar("_F", bound=Callable[..., Any])


@attrs.frozen
class EndpointSpec:
    """
    What the route guard needs to know about a handler.

    Attributes:
        public: The reference says "Requires None": no authentication.
        query: The plain query parameters it takes.
        arrays: The array query parameters it takes.
    """

    public: bool = False
    query: frozenset[str] = frozenset()
    arrays: frozenset[str] = frozenset()


def endpoint(
    *, public: bool = False, query: Collection[str] = (), arrays: Collection[str] = ()
) -> Callable[[_F], _F]:
    """
    Declare a handler's authentication and query parameters (the default: authenticated,
    no query parameters).
    """

    def mark(handler: _F) -> _F:
        setattr(
            handler,
            _SPEC_ATTR,
            EndpointSpec(public=public, query=frozenset(query), arrays=frozenset(arrays)),
        )
        return handler

    return mark


def spec_of(handler: Callable[..., Any]) -> EndpointSpec:
    """The `EndpointSpec` a handler declared with `endpoint` (or the default)."""
    spec = getattr(handler, _SPEC_ATTR, None)
    return spec if isinstance(spec, EndpointSpec) else EndpointSpec()


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

    @staticmethod
    def identity(request: Request) -> Identity | None:
        """The verified credentials of the request (``None`` when it carried none)."""
        identity = request.scope.get(IDENTITY_KEY)
        return identity if isinstance(identity, Identity) else None

    def account(self, request: Request) -> Account:
        """
        The calling account (sign-in token or signed JWT), verified by the route guard
        before the handler runs.

        Raises:
            ApiError: 401, or a JWT-API 400 (only reachable from a public handler).
        """
        return self.account_of(request)

    @staticmethod
    def account_of(request: Request) -> Account:
        """
        The account a request's verified credentials name.

        Raises:
            ApiError: 401 without credentials; the refusal (401, or a JWT-API 400) of bad ones.
        """
        identity = Context.identity(request)
        if identity is None:
            raise ApiError(401, {"message": "Authentication required"})
        if identity.account is None:
            raise identity.error or ApiError(401, {"message": "Authentication required"})
        return identity.account

    @staticmethod
    def query(request: Request) -> Query:
        """The request's query parameters, parsed against what the handler declared."""
        query = request.scope.get(QUERY_KEY)
        return query if isinstance(query, Query) else Query(request.query_params)

    @staticmethod
    def remote_ip(request: Request) -> str:
        """The client's address, as the activity log records it."""
        return request.client.host if request.client else "unknown"

    def log_account(self, request: Request, account: Account, action: str) -> None:
        """Record an ACCOUNT activity for ``account`` with this request's origin."""
        self.store.log_account(
            account, action, self.remote_ip(request), request.headers.get("user-agent", "")
        )
