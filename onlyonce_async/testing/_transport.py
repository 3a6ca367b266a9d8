"""
The in-process httpx transport: the sandbox app without a socket.

httpx's ``ASGITransport`` neither enforces timeouts nor knows about dropped connections;
this wrapper adds both, so a client sees what it would see over the network:
``httpx.ReadTimeout`` when the app is slower than the request's timeout and
``httpx.RemoteProtocolError`` when the sandbox drops a handled request.
"""

from __future__ import annotations

from typing import Final

import anyio
import httpx
from starlette.types import ASGIApp

from ._app import ConnectionDropped

__all__ = ["SandboxTransport"]

_CLIENT: Final = ("127.0.0.1", 40_000)


class SandboxTransport(httpx.AsyncBaseTransport):
    """
    Send requests straight to an ASGI app, honouring the request timeout.

    Args:
        app: The sandbox app.
        client: The (host, port) the app sees as the caller (used for IP checks and rate
            limiting of anonymous requests).
    """

    def __init__(self, app: ASGIApp, client: tuple[str, int] = _CLIENT) -> None:
        self._inner = httpx.ASGITransport(app=app, raise_app_exceptions=True, client=client)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """
        Run the app for one request.

        Args:
            request: The request to hand to the app.

        Raises:
            httpx.ReadTimeout: The app did not answer within the request's read timeout.
            httpx.RemoteProtocolError: The sandbox dropped the connection (fault injection),
                or the app failed without answering.
        """
        timeouts = request.extensions.get("timeout", {})
        seconds = timeouts["read"] if "read" in timeouts else timeouts.get("pool")
        try:
            with anyio.fail_after(seconds):
                return await self._inner.handle_async_request(request)
        except TimeoutError:
            raise httpx.ReadTimeout("The sandbox did not answer in time", request=request) from None
        except ConnectionDropped:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from None
        except httpx.HTTPError:
            raise
        except Exception as exc:
            raise httpx.RemoteProtocolError(
                f"The sandbox app failed without answering: {exc!r}", request=request
            ) from exc

    async def aclose(self) -> None:
        """Nothing to release."""
        await self._inner.aclose()
