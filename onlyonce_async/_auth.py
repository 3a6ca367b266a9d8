"""
Bearer-token auth (``httpx.Auth``) and the account sign-in that installs a token.

`BearerAuth` sends the token ``/signIn`` returned. Built with `BearerAuth.with_credentials`
it signs in by itself, inside the auth flow (the way httpx's ``DigestAuth`` answers a
challenge): the flow yields the sign-in request, reads the token from its response, then
yields the caller's request. Because the sign-in is yielded from the flow, the `Client`'s
rate limiter sees it like any other request.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncGenerator, Callable, Generator, Iterator
from typing import Final

import anyio
import attrs
import httpx

from ._args import header_token, password_arg
from ._body import read_body
from ._errors import DecodeError, TransportError, UnauthorizedError, error_from_response
from ._events import TRACE_EXTENSION, ReauthenticatedEvent
from ._json import encode_json
from ._logging import log_request, log_response

__all__ = ["BASE_URL_EXTENSION", "BearerAuth", "FlowRelay", "SignInBody"]

#: The request extension in which a `Client` tells auth flows its own ``base_url``.
BASE_URL_EXTENSION: Final = "onlyonce_async.base_url"
_SIGN_IN: Final = "signIn"


@attrs.frozen(kw_only=True)
class SignInBody:
    """
    The body of ``POST /signIn``: what ``account.sign_in`` and `BearerAuth`'s own sign-in
    send.
    """

    username: str = attrs.field(repr=False)
    password: str = attrs.field(repr=False)


class FlowRelay:
    """
    Drives an inner ``httpx.Auth`` flow from an outer one, whose ``yield`` sends its requests.

    ``outgoing = await relay.start(request)``, then ``while outgoing is not None: outgoing =
    await relay.send((yield outgoing))``; `response` is then the inner flow's final
    response. Call `aclose` when the outer flow ends (the inner one may record an attempt
    that got no response).

    Args:
        auth: The inner auth, or ``None`` to send each request as is.
    """

    def __init__(self, auth: httpx.Auth | None) -> None:
        self._auth = auth or httpx.Auth()
        self._flow: AsyncGenerator[httpx.Request, httpx.Response] | None = None
        self.response: httpx.Response | None = None

    async def start(self, request: httpx.Request) -> httpx.Request | None:
        """Start the inner flow for ``request``; its first request to send."""
        await self.aclose()
        self.response = None
        self._flow = self._auth.async_auth_flow(request)
        return await self.send(None)

    async def send(self, response: httpx.Response | None) -> httpx.Request | None:
        """Hand the inner flow ``response``; its next request, or ``None`` when it is done."""
        assert self._flow is not None
        if response is not None:
            self.response = response
        try:
            return await (
                self._flow.__anext__() if response is None else self._flow.asend(response)
            )
        except StopAsyncIteration:
            return None

    async def aclose(self) -> None:
        """Close the inner flow, if one is running."""
        if self._flow is not None:
            await self._flow.aclose()
            self._flow = None


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
        # The origin (scheme, host, port) the token came from; None: given by the caller,
        # valid anywhere. A token signed in for one origin is never sent to another.
        self._origin: _Origin | None = None
        # ``_seq`` counts events: token changes and sign-in attempts. A call remembers the
        # value it saw; under the lock, a token installed after it (``_token_seq``) is used,
        # and a sign-in that failed after it (``_failure``) fails it too, so one episode of
        # waiters costs one sign-in whatever its outcome.
        self._seq = 0
        self._token_seq = 0
        self._failure: tuple[int, Callable[[], Exception]] | None = None
        self._credentials: SignInBody | None = None
        self._base_url: httpx.URL | None = None
        self._lock: anyio.Lock | None = None

    @classmethod
    def with_credentials(
        cls, username: str, password: str, *, base_url: str | httpx.URL | None = None
    ) -> BearerAuth:
        """
        A `BearerAuth` that signs in lazily and signs in again, once, on a 401.

        Concurrent requests that meet a missing or rejected token cause one sign-in between
        them, and its outcome is theirs: on success each is replayed once with the new
        token; on failure each fails with that sign-in's error (a refused password is not
        tried once per waiting call). A 401 from ``/signIn`` itself is final: it reaches
        the caller as `UnauthorizedError`. A token is bound to the origin it was signed in
        at: a request to another origin signs in there instead of carrying it.

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
                lone surrogate (the message names the argument, never its value); or
                ``base_url`` is not a URL or holds user info.
        """
        auth = cls()
        auth._credentials = SignInBody(
            username=password_arg(username, "username"),
            password=password_arg(password, "password"),
        )
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
        self._install(token, None)

    def _install(self, token: str | None, origin: _Origin | None) -> None:
        """Set the token and the origin it is valid for (``None``: any)."""
        self._token = token
        self._origin = origin
        self._seq += 1
        self._token_seq = self._seq

    def accept_sign_in(self, response: httpx.Response) -> str:
        """
        Install the token of a ``POST /signIn`` answer, bound to the origin it came from.

        Args:
            response: The successful sign-in response.

        Returns:
            The token.

        Raises:
            DecodeError: The response carries no usable ``Authorization: Bearer`` header
                (nothing is installed).
        """
        token = _token_from(response)
        self._install(token, _origin_of(response.request.url))
        return token

    def _token_for(self, origin: _Origin) -> str | None:
        """The token, if it may go to ``origin``."""
        if self._origin is not None and self._origin != origin:
            return None
        return self._token

    @property
    def has_credentials(self) -> bool:
        """Whether this auth signs in by itself (built by `with_credentials`)."""
        return self._credentials is not None

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

        Args:
            request: The request httpx is about to send; the flow adds its headers and yields it.

        Raises:
            RuntimeError: This auth was built by `with_credentials`.
        """
        if self.has_credentials:
            raise RuntimeError("BearerAuth.with_credentials needs an async client")
        self._authorize(request, self._token_for(_origin_of(request.url)))
        yield request

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """
        Attach the token; with credentials, sign in first or after a 401, and replay once.

        Args:
            request: The request httpx is about to send; the flow adds its headers and yields it.
        Raises:
            APIError, DecodeError, TransportError: A concurrent call's sign-in, which this
                request was waiting for, failed (nothing of this request was sent).
        """
        origin = _origin_of(request.url)
        sign_in_url = self._sign_in_url(request)
        if sign_in_url is None or _same_target(request, sign_in_url):
            # A fixed token; or a sign-in, sent as is (never with a token, never re-signed).
            if sign_in_url is None:
                self._authorize(request, self._token_for(origin))
            yield request
            return
        await request.aread()  # the body may be sent twice (the replay): read it once now
        seen = self._seq
        for replay in (False, True):
            if self._must_sign_in(origin, seen, replay=replay):
                async with self._sign_in_lock:
                    if self._must_sign_in(origin, seen, replay=replay):
                        with self._sign_in_attempt(seen) as attempt:
                            response = yield self._sign_in_request(request, sign_in_url)
                        if not await self._accept_sign_in(response, origin, attempt):
                            return  # The failed sign-in response becomes the final response.
                        if replay:
                            _reauthenticated(request)
                    seen = self._seq
            self._authorize(request, self._token_for(origin))
            response = yield request
            if replay or not await _token_rejected(response):
                return

    def _must_sign_in(self, origin: _Origin, seen: int, *, replay: bool) -> bool:
        """
        No token for ``origin``; or, replaying after a 401, none installed since ``seen``
        (a concurrent call's newer token is used instead of signing in again).
        """
        return self._token_for(origin) is None or (replay and self._token_seq <= seen)

    @contextlib.contextmanager
    def _sign_in_attempt(self, seen: int) -> Iterator[int]:
        """
        Number a sign-in attempt (under the lock); one that gets no response is recorded.

        Raises:
            OnlyOnceError: A concurrent call's sign-in, made after ``seen``, failed.
        """
        self._raise_failure_since(seen)
        self._seq += 1
        attempt = self._seq
        try:
            yield attempt
        except BaseException:  # GeneratorExit included: the flow was closed at the yield
            self._failure = (attempt, _sign_in_incomplete)
            raise

    def _raise_failure_since(self, seen: int) -> None:
        """Fail like the sign-in a concurrent call attempted after ``seen``, if it failed."""
        if self._failure is not None and self._failure[0] > seen:
            raise self._failure[1]()

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
            content=encode_json(self._credentials),
            headers=headers,
            extensions=dict(request.extensions),
        )
        log_request(sign_in, 0)
        return sign_in

    async def _accept_sign_in(
        self, response: httpx.Response, origin: _Origin, attempt: int
    ) -> bool:
        """
        Install the token of a successful sign-in; ``False`` when it failed.

        Either way the outcome is recorded for the calls waiting on this attempt.

        Raises:
            DecodeError: A 2xx answer without a usable token.
        """
        await read_body(response)
        log_response(response)
        if not response.is_success:
            self._failure = (attempt, functools.partial(error_from_response, response))
            return False
        try:
            token = _token_from(response)
        except DecodeError:
            self._failure = (attempt, functools.partial(_token_error, response))
            raise
        self._install(token, origin)
        return True


def _reauthenticated(request: httpx.Request) -> None:
    """Tell the call's listeners that it signed in again after its token was refused."""
    trace = request.extensions.get(TRACE_EXTENSION)
    if trace is not None:
        trace.emit(ReauthenticatedEvent(call_id=trace.call_id))


async def _token_rejected(response: httpx.Response) -> bool:
    """
    Whether a response says the token itself was refused (a plain 401).

    A 401 with a status string (``wrong-secret-key``, ``wrong-request-status``...) is about
    the call, not the token; signing in again would not help.
    """
    if response.status_code != 401:
        return False
    await read_body(response)
    return type(error_from_response(response)) is UnauthorizedError


def _as_base(value: object) -> httpx.URL:
    try:
        url = httpx.URL(str(value))
    except httpx.InvalidURL:
        raise ValueError("base_url is not a valid URL") from None
    if url.userinfo:
        raise ValueError("base_url must not contain user info (user:password@)")
    if not url.raw_path.endswith(b"/"):
        url = url.copy_with(raw_path=url.raw_path + b"/")
    return url.copy_with(query=None, fragment=None)


def _same_target(request: httpx.Request, url: httpx.URL) -> bool:
    return request.method == "POST" and request.url.copy_with(query=None) == url


def _token_from(response: httpx.Response) -> str:
    header: str = response.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _token_error(response)
    try:
        return header_token(token.strip(), "token")
    except ValueError:
        raise _token_error(response) from None


def _token_error(response: httpx.Response) -> DecodeError:
    # Never quotes the header: it may hold a token.
    return DecodeError(
        "sign-in response has no usable 'Authorization: Bearer' header (a token of visible "
        "ASCII characters)",
        response=response,
    )


def _sign_in_incomplete() -> TransportError:
    return TransportError(
        "signing in failed: the sign-in this call was waiting for (sent by a concurrent "
        "call) got no response"
    )


_Origin = tuple[str, str, "int | None"]


def _origin_of(url: httpx.URL) -> _Origin:
    return (url.scheme, url.host, url.port)
