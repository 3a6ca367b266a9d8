"""
`Client`: the core request layer every endpoint module stands on.

`Client.request` does everything once — URL joining and origin checks, default headers,
JSON encoding, auth, the rate limiter, sending, retries, error mapping and decoding (into
``cast_to``) — and ``get``/``post``/``put``/``patch``/``delete`` are one-line shortcuts
over it.

The send stack, one concern a layer (as httpx layers send → auth → redirects → single
request):

1. `Client._send_within_deadline` — the call's ``deadline`` (when it expires) and the
   redaction of httpx's log records made during the call.
2. `Client._send_with_retries` — the retries: one `_send_once` per attempt, the first
   made directly and the rest by the policy's `retry_context` loop (`first_attempt_then`);
   `Client._retry_wait` is the wait of each retry decision, and
   `Client._sleep_between_attempts` the wait itself (the deadline and `aclose` end it).
3. `Client._send_once` — one attempt in one cancel scope (`AttemptTimer`): the deadline,
   the attempt's own timeout from the moment the limiter grants its request (a slot free
   as the attempt begins is taken then, when nothing is awaited before the request
   leaves: `Client._took_free_slot`), and `aclose`.
4. `Client._exchange` — limiter and auth (`Client._auth_stack`: `LimitedAuth`, per request
   an auth flow sends, over `AccessRenewal` over the client's auth), httpx's transport and
   the capped body read.
5. `Client._raise_for_status` — error mapping (and the shared pause after a 429).
"""

from __future__ import annotations

import contextlib
import enum
import functools
import inspect
import logging
import math
import re
import sys
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping
from types import TracebackType
from typing import Any, Final, TypeVar, overload

if sys.version_info >= (3, 11):
    from typing import Self, Unpack
else:  # pragma: no cover - exercised on Python 3.10 only
    from typing_extensions import Self, Unpack

import anyio
import httpx

from ._access import AccessRenewal, ProfileAccess
from ._attempt import ATTEMPT_TIMER_EXTENSION, AttemptTimer, attempt_seconds
from ._auth import BASE_URL_EXTENSION, BearerAuth
from ._body import DEFAULT_MAX_RESPONSE_SIZE, MAX_RESPONSE_SIZE_EXTENSION, read_body
from ._defaults import DEFAULT_BASE_URL
from ._endpoints import support
from ._endpoints.account import AccountAPI
from ._endpoints.activities import ActivitiesAPI
from ._endpoints.cards import CardsAPI
from ._endpoints.companies import CompaniesAPI
from ._endpoints.datastore import DatastoreAPI
from ._endpoints.files import FilesAPI
from ._endpoints.network import NetworkAPI
from ._endpoints.profiles import ProfilesAPI
from ._endpoints.support import ConsolidatedEntry, DictionariesAPI, Heartbeat
from ._errors import (
    APIError,
    ClientClosedError,
    DecodeError,
    OnlyOnceError,
    RateLimitError,
    RequestTimeout,
    error_from_response,
    map_transport_errors,
)
from ._events import TRACE_EXTENSION, CallTrace, Listener, RateLimited, log_retry, retry_reason
from ._json import decode_body, encode_json
from ._logging import (
    install_redaction,
    log_request,
    log_response,
    logger,
    redact_url,
    sdk_call,
)
from ._paging import AsyncPaginator
from ._ratelimit import (
    LimitedAuth,
    RateLimiter,
    SlidingWindowRateLimiter,
    check_penalty,
    refused_by_pause,
)
from ._retry import Retrying, RetryPolicy, first_attempt_then, not_retried
from ._types import (
    USE_CLIENT_DEFAULT,
    RequestOptions,
    SendOptions,
    TimeoutTypes,
    UseClientDefault,
)
from ._urls import Resolver, check_base_url
from ._version import __version__

__all__ = ["DEFAULT_BASE_URL", "Client"]

USER_AGENT: Final = f"onlyonce-async/{__version__} (+httpx/{httpx.__version__})"
# An HTTP token (a method or header name); used with fullmatch ("$" would let a final
# newline through).
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_OPTION_NAMES: Final = RequestOptions.__required_keys__ | RequestOptions.__optional_keys__
#: The request extension carrying the call's timeout, made a total per attempt.
ATTEMPT_TIMEOUT_EXTENSION: Final = "onlyonce_async.timeout"
#: The default ``deadline`` of a call, every retry and wait included: five minutes.
DEFAULT_DEADLINE: Final = 300.0

T = TypeVar("T")


class _DefaultLimiter(enum.Enum):
    DEFAULT = "DEFAULT"


class _Call:
    """
    One call's settings for its attempts: its deadline, whether it streams, its trace.
    """

    __slots__ = ("deadline", "expires", "stream", "trace")

    def __init__(
        self, deadline: float | None, expires: float, stream: bool, trace: CallTrace | None
    ) -> None:
        self.deadline = deadline  # seconds, for messages
        self.expires = expires  # on anyio's clock; math.inf for none
        self.stream = stream
        self.trace = trace


class Client:
    """
    An Only Once API v2 client over one ``httpx.AsyncClient``.

    Args:
        base_url: The API root; paths are joined below it.
        auth: Any ``httpx.Auth`` (normally `BearerAuth` or `SignedJWTAuth`).
        rate_limiter: Omitted: a new `SlidingWindowRateLimiter` (60 per 60 s) for this
            client. ``None``: no client-side limiting. A `RateLimiter`: used as is (share one
            between clients, or a `RedisRateLimiter` between processes).
        max_retries: Attempts after the first.
        timeout: Seconds each request may take in all, from leaving the rate limiter until
            its body is read (a server dripping bytes cannot stretch it); past it the
            attempt fails with `RequestTimeout` (retried like a read timeout). An
            ``httpx.Timeout`` counts as its largest phase; ``None`` for none.
        headers: Headers added to every request.
        http_client: Your own ``httpx.AsyncClient`` (proxies, TLS); never closed by the SDK.
        transport: An httpx async transport for the client the SDK creates (tests, sandbox).
        allow_insecure_http: Allow a plain-``http://`` ``base_url`` to a non-loopback host.
        retry_policy: Backoff settings; see `RetryPolicy`.
        deadline: Default seconds for a whole call, every retry and wait included (so
            retries cannot multiply ``timeout`` without bound): 300 by default, ``None``
            for none. Typed methods use it; a raw call can override it with ``deadline=``.
        max_response_size: The most bytes a response body the SDK reads for you may
            decode (inflate) to, 16 MiB by default; past it the call raises
            `ResponseTooLargeError` without reading further. ``None`` for no cap. Streamed
            bodies (`stream`, ``files.download``/``download_to``) are not capped.
        listeners: Functions called with every `Event` of this client's calls (see
            `add_listener`).

    Each endpoint namespace (``client.account``, ``client.profiles``...) is
    made on first use and bound to this client (a cached property).

    Raises:
        ValueError: A plain-``http://`` ``base_url`` to a non-loopback host without
            ``allow_insecure_http``, a ``base_url`` that is not an absolute URL or holds
            user info, or a setting out of range (``max_retries``, ``timeout``,
            ``deadline``, ``max_response_size``, a header value).
        TypeError: A ``retry_policy`` that is not a `RetryPolicy`.
    """

    def __init__(
        self,
        *,
        base_url: str | httpx.URL = DEFAULT_BASE_URL,
        auth: httpx.Auth | None = None,
        rate_limiter: RateLimiter | _DefaultLimiter | None = _DefaultLimiter.DEFAULT,
        max_retries: int = 2,
        timeout: TimeoutTypes = 30.0,
        headers: Mapping[str, str | bytes] | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        allow_insecure_http: bool = False,
        retry_policy: RetryPolicy | None = None,
        deadline: float | None = DEFAULT_DEADLINE,
        max_response_size: int | None = DEFAULT_MAX_RESPONSE_SIZE,
        listeners: Iterable[Listener] = (),
    ) -> None:
        if http_client is not None and transport is not None:
            raise ValueError("pass http_client or transport, not both")
        self._base_url = check_base_url(base_url, allow_insecure_http)
        self._url = Resolver(self._base_url)
        self._base_url_text = str(self._base_url)
        self._auth = _check_auth(auth)
        self._rate_limiter = _limiter_or_default(rate_limiter)
        self._max_retries = _check_max_retries(max_retries)
        self._timeout = _check_timeout(timeout)
        self._deadline = _check_deadline(deadline)
        self._max_response_size = _check_max_response_size(max_response_size)
        self._retry_policy = _check_retry_policy(retry_policy)
        checked = _check_headers(headers)
        # Kept for with_options, which passes them to the constructor again.
        self._extra_headers = {name.decode("ascii"): value for name, value in checked}
        self._headers = httpx.Headers({"User-Agent": USER_AGENT, "Accept": "application/json"})
        self._headers.update(checked)
        self._owns_http_client = http_client is None
        self._http = http_client or httpx.AsyncClient(
            transport=transport, timeout=timeout, follow_redirects=False, headers=self._headers
        )
        # The headers each request passes to httpx: none when the pool is this SDK's own
        # and already sends them (httpx merges passed headers at some 7 µs a request).
        self._request_headers: httpx.Headers | None = (
            None if self._owns_http_client else self._headers
        )
        install_redaction()
        self._closed = False
        # The calls in progress, shared with with_options clients (one pool), so that
        # closing the pool's owner can end them all; each maps to the client making it.
        self._calls: dict[anyio.CancelScope, Client] = {}
        self._profile_access = ProfileAccess()
        self._listeners: tuple[Listener, ...] = _check_listeners(listeners)

    # -- configuration -------------------------------------------------------------------

    @property
    def base_url(self) -> httpx.URL:
        """The API root every path is joined below."""
        return self._base_url

    @property
    def auth(self) -> httpx.Auth | None:
        """The ``httpx.Auth`` in use, or ``None``."""
        return self._auth

    @auth.setter
    def auth(self, auth: httpx.Auth | None) -> None:
        self._auth = _check_auth(auth)

    @property
    def rate_limiter(self) -> RateLimiter | None:
        """The `RateLimiter` every attempt passes, or ``None``."""
        return self._rate_limiter

    @property
    def retry_policy(self) -> RetryPolicy:
        """The backoff settings of this client's retries."""
        return self._retry_policy

    @property
    def profile_access(self) -> ProfileAccess:
        """The pass phrases remembered by ``profiles.enable_access(..., remember=True)``."""
        return self._profile_access

    @property
    def http_client(self) -> httpx.AsyncClient:
        """The underlying ``httpx.AsyncClient`` (shared by `with_options` clients)."""
        return self._http

    @property
    def listeners(self) -> tuple[Listener, ...]:
        """The functions called with every `Event` of this client's calls."""
        return self._listeners

    def add_listener(self, listener: Listener) -> None:
        """
        Call ``listener`` with every `Event` of this client's calls from now on.

        A listener runs synchronously where the event happens, so it should return quickly;
        one that raises is logged and the call goes on. `with_options` clients made after
        this inherit it (their own listeners are theirs alone).

        Args:
            listener: A function taking one `Event`.

        Raises:
            TypeError: ``listener`` is not callable, or is an ``async`` function.
        """
        self._listeners = (*self._listeners, *_check_listeners((listener,)))

    def remove_listener(self, listener: Listener) -> None:
        """
        Stop calling ``listener``.

        Args:
            listener: A listener added before.

        Raises:
            ValueError: ``listener`` is not registered on this client.
        """
        listeners = list(self._listeners)
        listeners.remove(listener)
        self._listeners = tuple(listeners)

    def __repr__(self) -> str:
        return f"<Client base_url={str(self._base_url)!r} auth={type(self._auth).__name__}>"

    def with_options(
        self,
        *,
        auth: httpx.Auth | UseClientDefault | None = USE_CLIENT_DEFAULT,
        rate_limiter: RateLimiter | UseClientDefault | None = USE_CLIENT_DEFAULT,
        timeout: TimeoutTypes | UseClientDefault = USE_CLIENT_DEFAULT,
        max_retries: int | UseClientDefault = USE_CLIENT_DEFAULT,
        deadline: float | UseClientDefault | None = USE_CLIENT_DEFAULT,
    ) -> Client:
        """
        A client sharing this one's connection pool, with some settings replaced.

        What is not given is inherited, the rate limiter object included (so the quota
        stays shared unless a new limiter is passed). Closing the new client closes nothing
        shared.

        Args:
            auth: Another ``httpx.Auth`` (say, one end user's `BearerAuth`), or ``None``
                for none. Pass phrases remembered by `ProfilesAPI.enable_access` are not
                carried over to another identity.
            rate_limiter: Another `RateLimiter`, or ``None`` for no limiting.
            timeout: Per-attempt timeout in seconds (or an ``httpx.Timeout``; ``None`` for
                none).
            max_retries: Attempts after the first.
            deadline: Seconds for a whole call, every retry and wait included; ``None`` for
                none.

        Returns:
            The new `Client`.

        Raises:
            ValueError: A setting the constructor would refuse (the same checks).
        """

        def given(value: Any, current: Any) -> Any:
            return current if isinstance(value, UseClientDefault) else value

        # Through the constructor (openai's copy()): one validation for both.
        other = type(self)(
            base_url=self._base_url,
            auth=given(auth, self._auth),
            rate_limiter=given(rate_limiter, self._rate_limiter),
            max_retries=given(max_retries, self._max_retries),
            timeout=given(timeout, self._timeout),
            headers=self._extra_headers,
            http_client=self._http,
            allow_insecure_http=True,  # base_url was checked when this client was built
            retry_policy=self._retry_policy,
            deadline=given(deadline, self._deadline),
            max_response_size=self._max_response_size,
            listeners=self._listeners,
        )
        other._calls = self._calls  # one pool: closing its owner ends every call on it
        other._request_headers = self._request_headers  # the same headers: the pool's own
        if isinstance(auth, UseClientDefault):
            # The same identity: the pass phrases remembered for it apply (another
            # identity's would not).
            other._profile_access = self._profile_access
        return other

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def is_closed(self) -> bool:
        """Whether this client, or the connection pool it uses, was closed."""
        return self._closed or self._http.is_closed

    async def aclose(self) -> None:
        """
        Close this client, and its connection pool if it created it.

        Calls of this client still waiting in the rate limiter, and those in flight, end
        with `ClientClosedError` (the waiting ones send nothing); so do later calls. A
        client that created the pool also ends the calls of its `with_options` clients,
        which share it.
        """
        self._closed = True
        for scope, client in list(self._calls.items()):
            if client is self or self._owns_http_client:
                scope.cancel()
        if self._owns_http_client:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- endpoint namespaces (made on first use, bound to this client) ------------------------

    @functools.cached_property
    def account(self) -> AccountAPI:
        """
        ``client.account``: sign-up, sign-in and the account.
        """
        return AccountAPI(self)

    @functools.cached_property
    def profiles(self) -> ProfilesAPI:
        """
        ``client.profiles``: profiles, access, bookmarks, tags, notes, settings.
        """
        return ProfilesAPI(self)

    @functools.cached_property
    def activities(self) -> ActivitiesAPI:
        """
        ``client.activities``: the activity log.
        """
        return ActivitiesAPI(self)

    @functools.cached_property
    def companies(self) -> CompaniesAPI:
        """
        ``client.companies``: organisations by name.
        """
        return CompaniesAPI(self)

    @functools.cached_property
    def datastore(self) -> DatastoreAPI:
        """
        ``client.datastore``: a profile's data store.
        """
        return DatastoreAPI(self)

    @functools.cached_property
    def cards(self) -> CardsAPI:
        """
        ``client.cards``: cards.
        """
        return CardsAPI(self)

    @functools.cached_property
    def network(self) -> NetworkAPI:
        """
        ``client.network``: share requests.
        """
        return NetworkAPI(self)

    @functools.cached_property
    def dictionaries(self) -> DictionariesAPI:
        """
        ``client.dictionaries``: predefined values of fixed fields.
        """
        return DictionariesAPI(self)

    @functools.cached_property
    def files(self) -> FilesAPI:
        """
        ``client.files``: files.
        """
        return FilesAPI(self)

    # -- typed calls at the top level -----------------------------------------------------

    async def heartbeat(self) -> Heartbeat:
        """
        Get the status of the API (``GET /heartbeat``).

        Returns:
            The answering node and since when it has been up.

        Raises:
            ApiDownError: The API reports itself down.
            OnlyOnceError: Any other failure.
        """
        return await support.heartbeat(self)

    def consolidated(
        self,
        profile_id: uuid.UUID | str,
        field_names: Iterable[str],
        *,
        page_size: int | None = None,
    ) -> AsyncPaginator[ConsolidatedEntry]:
        """
        The consolidated view of a profile's network (``GET /consolidated``, paginated;
        access required).

        Args:
            profile_id: The profile whose connections to show.
            field_names: The datastore fields wanted, e.g. ``["first_name_field"]``.
            page_size: Items per request, 1 to 100 (the server's default, 20, when ``None``).

        Returns:
            A paginator over `ConsolidatedEntry` objects, one per connected profile.

        Raises:
            ValueError, TypeError: A bad id, or no (or an empty) field name (nothing is
                sent).
        """
        return support.consolidated(self, profile_id, field_names, page_size=page_size)

    # -- the request layer ----------------------------------------------------------------

    def _build(
        self,
        method: str,
        url: httpx.URL,
        options: RequestOptions,
        content: bytes | str | None,
        trace: CallTrace | None = None,
    ) -> httpx.Request:
        timeout = options.get("timeout", USE_CLIENT_DEFAULT)
        timeout = (
            self._timeout if isinstance(timeout, UseClientDefault) else _check_timeout(timeout)
        )
        headers, typed_by_caller = self._call_headers(options.get("headers"))
        request = self._http.build_request(
            method,
            url,
            content=content,
            data=options.get("data"),
            files=options.get("files"),
            headers=headers,
            timeout=timeout,
            extensions=self._extensions(timeout),
        )
        if options.get("json") is not None and not typed_by_caller:
            # Set on the request built rather than merged into it (some 7 µs a request); a
            # call's own Content-Type wins.
            request.headers["Content-Type"] = "application/json"
        if trace is not None:
            # Seen by the limiter (quota waits) and auth flows (re-authentication, renewal).
            request.extensions[TRACE_EXTENSION] = trace
        return request

    def _extensions(self, timeout: TimeoutTypes) -> dict[str, Any]:
        """What the layers below read from each request of this client."""
        return {
            # Auth flows that sign in (BearerAuth.with_credentials) do it below base_url.
            BASE_URL_EXTENSION: self._base_url_text,
            # Every body read for us (auth flows' included) stops at the cap.
            MAX_RESPONSE_SIZE_EXTENSION: self._max_response_size,
            # The timeout this call chose, which _send_once makes a total per attempt.
            ATTEMPT_TIMEOUT_EXTENSION: timeout,
        }

    def _call_headers(
        self, extra: Mapping[str, str | bytes] | None
    ) -> tuple[httpx.Headers | None, bool]:
        """
        The headers to build a call's request with, and whether the call set Content-Type.

        A call's own headers are merged before the request is built (httpx picks the text
        encoding of the headers, UTF-8 for a non-ASCII ``Secret-Key``, from what it is given).

        Raises:
            ValueError, TypeError: An unusable header (`_check_headers`).
        """
        if not extra:
            return self._request_headers, False
        checked = _check_headers(extra)
        headers = httpx.Headers(self._request_headers)
        headers.update(checked)
        return headers, any(name.lower() == b"content-type" for name, _ in checked)

    def _auth_stack(self) -> httpx.Auth | httpx._client.UseClientDefault:
        """
        The auth layer of one attempt: rate limiter ∘ access renewal ∘ the client's auth.

        Every request an auth flow sends (a sign-in, an access renewal, the replay) passes
        the limiter; with neither a limiter nor anything to renew, a caller-supplied
        http_client's own auth applies.
        """
        inner = self._auth or self._http.auth
        if self._profile_access.remembers_any:
            inner = AccessRenewal(inner, self._profile_access)
        if self._rate_limiter is not None:
            return LimitedAuth(inner, self._rate_limiter)
        if inner is None or inner is self._http.auth:
            return httpx.USE_CLIENT_DEFAULT
        return inner

    async def _send_once(
        self, request: httpx.Request, retries: int, call: _Call, *, stream: bool
    ) -> httpx.Response:
        """
        One attempt in its cancel scope: the call's deadline, the attempt's timer, closing.

        Raises:
            APIError: A non-2xx final response (`_raise_for_status`).
            TransportError: The network failed, or the attempt outlived its timeout.
            RequestTimeout: The call's deadline passed (not retried).
            ClientClosedError: The client was closed meanwhile (not retried).
        """
        timer = AttemptTimer(
            attempt_seconds(request.extensions.get(ATTEMPT_TIMEOUT_EXTENSION)), call.expires
        )
        request.extensions[ATTEMPT_TIMER_EXTENSION] = timer
        if self._rate_limiter is None:
            timer.start()
        elif self._took_free_slot(call):
            timer.slot_taken = True
            timer.start()
        log_request(request, retries)
        if call.trace is not None:
            call.trace.sent(retries)
        self._calls[timer.scope] = self
        try:
            with timer.scope:
                return await self._exchange(request, retries, call.trace, stream=stream)
        finally:
            del self._calls[timer.scope]
        # Only the scope's own cancellation ends the block without returning or raising.
        if timer.call_expired or self.is_closed:
            raise not_retried(self._cut_short(call, maybe_sent=timer.started))
        raise RequestTimeout(
            f"request took longer than its timeout of {timer.seconds} s", request=request
        )

    def _took_free_slot(self, call: _Call) -> bool:
        """
        Take the rate limiter's free slot for an attempt about to begin, if it has one at
        once and the attempt's request goes out first, with nothing awaited before it (see
        `_attempt`). Otherwise the limiter's wrapper waits for the slot as the request
        leaves: a traced call (which reports the wait), another limiter (a subclass may
        count differently), an auth that may sign in first or wait for another call's
        sign-in, a profile access that may be renewed first.
        """
        limiter = self._rate_limiter
        auth = self._auth or self._http.auth
        # No await from here until the attempt's request is sent: the slot is its own.
        return (
            call.trace is None
            and type(limiter) is SlidingWindowRateLimiter
            and (auth is None or (type(auth) is BearerAuth and not auth.has_credentials))
            and not self._profile_access.remembers_any
            and limiter.try_acquire()
        )

    async def _exchange(
        self, request: httpx.Request, retries: int, trace: CallTrace | None, *, stream: bool
    ) -> httpx.Response:
        """
        Auth and limiter, transport, body read, error mapping.

        Raises:
            APIError: A non-2xx final response (`_raise_for_status`).
            TransportError: The network failed.
        """
        with map_transport_errors(request):
            # Never follow redirects, even if a caller's http_client would: httpx keeps headers
            # such as API-Key and Secret-Key on a cross-origin redirect, and a followed
            # request would bypass the limiter and the auth flow.
            try:
                response = await self._http.send(
                    request, auth=self._auth_stack(), stream=True, follow_redirects=False
                )
            except (APIError, DecodeError) as error:
                # Raised by an auth flow: a concurrent sign-in's or renewal's outcome, final
                # for every call sharing it. The limiter's refusal of a long pause is this
                # call's own (nothing was sent): the loops above it may wait it out.
                if not refused_by_pause(error):
                    not_retried(error)
                raise
            except RuntimeError as exc:
                # httpx's error for a pool closed under the call.
                if not self.is_closed:
                    raise
                raise ClientClosedError(
                    "the client was closed during this call", maybe_sent=True
                ) from exc
            if not (stream and response.is_success):
                try:
                    await read_body(response)
                finally:
                    await response.aclose()
        log_response(response)
        if trace is not None:
            trace.received(retries, response.status_code)
        return await self._raise_for_status(response, trace)

    def _cut_short(self, call: _Call, *, maybe_sent: bool) -> OnlyOnceError:
        """
        The error for a call its deadline or `aclose` ended (which one is checked here);
        ``maybe_sent``: whether a request of the call may have reached the server.
        """
        if self.is_closed:
            return ClientClosedError(
                "the client was closed during this call", maybe_sent=maybe_sent
            )
        return RequestTimeout(f"deadline of {call.deadline} s exceeded")

    async def _raise_for_status(
        self, response: httpx.Response, trace: CallTrace | None = None
    ) -> httpx.Response:
        """
        The error mapping layer: a 2xx passes; anything else raises its `APIError`.

        A 429 pauses the shared rate limiter first, whether or not the call is retried.

        Raises:
            APIError: The most specific subclass for the response.
        """
        if response.is_success:
            return response
        error = error_from_response(response)
        if isinstance(error, RateLimitError):
            await self._pause_everyone(error, trace)
        raise error

    async def _send_with_retries(
        self, method: str, path: str | httpx.URL, options: RequestOptions, call: _Call
    ) -> httpx.Response:
        """
        The retry layer: one `_send_once` per attempt; the policy's `retry_context` loop
        decides after a failed one (`first_attempt_then`).

        Raises:
            OnlyOnceError: The last attempt's error, or the first one not retried.
        """
        method, url, content = self._prepare(method, path, options)
        trace = call.trace

        async def attempt(number: int) -> httpx.Response:
            request = self._build(method, url, options, content, trace)
            if trace is None:
                return await self._send_once(request, number - 1, call, stream=call.stream)
            with trace.failing(number - 1):  # RequestFailed: no response
                return await self._send_once(request, number - 1, call, stream=call.stream)

        def retrying() -> Retrying:  # made only once the first attempt failed
            def on_retry(retries: int, error: OnlyOnceError, delay: float) -> None:
                if trace is not None:
                    trace.retry(url, retries, error, delay)
                elif logger.isEnabledFor(logging.INFO):
                    log_retry(method, redact_url(url), retries, retry_reason(error), delay)

            return self._retry_policy.retry_context(
                method,
                retries=self._max_retries,
                wait=self._retry_wait,
                sleep=functools.partial(self._sleep_between_attempts, call),
                on_retry=on_retry,
            )

        return await first_attempt_then(attempt, retrying)

    async def _sleep_between_attempts(self, call: _Call | None, seconds: float) -> None:
        """
        The wait before a retry, within the call's deadline; `aclose` ends it.

        Args:
            call: The call retrying; ``None`` for a wait between calls (a bulk share's own
                retries, which may wait out a long pause), which only `aclose` ends.
            seconds: How long to wait.

        Raises:
            RequestTimeout: The call's deadline passed while waiting.
            ClientClosedError: The client was closed while waiting (or, between calls,
                before).
        """
        if call is None and self.is_closed:
            raise ClientClosedError("the client is closed: nothing was sent", maybe_sent=False)
        with anyio.CancelScope(deadline=math.inf if call is None else call.expires) as scope:
            self._calls[scope] = self
            try:
                await anyio.sleep(seconds)
            finally:
                del self._calls[scope]
        if scope.cancelled_caught:
            if call is None:
                # Between a bulk share's sends: the last one is known to have created
                # nothing (else the share would have been looked up, not sent again).
                raise ClientClosedError(
                    "the client was closed while waiting to retry", maybe_sent=False
                )
            # An earlier attempt may have reached the server (a retried GET after a 502).
            raise self._cut_short(call, maybe_sent=True)

    def _retry_wait(self, retries: int, error: OnlyOnceError) -> float:
        """
        The retry decision's wait: the policy's delay, or none after a 429 with a limiter
        (the pause is already in the limiter; the next acquire waits it out).

        Raises:
            RateLimitError: The server asked for a wait longer than ``MAX_RETRY_AFTER``.
        """
        delay = self._retry_policy.delay(retries, error)
        if isinstance(error, RateLimitError) and self._rate_limiter is not None:
            return 0.0
        return delay

    def _prepare(
        self, method: str, path: str | httpx.URL, options: RequestOptions
    ) -> tuple[str, httpx.URL, bytes | str | None]:
        """
        The method, URL and body of a call, checked once before any attempt.

        Raises:
            ValueError: A bad method or path, or conflicting body options.
            TypeError: An option `RequestOptions` does not have (a typo would otherwise be
                ignored).
        """
        if not isinstance(method, str) or not _TOKEN.fullmatch(method):
            raise ValueError(f"not an HTTP method: {method!r}")
        unknown = options.keys() - _OPTION_NAMES
        if unknown:
            raise TypeError(f"unknown request option(s): {', '.join(sorted(unknown))}")
        content = options.get("content")
        if options.get("json") is not None:
            if content is not None or options.get("data") or options.get("files"):
                raise ValueError("pass json, or content/data/files, not both")
            content = encode_json(options["json"])
        return method.upper(), self._url(path, options.get("params")), content

    async def _pause_everyone(self, error: RateLimitError, trace: CallTrace | None) -> None:
        pause = 0.0
        if self._rate_limiter is not None:
            seconds = error.retry_after
            if seconds is None:
                seconds = self._retry_policy.rate_limit_default
            # The server's whole Retry-After, for every sharer of the limiter (the one rule
            # of `check_penalty` bounds only absurd values). Over MAX_RETRY_AFTER this call
            # fails at once (RetryPolicy.delay), and so do the sharers' calls meanwhile.
            pause = check_penalty(seconds)
            await self._rate_limiter.penalize(pause)
        if trace is not None:
            trace.emit(
                RateLimited(call_id=trace.call_id, retry_after=error.retry_after, pause=pause)
            )

    async def request_raw(
        self, method: str, path: str, **options: Unpack[RequestOptions]
    ) -> httpx.Response:
        """
        Send a request and return the final ``httpx.Response`` (after retries).

        Args:
            method: Any HTTP method (custom endpoints welcome).
            path: Relative to ``base_url`` (``"/heartbeat"`` and ``"heartbeat"`` are the
                same), or an absolute URL of the same origin.
            **options: See `RequestOptions`.

        Returns:
            The 2xx response, its body read.

        Raises:
            APIError: A non-2xx answer (the most specific subclass).
            TransportError: The network failed after all retries (`RequestTimeout` when an
                attempt took longer than ``timeout``, or the call than ``deadline``).
            ResponseTooLargeError: A body decoding past ``max_response_size``.
            ClientClosedError: The client was closed before or during the call.
            ValueError: ``path`` points at another origin, climbs above the base path or
                holds a control character; a header value is unusable; or the options
                conflict. Nothing is sent.
        """
        return await self._send_within_deadline(method, path, options)

    async def _send_within_deadline(
        self,
        method: str,
        path: str,
        options: RequestOptions,
        *,
        stream: bool = False,
        trace: CallTrace | None = None,
    ) -> httpx.Response:
        """
        The outer layer: the call's ``deadline`` (every attempt and wait) and its log marking.

        With listeners, `_send_traced` brackets the call with its events first. Each
        attempt's cancel scope (`_send_once`) and each wait ends at the deadline, and
        `aclose` cancels them.

        Raises:
            RequestTimeout: The deadline passed.
            ClientClosedError: The client is closed, or was closed during the call.
        """
        if self._listeners and trace is None:
            return await self._send_traced(method, path, options, stream)
        if self.is_closed:
            raise ClientClosedError("this client is closed: nothing was sent", maybe_sent=False)
        deadline = options.get("deadline", USE_CLIENT_DEFAULT)
        deadline = _check_deadline(
            self._deadline if isinstance(deadline, UseClientDefault) else deadline
        )
        expires = math.inf if deadline is None else anyio.current_time() + deadline
        # httpx's and httpcore's log records made meanwhile are redacted (see _logging).
        with sdk_call():
            return await self._send_with_retries(
                method, path, options, _Call(deadline, expires, stream, trace)
            )

    async def _send_traced(
        self, method: str, path: str, options: RequestOptions, stream: bool
    ) -> httpx.Response:
        """
        A call with listeners: `CallStarted`, the call, then `CallFinished` however it ends.

        Raises:
            ValueError: A bad method or path (as the send would; nothing is emitted).
        """
        if not isinstance(method, str) or not _TOKEN.fullmatch(method):
            raise ValueError(f"not an HTTP method: {method!r}")
        template = getattr(path, "template", None)
        url = self._url(path)
        trace = CallTrace(self._listeners, method.upper(), url, template, str(path))
        try:
            response = await self._send_within_deadline(
                method, path, options, stream=stream, trace=trace
            )
        except BaseException as exc:
            if isinstance(exc, APIError):
                trace.status = exc.status_code
            trace.finished(exc)
            raise
        trace.finished(None)
        return response

    @overload
    async def request(
        self, method: str, path: str, *, cast_to: type[T], **options: Unpack[RequestOptions]
    ) -> T: ...

    @overload
    async def request(
        self, method: str, path: str, *, cast_to: None = None, **options: Unpack[RequestOptions]
    ) -> Any: ...

    async def request(
        self,
        method: str,
        path: str,
        *,
        cast_to: type[Any] | None = None,
        **options: Unpack[RequestOptions],
    ) -> Any:
        """
        Send a request and return its JSON body, decoded into ``cast_to`` when given.

        Every typed method goes through here: auth, the rate limiter, retries, error
        mapping and decoding are the same for a custom endpoint.

        Args:
            method: Any HTTP method (custom endpoints welcome).
            path: Relative to ``base_url`` (``"/heartbeat"`` and ``"heartbeat"`` are the
                same), or an absolute URL of the same origin.
            cast_to: The type to decode the body into (an attrs model, ``list[Model]``,
                ``str``...); ``None`` returns the JSON as is (``None`` for an empty body).
            **options: See `RequestOptions`.

        Returns:
            The decoded body: a ``cast_to`` instance, or the JSON value.

        Raises:
            DecodeError: A 2xx body that is not valid JSON, or not a valid ``cast_to``;
                its ``response`` is the response it came in.
            APIError: A non-2xx answer (the most specific subclass).
            TransportError: The network failed after all retries (`RequestTimeout` on a
                timeout or past ``deadline``).
            ValueError: ``path`` points at another origin, or the options conflict.
        """
        response = await self._send_within_deadline(method, path, options)
        return decode_body(response, cast_to)

    @overload
    async def get(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        cast_to: type[T],
        **options: Unpack[SendOptions],
    ) -> T: ...

    @overload
    async def get(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        cast_to: None = None,
        **options: Unpack[SendOptions],
    ) -> Any: ...

    async def get(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        cast_to: type[Any] | None = None,
        **options: Unpack[SendOptions],
    ) -> Any:
        """
        ``request("GET", path, params=params, ...)``.

        Args:
            path: Relative to ``base_url``, as for `request`.
            params: Query parameters; a list value repeats the parameter; ``None`` values
                are left out.
            cast_to: The type to decode the body into, as for `request`.
            **options: The other options of `request` (see `RequestOptions`).

        Returns:
            The decoded body: a ``cast_to`` instance, or the JSON value.
        """
        return await self.request("GET", path, params=params, cast_to=cast_to, **options)

    @overload
    async def delete(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        cast_to: type[T],
        **options: Unpack[SendOptions],
    ) -> T: ...

    @overload
    async def delete(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        cast_to: None = None,
        **options: Unpack[SendOptions],
    ) -> Any: ...

    async def delete(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        cast_to: type[Any] | None = None,
        **options: Unpack[SendOptions],
    ) -> Any:
        """
        ``request("DELETE", path, params=params, ...)``.

        Args:
            path: Relative to ``base_url``, as for `request`.
            params: Query parameters; a list value repeats the parameter; ``None`` values
                are left out.
            cast_to: The type to decode the body into, as for `request`.
            **options: The other options of `request` (see `RequestOptions`).

        Returns:
            The decoded body: a ``cast_to`` instance, or the JSON value.
        """
        return await self.request("DELETE", path, params=params, cast_to=cast_to, **options)

    @overload
    async def post(
        self,
        path: str,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        *,
        cast_to: type[T],
        **options: Unpack[SendOptions],
    ) -> T: ...

    @overload
    async def post(
        self,
        path: str,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        *,
        cast_to: None = None,
        **options: Unpack[SendOptions],
    ) -> Any: ...

    async def post(
        self,
        path: str,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        *,
        cast_to: type[Any] | None = None,
        **options: Unpack[SendOptions],
    ) -> Any:
        """
        ``request("POST", path, json=json, params=params, ...)``.

        Args:
            path: Relative to ``base_url``, as for `request`.
            json: A body to send as JSON; ``None`` sends none.
            params: Query parameters; a list value repeats the parameter; ``None`` values
                are left out.
            cast_to: The type to decode the body into, as for `request`.
            **options: The other options of `request` (see `RequestOptions`).

        Returns:
            The decoded body: a ``cast_to`` instance, or the JSON value.
        """
        return await self.request(
            "POST", path, json=json, params=params, cast_to=cast_to, **options
        )

    @overload
    async def put(
        self,
        path: str,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        *,
        cast_to: type[T],
        **options: Unpack[SendOptions],
    ) -> T: ...

    @overload
    async def put(
        self,
        path: str,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        *,
        cast_to: None = None,
        **options: Unpack[SendOptions],
    ) -> Any: ...

    async def put(
        self,
        path: str,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        *,
        cast_to: type[Any] | None = None,
        **options: Unpack[SendOptions],
    ) -> Any:
        """
        ``request("PUT", path, json=json, params=params, ...)``.

        Args:
            path: Relative to ``base_url``, as for `request`.
            json: A body to send as JSON; ``None`` sends none.
            params: Query parameters; a list value repeats the parameter; ``None`` values
                are left out.
            cast_to: The type to decode the body into, as for `request`.
            **options: The other options of `request` (see `RequestOptions`).

        Returns:
            The decoded body: a ``cast_to`` instance, or the JSON value.
        """
        return await self.request("PUT", path, json=json, params=params, cast_to=cast_to, **options)

    @overload
    async def patch(
        self,
        path: str,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        *,
        cast_to: type[T],
        **options: Unpack[SendOptions],
    ) -> T: ...

    @overload
    async def patch(
        self,
        path: str,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        *,
        cast_to: None = None,
        **options: Unpack[SendOptions],
    ) -> Any: ...

    async def patch(
        self,
        path: str,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        *,
        cast_to: type[Any] | None = None,
        **options: Unpack[SendOptions],
    ) -> Any:
        """
        ``request("PATCH", path, json=json, params=params, ...)``.

        Args:
            path: Relative to ``base_url``, as for `request`.
            json: A body to send as JSON; ``None`` sends none.
            params: Query parameters; a list value repeats the parameter; ``None`` values
                are left out.
            cast_to: The type to decode the body into, as for `request`.
            **options: The other options of `request` (see `RequestOptions`).

        Returns:
            The decoded body: a ``cast_to`` instance, or the JSON value.
        """
        return await self.request(
            "PATCH", path, json=json, params=params, cast_to=cast_to, **options
        )

    @contextlib.asynccontextmanager
    async def stream(
        self, method: str, path: str, **options: Unpack[RequestOptions]
    ) -> AsyncIterator[httpx.Response]:
        """
        Send a request and yield the 2xx response with its body not yet read.

        Retries, limiting and error mapping are as for `request_raw` (``deadline`` bounds
        getting the response, not reading it). Read the body inside the ``async with``,
        e.g. with ``response.aiter_bytes()``; an httpx error while reading is raised as
        `TransportError`. The response is closed on leaving the block.

        Args:
            method: Any HTTP method.
            path: Relative to ``base_url``, as for `request`.
            **options: See `RequestOptions`.

        Yields:
            The 2xx ``httpx.Response``, its body not yet read.

        Raises:
            APIError: A non-2xx answer (its body is read for the error).
            TransportError: The network failed after all retries, or while reading.
        """
        response = await self._send_within_deadline(method, path, options, stream=True)
        try:
            with map_transport_errors(response.request):
                yield response
        finally:
            await response.aclose()


_HEADER_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


def _check_headers(headers: Mapping[str, str | bytes] | None) -> list[tuple[bytes, bytes]]:
    """
    Headers checked before anything is sent; no message quotes a value (it may be secret).

    Raises:
        ValueError: A value with a control character (CR/LF would end the header) or
            white space at either end, or a ``str`` value that is not ASCII.
    """
    if headers is not None and not isinstance(headers, Mapping):
        raise TypeError(
            f"headers must be a mapping of names to values, not {type(headers).__name__}"
        )
    checked: list[tuple[bytes, bytes]] = []
    for name, value in (headers or {}).items():
        if not isinstance(name, str) or not _TOKEN.fullmatch(name):
            raise ValueError(f"not a valid header name: {name!r}")
        if isinstance(value, str):
            try:
                raw = value.encode("ascii")
            except UnicodeEncodeError:
                raise ValueError(
                    f"header {name!r}: a str value must be ASCII; pass bytes (e.g. UTF-8)"
                ) from None
        elif isinstance(value, bytes):
            raw = value
        else:
            raise TypeError(f"header {name!r}: value must be str or bytes")
        if _HEADER_CONTROL.search(raw) or raw != raw.strip(b" \t"):
            raise ValueError(
                f"header {name!r}: value must not contain control characters (CR, LF, NUL...) "
                "or begin or end with white space"
            )
        checked.append((name.encode("ascii"), raw))
    return checked


def _check_listeners(listeners: Iterable[Listener]) -> tuple[Listener, ...]:
    checked = tuple(listeners)
    for listener in checked:
        if not callable(listener):
            raise TypeError(f"a listener must be callable, not {type(listener).__name__}")
        if inspect.iscoroutinefunction(listener) or inspect.iscoroutinefunction(
            getattr(listener, "__call__", None)  # noqa: B004  # an object with async __call__
        ):
            # It would be called and never awaited: every event lost, with a warning.
            raise TypeError("a listener must be a plain function (it is not awaited)")
    return checked


def _limiter_or_default(limiter: RateLimiter | _DefaultLimiter | None) -> RateLimiter | None:
    if limiter is _DefaultLimiter.DEFAULT:
        return SlidingWindowRateLimiter(60, 60.0)
    if limiter is not None and not isinstance(limiter, RateLimiter):
        raise TypeError(
            f"rate_limiter must be a RateLimiter (acquire, penalize) or None, "
            f"not {type(limiter).__name__}"
        )
    return limiter


def _check_auth(auth: object) -> httpx.Auth | None:
    # The message names the type only: a token passed by mistake must not be echoed.
    if auth is not None and not isinstance(auth, httpx.Auth):
        raise TypeError(
            f"auth must be an httpx.Auth (BearerAuth, SignedJWTAuth...) or None, "
            f"not {type(auth).__name__}"
        )
    return auth


def _check_retry_policy(policy: object) -> RetryPolicy:
    if policy is None:
        return RetryPolicy()
    if not isinstance(policy, RetryPolicy):
        raise TypeError(f"retry_policy must be a RetryPolicy, not {type(policy).__name__}")
    return policy


def _check_max_response_size(size: object) -> int | None:
    if size is None:
        return None
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"max_response_size must be a positive int or None, not {size!r}")
    return size


def _check_max_retries(max_retries: object) -> int:
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ValueError(f"max_retries must be an int >= 0, not {max_retries!r}")
    return max_retries


def _check_timeout(timeout: object) -> TimeoutTypes:
    if timeout is None:
        return timeout
    if isinstance(timeout, httpx.Timeout):
        phases = (timeout.connect, timeout.read, timeout.write, timeout.pool)
        if any(t is not None and not (math.isfinite(t) and t > 0) for t in phases):
            raise ValueError("an httpx.Timeout's limits must be positive numbers of seconds")
        return timeout
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, (int, float))
        or not (math.isfinite(timeout) and timeout > 0)
    ):
        raise ValueError(
            f"timeout must be a positive number of seconds, an httpx.Timeout or None, "
            f"not {timeout!r}"
        )
    return float(timeout)


def _check_deadline(deadline: float | None) -> float | None:
    if deadline is None:
        return None
    if isinstance(deadline, bool) or not isinstance(deadline, (int, float)) or not deadline > 0:
        raise ValueError(f"deadline must be a positive number of seconds, not {deadline!r}")
    return float(deadline)


#: The name of each endpoint namespace of `Client` (its cached properties).
NAMESPACES: Final = tuple(
    name for name, value in vars(Client).items() if isinstance(value, functools.cached_property)
)
