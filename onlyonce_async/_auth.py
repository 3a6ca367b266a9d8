"""
Bearer-token auth (``httpx.Auth``) and the account sign-in that installs a token.

`BearerAuth` sends the token ``/signIn`` returned. Built with `BearerAuth.with_credentials`
it signs in by itself, inside the auth flow (the way httpx's ``DigestAuth`` answers a
challenge): the flow yields the sign-in request, reads the token from its response, then
yields the caller's request. Because the sign-in is yielded from the flow, the `Client`'s
rate limiter sees it like any other request.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from typing import TYPE_CHECKING, Final

import anyio
import httpx

from ._args import header_token, password_arg
from ._errors import DecodeError, UnauthorizedError, error_from_response
from ._json import encode_json
from ._logging import log_request, log_response

if TYPE_CHECKING:
    from ._client import Client

__all__ = ["BASE_URL_EXTENSION", "BearerAuth", "sign_in", "sign_out"]

#: The request extension in which a `Client` tells auth flows its own ``base_url``.
BASE_URL_EXTENSION: Final = "onlyonce_async.base_url"
_SIGN_IN: Final = "signIn"


class BearerAuth(httpx.Auth):
    """
    Sends ``Authorization: Bearer <token>`` (the token ``/signIn`` returns).

    Use `with_credentials` to have it sign in by itself, and again when the token is
    rejected.

    Args:
        token: The token, or ``None`` to send no ``Authorization`` header yet.

    Raises:
        TypeError: ``token`` is not a string.
        ValueError: ``token`` is empty or holds anything but visible ASCII (a trailing
            newline read from a file, say); the message never quotes it.
    """

    def __init__(self, token: str | None = None) -> None:
        if token is not None:
            header_token(token, "token")
        self._token = token
        # Bumped whenever the token changes: a request rejected with generation g signs in
        # again only if the generation is still g (nobody refreshed the token meanwhile).
        self._generation = 0
        self._username: str | None = None
        self._password: str | None = None
        self._base_url: httpx.URL | None = None
        self._lock: anyio.Lock | None = None

    @classmethod
    def with_credentials(
        cls, username: str, password: str, *, base_url: str | httpx.URL | None = None
    ) -> BearerAuth:
        """
        A `BearerAuth` that signs in lazily and signs in again, once, on a 401.

        Concurrent requests that meet a rejected token cause one sign-in between them, and
        each is replayed once with the new token. A 401 from ``/signIn`` itself is final:
        it reaches the caller as `UnauthorizedError`.

        Args:
            username: The account's email.
            password: The account's password (kept in memory, never logged or shown).
            base_url: Where to sign in (``<base_url>signIn``) when used outside a `Client`,
                e.g. on a bare ``httpx.AsyncClient``. A `Client` always makes it sign in at
                its own ``base_url``.

        Returns:
            The auth object, to pass as ``Client(auth=...)``.

        Raises:
            TypeError: ``username`` or ``password`` is not a string.
            ValueError: Either is empty or holds a control character (CR/LF included) or a
                lone surrogate; the message names the argument, never its value.
        """
        auth = cls()
        auth._username = password_arg(username, "username")
        auth._password = password_arg(password, "password")
        if base_url is not None:
            auth._base_url = _as_base(base_url)
        return auth

    @property
    def token(self) -> str | None:
        """The current token, or ``None``."""
        return self._token

    @token.setter
    def token(self, token: str | None) -> None:
        if token is not None:
            header_token(token, "token")
        self._token = token
        self._generation += 1

    @property
    def has_credentials(self) -> bool:
        """Whether this auth signs in by itself (built by `with_credentials`)."""
        return self._password is not None

    def __repr__(self) -> str:
        token = "<set>" if self._token else None
        return f"BearerAuth(token={token}, credentials={'<set>' if self.has_credentials else None})"

    @property
    def _sign_in_lock(self) -> anyio.Lock:
        # Created on first use, inside the event loop, so the object can be built anywhere.
        if self._lock is None:
            self._lock = anyio.Lock()
        return self._lock

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """
        The synchronous flow: only a fixed token (signing in needs an async client).

        Raises:
            RuntimeError: This auth was built by `with_credentials`.
        """
        if self.has_credentials:
            raise RuntimeError("BearerAuth.with_credentials needs an async client")
        self._authorize(request, self._token)
        yield request

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """
        Attach the token; with credentials, sign in first or after a 401, and replay once.
        """
        sign_in_url = self._sign_in_url(request)
        if sign_in_url is not None and _same_target(request, sign_in_url):
            # A sign-in is sent as is: never with a token, never re-authenticated.
            yield request
            return
        if sign_in_url is None:
            self._authorize(request, self._token)
            yield request
            return
        # The body may be sent twice (the replay): read it once now.
        await request.aread()
        generation, token = self._generation, self._token
        if token is None:
            async with self._sign_in_lock:
                if self._token is None:
                    response = yield self._sign_in_request(request, sign_in_url)
                    if not await self._accept_sign_in(response):
                        return  # The failed sign-in response becomes the final response.
                generation, token = self._generation, self._token
        self._authorize(request, token)
        response = yield request
        if not await _token_rejected(response):
            return
        async with self._sign_in_lock:
            if self._token is None or self._generation == generation:
                response = yield self._sign_in_request(request, sign_in_url)
                if not await self._accept_sign_in(response):
                    return
            token = self._token
        self._authorize(request, token)
        yield request

    @staticmethod
    def _authorize(request: httpx.Request, token: str | None) -> None:
        if token:
            request.headers["Authorization"] = f"Bearer {token}"
        else:
            request.headers.pop("Authorization", None)

    def _sign_in_url(self, request: httpx.Request) -> httpx.URL | None:
        """Where to sign in for ``request``, or ``None`` without credentials."""
        if not self.has_credentials:
            return None
        base = request.extensions.get(BASE_URL_EXTENSION)
        base_url = _as_base(base) if base is not None else self._base_url
        if base_url is None:
            raise RuntimeError(
                "BearerAuth.with_credentials does not know where to sign in: use it with "
                "onlyonce_async.Client, or pass base_url="
            )
        url = base_url.join(_SIGN_IN)
        if (url.scheme, url.host, url.port) != (
            request.url.scheme,
            request.url.host,
            request.url.port,
        ):
            raise ValueError("refusing to sign in at another origin than the request's")
        return url

    def _sign_in_request(self, request: httpx.Request, url: httpx.URL) -> httpx.Request:
        headers = {
            name: request.headers[name]
            for name in ("User-Agent", "Accept")
            if name in request.headers
        }
        headers["Content-Type"] = "application/json"
        sign_in = httpx.Request(
            "POST",
            url,
            content=encode_json({"username": self._username, "password": self._password}),
            headers=headers,
            extensions=dict(request.extensions),
        )
        log_request(sign_in, 0)
        return sign_in

    async def _accept_sign_in(self, response: httpx.Response) -> bool:
        """Install the token of a successful sign-in; ``False`` when it failed."""
        if not response.is_success:
            return False
        await response.aread()
        log_response(response)
        self.token = _token_from(response)
        return True


async def _token_rejected(response: httpx.Response) -> bool:
    """
    Whether a response says the token itself was refused (a plain 401).

    A 401 with a status string (``wrong-secret-key``, ``wrong-request-status``...) is about
    the call, not the token; signing in again would not help.
    """
    if response.status_code != 401:
        return False
    await response.aread()
    return type(error_from_response(response)) is UnauthorizedError


def _as_base(value: object) -> httpx.URL:
    url = httpx.URL(str(value))
    if not url.raw_path.endswith(b"/"):
        url = url.copy_with(raw_path=url.raw_path + b"/")
    return url.copy_with(query=None, fragment=None)


def _same_target(request: httpx.Request, url: httpx.URL) -> bool:
    return request.method == "POST" and request.url.copy_with(query=None) == url


def _token_from(response: httpx.Response) -> str:
    header: str = response.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise DecodeError(
            "sign-in response has no 'Authorization: Bearer' header", response=response
        )
    try:
        return header_token(token.strip(), "token")
    except ValueError:
        # The token could not be sent back; say so without quoting it.
        raise DecodeError(
            "sign-in response's bearer token holds characters a header cannot carry "
            "(only visible ASCII)",
            response=response,
        ) from None


async def sign_in(client: Client, username: str, password: str) -> str:
    """
    ``POST /signIn``; install the token on ``client`` and return it.

    Args:
        client: The client to sign in; a `BearerAuth` is created if it has none.
        username: The account's email.
        password: The account's password.

    Returns:
        The bearer token.

    Raises:
        TypeError, ValueError: A bad ``username`` or ``password`` (see `password_arg`);
            nothing is sent.
        UnauthorizedError: Invalid credentials.
        DecodeError: The response carries no usable ``Authorization: Bearer`` header.
    """
    password_arg(username, "username")
    password_arg(password, "password")
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

    With a `BearerAuth` that holds no token there is nothing to invalidate, and nothing is
    sent (a `BearerAuth.with_credentials` would otherwise sign in just to sign out).
    """
    auth = client.auth
    if isinstance(auth, BearerAuth) and auth.token is None:
        return
    await client.request("GET", "/signOut")
    if isinstance(auth, BearerAuth):
        auth.token = None
