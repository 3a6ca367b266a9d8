"""
The ASGI app: seeded faults, body limits, credentials, the rate limit, the route guard
and the last-resort error handler around the Starlette routes of every area.

Order for each request: count it; maybe answer an injected fault (before anything else);
maybe sleep (latency); read the body within its limit (413); verify the credentials it
carries; the rate limit (429), keyed on the verified identity (the client address when
there is none); route; the guard: authenticate (401 / JWT-API 400) unless the endpoint is
public, then refuse unknown or malformed query parameters (422); the handler validates
and acts; maybe drop the connection instead of answering (drop after commit).

Authenticating in the guard, before any handler code, is what makes every protected
endpoint answer an unauthenticated call 401 whatever else is wrong with it.
"""

from __future__ import annotations

import email.utils
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Final, Protocol

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import Message, Receive, Scope, Send

from ._context import BODY_KEY, IDENTITY_KEY, QUERY_KEY, Context, spec_of
from ._errors import ApiError
from ._limits import Faults, SlidingWindow
from ._query import Query
from ._routes_account import AccountRoutes
from ._routes_cards import CardRoutes
from ._routes_datastore import DatastoreRoutes
from ._routes_files import FileRoutes, too_large
from ._routes_network import NetworkRoutes
from ._routes_profiles import ProfileRoutes
from ._routes_relations import RelationRoutes
from ._routes_support import SupportRoutes
from ._state import SandboxClockError

__all__ = ["ABORT_KEY", "ConnectionDropped", "SandboxApp", "build_routes_app"]

logger = logging.getLogger("onlyonce_async.testing")

#: Where a server that can abort connections puts its abort callable (in ``scope["state"]``).
ABORT_KEY: Final = "onlyonce_async.abort"
#: Largest JSON request body (uploads have their own limit).
MAX_JSON_BODY: Final = 1024 * 1024
#: Room for multipart headers and the metadata part around an upload's file bytes.
MULTIPART_SLACK: Final = 64 * 1024
_UPLOAD_PATH: Final = re.compile(r"^/v2/profiles/[^/]+/files/?$")


class _Area(Protocol):
    def routes(self) -> list[BaseRoute]: ...


class ConnectionDropped(Exception):
    """Raised by the app (in-process) when a handled request's response is dropped."""


def _api_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, ApiError):  # pragma: no cover - registered for ApiError only
        return _internal_error(request, exc)
    return JSONResponse(exc.body, status_code=exc.status_code, headers=exc.headers)


def _http_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, HTTPException):  # pragma: no cover - registered for it only
        return _internal_error(request, exc)
    messages = {404: "Not found", 405: "Method not allowed"}
    message = messages.get(exc.status_code, str(exc.detail))
    return JSONResponse({"message": message}, exc.status_code, headers=exc.headers)


def _internal_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, SandboxClockError):
        # The test's injected clock, not a sandbox bug: say what is wrong with it.
        return JSONResponse({"message": str(exc)}, status_code=500)
    return JSONResponse({"message": "Internal error"}, status_code=500)


Handler = Callable[[Request], Awaitable[Response]]


def _guarded(handler: Handler) -> Handler:
    """
    ``handler`` behind the guard: authenticate first (unless public), then the query.
    """
    spec = spec_of(handler)

    async def guarded(request: Request) -> Response:
        if not spec.public:
            Context.account_of(request)
        query = Query(request.query_params, spec.query, spec.arrays)
        query.check()
        request.scope[QUERY_KEY] = query
        return await handler(request)

    return guarded


def _guard(route: BaseRoute) -> BaseRoute:
    if not isinstance(route, Route):  # pragma: no cover - every area returns Routes
        return route
    return Route(route.path, _guarded(route.endpoint), methods=route.methods, name=route.name)


def build_routes_app(ctx: Context) -> Starlette:
    """The Starlette app with every route of seed 002 under ``/v2``, each behind the guard."""
    areas: list[_Area] = [
        AccountRoutes(ctx),
        RelationRoutes(ctx),  # before ProfileRoutes: /profiles/tags vs /profiles/{id}
        ProfileRoutes(ctx),
        DatastoreRoutes(ctx),
        CardRoutes(ctx),
        NetworkRoutes(ctx),
        SupportRoutes(ctx),
        FileRoutes(ctx),
    ]
    routes = [_guard(route) for area in areas for route in area.routes()]
    return Starlette(
        routes=[Mount("/v2", routes=routes)],
        exception_handlers={
            ApiError: _api_error,
            HTTPException: _http_error,
            Exception: _internal_error,
        },
    )


class SandboxApp:
    """
    The sandbox's ASGI app.

    Args:
        ctx: The shared handler context.
        faults: The fault injector.
        limiter: The rate limiter, or ``None``.
    """

    def __init__(self, ctx: Context, faults: Faults, limiter: SlidingWindow | None) -> None:
        self._ctx = ctx
        self._faults = faults
        self.limiter = limiter
        self._routes = build_routes_app(ctx)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection scope."""
        if scope["type"] != "http":
            await self._routes(scope, receive, send)
            return
        stats = self._ctx.stats
        stats.requests += 1
        try:
            self._ctx.store.now()
        except Exception as exc:
            # Every answer is dated from this clock: refuse clearly instead of failing later.
            stats.internal_errors += 1
            logger.exception("sandbox clock unusable")
            await _internal_error(Request(scope), exc)(scope, receive, send)
            return
        send = self._dated(send)
        decision = self._faults.decide()
        if decision.error_status is not None:
            stats.faults_injected += 1
            await JSONResponse({"message": "Injected fault"}, decision.error_status)(
                scope, receive, send
            )
            return
        if decision.delay > 0:
            await anyio.sleep(decision.delay)
        limit = self._body_limit(scope)
        body = await self._read_body(scope, receive, limit)
        if body is None:
            await JSONResponse(too_large(limit).body, 413)(scope, receive, send)
            return
        identity = self._ctx.auth.identify(Request(scope), body)
        scope = {**scope, BODY_KEY: body, IDENTITY_KEY: identity}
        if self.limiter is not None:
            key = None if identity is None else identity.rate_key
            if key is None:
                client = scope.get("client")
                key = f"address:{client[0] if client else 'unknown'}"
            wait = self.limiter.hit(key)
            if wait is not None:
                stats.rate_limited += 1
                response = JSONResponse(
                    {"message": "Too many requests"},
                    status_code=429,
                    headers={"Retry-After": self.limiter.retry_after(wait)},
                )
                await response(scope, receive, send)
                return
        replay = _replay(body, receive)
        if decision.drop:
            await self._drop(scope, replay)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._routes(scope, replay, tracking_send)
        except Exception as exc:
            stats.internal_errors += 1
            logger.exception("sandbox handler failed")
            if not started:
                await _internal_error(Request(scope), exc)(scope, replay, send)

    def _dated(self, send: Send) -> Send:
        """
        ``send`` that stamps every response with a ``Date`` header from the sandbox's clock.

        Signed-JWT clients estimate the server's clock from ``Date`` (their ``iat`` must not
        be in its future); an injected clock is only learnable if the header follows it.
        """

        async def dated_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"date"]
                try:
                    now: float | None = self._ctx.store.now()
                except Exception:
                    # The clock went bad mid-request: answer undated rather than not at all.
                    logger.exception("sandbox clock unusable: answering without a Date")
                    now = None
                if now is not None:
                    stamp = email.utils.formatdate(now, usegmt=True)
                    headers.append((b"date", stamp.encode()))
                message = {**message, "headers": headers}
            await send(message)

        return dated_send

    def _body_limit(self, scope: Scope) -> int:
        if scope["method"] == "POST" and _UPLOAD_PATH.match(scope["path"]):
            return self._ctx.max_upload_bytes + MULTIPART_SLACK
        return MAX_JSON_BODY

    @staticmethod
    async def _read_body(scope: Scope, receive: Receive, limit: int) -> bytes | None:
        """The whole request body, or ``None`` when it is (or announces to be) over ``limit``."""
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    async def _drop(self, scope: Scope, receive: Receive) -> None:
        async def swallow(message: Message) -> None:
            return None

        try:
            await self._routes(scope, receive, swallow)
        except Exception:
            self._ctx.stats.internal_errors += 1
            logger.exception("sandbox handler failed")
        self._ctx.stats.dropped += 1
        abort: Callable[[], None] | None = scope.get("state", {}).get(ABORT_KEY)
        if abort is None:
            raise ConnectionDropped
        abort()
        # Wait for the server to notice, so it does not complain about a missing response.
        with anyio.move_on_after(5):
            while (await receive())["type"] != "http.disconnect":
                pass


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that yields ``body`` once, then defers to the real one (disconnects)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
