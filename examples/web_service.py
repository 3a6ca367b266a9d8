"""
An ASGI web service that calls Only Once on behalf of its users, through one shared client.

What it shows:

- one `Client` for the whole life of each worker process: created in the app's lifespan,
  closed at shutdown, its connection pool shared by every request;
- per-request identity on that pool: ``client.with_options(auth=BearerAuth(token))`` with
  the token the caller sent in its own ``Authorization`` header;
- one upstream quota shared by every worker: a `RedisRateLimiter` (``REDIS_URL``), so N
  uvicorn workers together never send more than the quota allows;
- SDK errors turned into HTTP answers (404, 401, 429 with ``Retry-After``, 502, 504).

Endpoints: ``GET /health`` (upstream heartbeat) and ``GET /profiles/{id}`` (the profile,
fetched with the caller's token).

Configuration (environment):

    ONLYONCE_BASE_URL      the upstream API (e.g. https://api.onlyonce.com/v2/)
    REDIS_URL              e.g. redis://127.0.0.1:6379/0 — the quota shared by all workers
    ONLYONCE_RATE_LIMIT    LIMIT/PERIOD of the upstream quota (default 60/60); set it a
                           little under the real quota (e.g. 60/62): requests count
                           upstream when they arrive, a little after they leave
    ONLYONCE_MAX_RETRIES   retries per upstream call (default 2)

Run it with several workers (needs ``onlyonce-async[testing,redis]``)::

    ONLYONCE_BASE_URL=... REDIS_URL=redis://127.0.0.1:6379/0 \\
        python examples/web_service.py --workers 2 --port 8000
    # or: uvicorn web_service:app --app-dir examples --workers 2

With no ``ONLYONCE_BASE_URL`` it serves an embedded sandbox with a demo user in a single
worker (each process would otherwise have its own sandbox), and prints a ``curl`` line to
try. Without ``REDIS_URL`` the quota is an in-process `SlidingWindowRateLimiter`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from onlyonce_async import (
    APIError,
    BearerAuth,
    Client,
    NotFoundError,
    OnlyOnceError,
    RateLimiter,
    RateLimitError,
    RequestTimeout,
    SlidingWindowRateLimiter,
    TransportError,
    UnauthorizedError,
)


def quota() -> tuple[int, float]:
    """The upstream quota from ``ONLYONCE_RATE_LIMIT`` (``LIMIT/PERIOD``)."""
    limit, _, period = os.environ.get("ONLYONCE_RATE_LIMIT", "60/60").partition("/")
    return int(limit), float(period or 60)


@contextlib.asynccontextmanager
async def rate_limiter(base_url: str) -> AsyncIterator[RateLimiter]:
    """The shared Redis limiter when ``REDIS_URL`` is set, else an in-process one."""
    limit, period = quota()
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        yield SlidingWindowRateLimiter(limit, period)
        return
    from onlyonce_async.redis import RedisRateLimiter

    # Every worker uses the same key: one quota for the service's calls to this upstream.
    # The margin covers the trip from here to the upstream, which counts on arrival.
    async with RedisRateLimiter.from_url(
        redis_url,
        key=f"web-service:{base_url}",
        limit=limit,
        period=period,
        margin=min(0.25, period * 0.2),
    ) as limiter:
        yield limiter


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    """Create the shared client when the worker starts; close it when it stops."""
    base_url = os.environ.get("ONLYONCE_BASE_URL")
    retries = int(os.environ.get("ONLYONCE_MAX_RETRIES", "2"))
    if not base_url:
        async with embedded_sandbox_client(retries) as client:
            app.state.client = client
            yield
        return
    async with (
        rate_limiter(base_url) as limiter,
        Client(base_url=base_url, rate_limiter=limiter, max_retries=retries) as client,
    ):
        app.state.client = client
        yield


@contextlib.asynccontextmanager
async def embedded_sandbox_client(retries: int) -> AsyncIterator[Client]:
    """A client on an in-process sandbox with one demo user (single-worker demo mode)."""
    from onlyonce_async.testing import Sandbox

    sandbox = Sandbox()
    user = sandbox.create_user(
        email="demo@example.com", password="demo-password", pass_phrase="demo"
    )
    # main() says where it listens; under `uvicorn web_service:app` that is uvicorn's own
    # default address.
    url = os.environ.get(SERVICE_URL_VARIABLE, "http://127.0.0.1:8000")
    print(
        "embedded sandbox; try:\n  curl -H 'Authorization: Bearer "
        f"{sandbox.sign_in(user)}' {url}/profiles/{user.profile_id}",
        flush=True,
    )
    async with sandbox.client(max_retries=retries) as client:
        yield client


def user_client(request: Request) -> Client | None:
    """
    The shared client acting as the caller (their bearer token, the shared quota and
    pool), or ``None`` when the request carries no bearer token.
    """
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    client: Client = request.app.state.client
    return client.with_options(auth=BearerAuth(token.strip()))


def error_response(exc: OnlyOnceError) -> JSONResponse:
    """The HTTP answer for an SDK error."""
    body: dict[str, Any] = {"error": type(exc).__name__, "message": str(exc)}
    if isinstance(exc, RateLimitError):
        retry = exc.retry_after if exc.retry_after is not None else 1.0
        return JSONResponse(body, 429, headers={"Retry-After": str(max(1, round(retry)))})
    if isinstance(exc, (NotFoundError, UnauthorizedError)):
        return JSONResponse(body, exc.status_code)
    if isinstance(exc, RequestTimeout):
        return JSONResponse(body, 504)
    if isinstance(exc, (APIError, TransportError)):
        return JSONResponse(body, 502)
    return JSONResponse(body, 500)


async def health(request: Request) -> JSONResponse:
    """``GET /health``: the upstream's heartbeat."""
    try:
        beat = await request.app.state.client.heartbeat()
    except OnlyOnceError as exc:
        return error_response(exc)
    body = {"status": "ok", "upstream": beat.node_name}
    return JSONResponse(body, headers={"X-Worker-Pid": str(os.getpid())})


async def get_profile(request: Request) -> JSONResponse:
    """``GET /profiles/{id}``: the profile, fetched with the caller's own token."""
    client = user_client(request)
    if client is None:
        message = "send 'Authorization: Bearer <Only Once token>'"
        return JSONResponse({"error": "Unauthorized", "message": message}, 401)
    try:
        profile = await client.profiles.get(request.path_params["profile_id"])
    except ValueError:
        return JSONResponse({"error": "ValueError", "message": "not a profile id"}, 400)
    except OnlyOnceError as exc:
        return error_response(exc)
    body = {"id": str(profile.id), "name": profile.name, "type": profile.type.value}
    # Which worker answered: shows the load spread over the processes sharing the quota.
    return JSONResponse(body, headers={"X-Worker-Pid": str(os.getpid())})


app = Starlette(
    routes=[Route("/health", health), Route("/profiles/{profile_id}", get_profile)],
    lifespan=lifespan,
)


#: Where main() listens, for the workers' start-up message.
SERVICE_URL_VARIABLE = "WEB_SERVICE_URL"


def main(argv: list[str] | None = None) -> None:
    """Serve ``app`` with uvicorn (``--workers N`` processes share the Redis quota)."""
    parser = argparse.ArgumentParser(description="The onlyonce-async example web service.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, choices=range(1, 65536), metavar="PORT")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    workers = args.workers if os.environ.get("ONLYONCE_BASE_URL") else 1
    host = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{host}:{args.port}"
    # Worker processes inherit the environment: the demo's curl line shows this address.
    os.environ[SERVICE_URL_VARIABLE] = url
    print(f"listening on {url} ({workers} worker{'s' * (workers > 1)}); Ctrl-C stops", flush=True)
    # An import string (not the object) so that uvicorn can start worker processes;
    # this file's folder is on sys.path when it runs as a script.
    uvicorn.run(
        "web_service:app", host=args.host, port=args.port, workers=workers, log_level="warning"
    )


if __name__ == "__main__":
    main()
