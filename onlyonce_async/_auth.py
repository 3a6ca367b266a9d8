"""
Authentication plug-ins (``httpx.Auth``) and the account sign-in that installs a token.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

import httpx

from ._args import non_empty
from ._errors import DecodeError

if TYPE_CHECKING:
    from ._client import Client

__all__ = ["BearerAuth", "sign_in", "sign_out"]


class BearerAuth(httpx.Auth):
    """
    Sends ``Authorization: Bearer <token>`` (the token ``/signIn`` returns).

    Args:
        token: The token, or ``None`` to send no ``Authorization`` header yet.
    """

    def __init__(self, token: str | None = None) -> None:
        self._token = token

    @property
    def token(self) -> str | None:
        """The current token, or ``None``."""
        return self._token

    @token.setter
    def token(self, token: str | None) -> None:
        self._token = token

    def __repr__(self) -> str:
        return f"BearerAuth(token={'<set>' if self._token else None})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._token:
            request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


def _token_from(response: httpx.Response) -> str:
    header: str = response.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise DecodeError(
            "sign-in response has no 'Authorization: Bearer' header", response=response
        )
    return token.strip()


async def sign_in(client: Client, username: str, password: str) -> str:
    """
    ``POST /signIn``; install the token on ``client`` and return it.
    """
    non_empty(username, "username")
    non_empty(password, "password")
    response = await client.request_raw(
        "POST", "/signIn", json={"username": username, "password": password}
    )
    token = _token_from(response)
    if isinstance(client.auth, BearerAuth):
        client.auth.token = token
    else:
        client.auth = BearerAuth(token)
    return token


async def sign_out(client: Client) -> None:
    """
    ``GET /signOut``; the token is cleared from ``client`` once the server has answered.
    """
    await client.request("GET", "/signOut")
    if isinstance(client.auth, BearerAuth):
        client.auth.token = None
