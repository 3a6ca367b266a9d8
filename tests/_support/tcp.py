"""
Serving a test's own ASGI app (a dripping or hanging fake server) over a real socket.

The public `Sandbox.serve_tcp` serves only a sandbox. The SDK's uvicorn embedding (no
signal handlers taken over, a socket bound before start, a wait for start-up) lives in the
private ``onlyonce_async.testing._server``; it is used here, in this one place, rather than
written a second time.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.types import ASGIApp

from onlyonce_async.testing._server import serve_tcp

__all__ = ["serve_app"]


@contextlib.asynccontextmanager
async def serve_app(app: ASGIApp) -> AsyncIterator[str]:
    """
    Serve ``app`` with uvicorn on a free loopback port while the block runs (asyncio only).

    Args:
        app: The ASGI app.

    Yields:
        The base URL, ``http://127.0.0.1:<port>/v2/``.
    """
    async with serve_tcp(app, "127.0.0.1", 0) as base_url:
        yield base_url
