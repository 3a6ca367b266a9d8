"""
Serving the sandbox over TCP with uvicorn, with a protocol that can drop a connection.

uvicorn answers 500 when an app ends without a response; "drop after commit" needs the
connection to close with no response bytes at all. `DropCapableH11Protocol` hands the app
(through ``scope["state"]``) a callable that aborts the socket.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.h11_impl import H11Protocol

from ._app import ABORT_KEY

__all__ = [
    "DropCapableH11Protocol",
    "bind_socket",
    "check_port",
    "serve_tcp",
    "uvicorn_config",
]


class DropCapableH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, plus an abort hook for the sandbox's dropped responses."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.app_state = {**self.app_state, ABORT_KEY: self._abort}

    def _abort(self) -> None:
        transport = getattr(self, "transport", None)
        if transport is not None:
            transport.abort()


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves the host program's signal handlers alone."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def uvicorn_config(app: ASGIApp, **kwargs: Any) -> uvicorn.Config:
    """A uvicorn config serving ``app`` with the drop-capable protocol."""
    # date_header=False: the app writes ``Date`` from the sandbox's (injectable) clock.
    return uvicorn.Config(
        app, http=DropCapableH11Protocol, lifespan="off", ws="none", date_header=False, **kwargs
    )


def check_port(port: int) -> int:
    """
    ``port`` when it is a TCP port number, 0 to 65535 (0: a free one).

    Raises:
        ValueError: It is not.
    """
    if not 0 <= port <= 65535:
        raise ValueError(f"expected a port number 0 to 65535, not {port}")
    return port


def bind_socket(host: str, port: int) -> socket.socket:
    """
    A listening TCP socket on ``host``:``port`` (port 0: a free one).

    Raises:
        ValueError: ``port`` is not 0 to 65535 (`check_port`; no socket is made).
        OSError: The address cannot be bound.
    """
    check_port(port)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


@contextlib.asynccontextmanager
async def serve_tcp(app: ASGIApp, host: str, port: int) -> AsyncIterator[str]:
    """
    Run uvicorn for ``app`` in the current event loop while the block runs (asyncio only).

    Yields:
        The base URL, ``http://<host>:<port>/v2/``.
    """
    sock = bind_socket(host, port)
    bound_port = sock.getsockname()[1]
    config = uvicorn_config(app, log_level="warning", access_log=False)
    server = _EmbeddedServer(config)
    finished = anyio.Event()

    async def run() -> None:
        try:
            await server.serve(sockets=[sock])
        finally:
            finished.set()

    shown = f"[{host}]" if ":" in host else host
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(run)
            while not server.started and not finished.is_set():  # noqa: ASYNC110 - uvicorn offers no event
                await anyio.sleep(0.01)
            if not server.started:
                raise RuntimeError("uvicorn failed to start")
            try:
                yield f"http://{shown}:{bound_port}/v2/"
            finally:
                server.should_exit = True
    finally:
        sock.close()
