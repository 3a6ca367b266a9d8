"""
`Sandbox`: the public face of the in-memory Only Once server.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any, Final

import attrs

from .._args import pass_phrase_arg, password_arg
from .._client import Client
from .._ratelimit import SlidingWindowRateLimiter
from ._app import SandboxApp
from ._auth import Authenticator
from ._context import Context
from ._dictionaries import DICTIONARIES, DictionaryEntry
from ._limits import Faults, SandboxStats, SlidingWindow
from ._records import ShareRequestRecord
from ._routes_account import SignUp
from ._server import serve_tcp
from ._state import Store
from ._transport import SandboxTransport

__all__ = ["BASE_URL", "Sandbox", "SandboxUser"]

#: The base URL of clients wired in-process.
BASE_URL: Final = "https://sandbox.onlyonce.test/v2/"
_NETHERLANDS: Final = next(e for e in DICTIONARIES["country_field"] if e.value == "Netherlands")


@attrs.frozen(kw_only=True)
class SandboxUser:
    """
    An account created with `Sandbox.create_user`.

    Attributes:
        user_id: The account's integer id (the JWT ``user`` claim).
        profile_id: The account's PERSONAL profile.
        account_id: The account id.
        email: The sign-in name.
        password: The password.
        pass_phrase: The personal profile's pass phrase (the ``Secret-Key``).
    """

    user_id: int
    profile_id: uuid.UUID
    account_id: uuid.UUID
    email: str
    password: str = attrs.field(repr=False)
    pass_phrase: str = attrs.field(repr=False)


class Sandbox:
    """
    A stateful, in-memory Only Once API v2 server (an ASGI app) for tests and examples.

    Args:
        rate_limit: ``(limit, period)``: requests allowed per verified identity (an
            account, an API client acting as a user; else the client address) in any
            ``period`` seconds (429 with ``Retry-After`` beyond it); ``None`` for no limit.
        access_ttl: Seconds a profile's access (``POST /profiles/{id}/access``) lasts.
        clock: Unix time in seconds (default ``time.time``); inject one to test expiry and
            clock skew. When given it also drives the rate-limit window. Each reading must
            be a finite number within the years 1..9999: a request that meets a bad one is
            answered 500 with a message naming the clock.
        seed: Seeds ids and faults, so runs repeat.
        max_upload_bytes: Largest file upload accepted (413 beyond).

    Raises:
        ValueError: A non-positive ``access_ttl``/``max_upload_bytes``, a bad ``rate_limit``,
            or a ``clock`` whose first reading is not a finite Unix time.
    """

    def __init__(
        self,
        *,
        rate_limit: tuple[int, float] | None = (60, 60.0),
        access_ttl: float = 300.0,
        clock: Callable[[], float] | None = None,
        seed: int = 0,
        max_upload_bytes: int = 10 * 1024 * 1024,
    ) -> None:
        if access_ttl <= 0 or max_upload_bytes <= 0:
            raise ValueError("access_ttl and max_upload_bytes must be positive")
        self._clock = clock or time.time
        self._store = Store(seed, self._clock, access_ttl)
        self._auth = Authenticator(self._store)
        self.stats = SandboxStats()
        self._ctx = Context(self._store, self._auth, self.stats, max_upload_bytes)
        self._faults = Faults(seed)
        self._rate_limit = rate_limit
        limiter = None
        if rate_limit is not None:
            limit, period = rate_limit
            limiter = SlidingWindow(limit, float(period), clock or time.monotonic)
        self.app = SandboxApp(self._ctx, self._faults, limiter)
        self._sign_up = SignUp(self._ctx)

    @property
    def rate_limit(self) -> tuple[int, float] | None:
        """The ``(limit, period)`` the sandbox enforces, or ``None``."""
        return self._rate_limit

    def __repr__(self) -> str:
        return f"<Sandbox accounts={len(self._store.accounts)} rate_limit={self._rate_limit}>"

    # -- set-up shortcuts ------------------------------------------------------------------

    def create_user(
        self,
        *,
        email: str,
        password: str,
        pass_phrase: str,
        first_name: str = "Test",
        last_name: str = "User",
        country: uuid.UUID | None = None,
    ) -> SandboxUser:
        """
        Create an account directly in state (the same result as ``POST /signUp``).

        Args:
            email: The sign-in name (unique).
            password: The password.
            pass_phrase: The personal profile's pass phrase.
            first_name: First name.
            last_name: Last name.
            country: A ``country_field`` dictionary id (default: Netherlands).

        Returns:
            The `SandboxUser`: its credentials, ``user_id`` and personal ``profile_id``.

        Raises:
            ValueError: The email is taken (case-insensitively), a field ``/signUp``
                would refuse, or an email, password or pass phrase the SDK could not sign
                in or unlock with (a control character such as a trailing newline, a lone
                surrogate, a pass phrase with white space at either end). The message names
                the email or the field, never a password or pass phrase.
        """
        for value, name, check in (
            (email, "email", password_arg),
            (password, "password", password_arg),
            (pass_phrase, "pass_phrase", pass_phrase_arg),
        ):
            if isinstance(value, str) and value.strip():
                try:
                    check(value, name)
                except ValueError as exc:
                    raise ValueError(f"cannot create user: {exc}") from None
        if isinstance(email, str) and self._store.account_by_email(email) is not None:
            raise ValueError(f"cannot create user: the email {email!r} is taken")
        body: dict[str, Any] = {
            "email": email,
            "password": password,
            "passPhrase": pass_phrase,
            "firstName": first_name,
            "lastName": last_name,
            "country": str(country or _NETHERLANDS.id),
        }
        bad = self._sign_up.invalid_fields(body)
        if bad:
            raise ValueError(f"cannot create user: invalid fields {bad}")
        account = self._sign_up.create(body)
        return SandboxUser(
            user_id=account.user_id,
            profile_id=account.personal_profile_id,
            account_id=account.id,
            email=email,
            password=password,
            pass_phrase=pass_phrase,
        )

    def sign_in(self, user: SandboxUser) -> str:
        """
        A sign-in token for ``user`` (the same as ``POST /signIn``, without a request): a
        JWT naming a new session; treat it as opaque.

        Args:
            user: A user made by `create_user`.

        Returns:
            The bearer token, as ``BearerAuth(token)`` takes it.

        Raises:
            KeyError: The user's account was deleted.
        """
        return self._auth.issue_token(self._store.accounts[user.account_id])

    def register_api_client(
        self,
        *,
        api_key: str,
        public_key: str | bytes,
        users: Iterable[int],
        projects: Iterable[str] = (),
        allowed_ips: Iterable[str] | None = None,
    ) -> None:
        """
        Register a JWT-API client: its RSA public key (PEM) and what it may act as.

        Args:
            api_key: The ``API-Key`` header value.
            public_key: The RSA public key, PEM.
            users: User ids (`SandboxUser.user_id`) the client may act as (else 202).
            projects: ``project`` claims allowed (else 501).
            allowed_ips: Client addresses allowed (else 502); ``None`` allows any.

        Raises:
            ValueError: The key is not an RSA public key in PEM form.
        """
        self._auth.register(api_key, public_key, users, projects, allowed_ips)

    def disable_api_client(self, api_key: str) -> None:
        """
        Deactivate a client while its key stays registered: its tokens then get 201.

        Args:
            api_key: The key given to `register_api_client`.

        Raises:
            KeyError: No client has that key.
        """
        self._auth.clients[api_key].enabled = False

    # -- faults, inspection ----------------------------------------------------------------

    def faults(
        self,
        error_rate: float = 0.0,
        statuses: Iterable[int] = (500, 503),
        drop_after_commit: float = 0.0,
        latency: tuple[float, float] = (0.0, 0.0),
        seed: int | None = None,
    ) -> None:
        """
        Set (replace) fault injection; called with no arguments it turns faults off.

        Args:
            error_rate: Fraction of requests answered at once with a status from ``statuses``
                and ``{"message": "Injected fault"}``.
            statuses: The statuses to pick from.
            drop_after_commit: Fraction of requests handled in full (state changed) whose
                connection then fails instead of answering.
            latency: ``(low, high)`` seconds of uniform random delay before handling.
            seed: Seed of the fault decisions (default: the sandbox seed).

        Raises:
            ValueError: Rates outside 0..1, statuses outside 400..599, a bad latency range.
        """
        self._faults.configure(error_rate, tuple(statuses), drop_after_commit, latency, seed)

    def share_requests(self) -> list[ShareRequestRecord]:
        """
        Every share request ever created, oldest first, for tests that count duplicates.

        Requests that left the API's view with a deleted profile or account are still
        listed, with the status they had when it was deleted.

        Returns:
            A snapshot of each request (later changes do not show in it).
        """
        return [r.snapshot() for r in self._store.request_log]

    @staticmethod
    def dictionary(name: str) -> list[DictionaryEntry]:
        """
        The entries of a dictionary (``country_field``, ``gender_field``,
        ``legal_entity_type_field``).

        Args:
            name: The dictionary's field definition name.

        Returns:
            The entries, in their order.

        Raises:
            KeyError: Unknown dictionary.
        """
        return list(DICTIONARIES[name])

    @property
    def remembered_jtis(self) -> int:
        """How many JWT ``jti`` values the replay check currently remembers."""
        return self._auth.remembered_jtis

    # -- wiring ----------------------------------------------------------------------------

    def transport(self) -> SandboxTransport:
        """An httpx async transport that sends requests to this sandbox in-process."""
        return SandboxTransport(self.app)

    def client(self, **client_kwargs: Any) -> Client:
        """
        A `Client` wired to this sandbox in-process (base URL `BASE_URL`).

        Args:
            **client_kwargs: Any `Client` argument except ``base_url``, ``transport`` and
                ``http_client`` (``auth``, ``max_retries``, ``retry_policy``, ``timeout``,
                ``rate_limiter``, ...). Without ``rate_limiter`` the client gets a
                `SlidingWindowRateLimiter` matching the sandbox's limit (none without one).

        Returns:
            A new `Client`; close it (``async with``) when done.

        Raises:
            TypeError: ``base_url``, ``transport`` or ``http_client`` was passed.
        """
        for name in ("base_url", "transport", "http_client"):
            if name in client_kwargs:
                raise TypeError(f"Sandbox.client() sets {name} itself")
        if "rate_limiter" not in client_kwargs:
            client_kwargs["rate_limiter"] = (
                None if self._rate_limit is None else SlidingWindowRateLimiter(*self._rate_limit)
            )
        return Client(base_url=BASE_URL, transport=self.transport(), **client_kwargs)

    @contextlib.asynccontextmanager
    async def serve_tcp(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
        """
        Serve this sandbox over TCP with uvicorn while the block runs (asyncio only: uvicorn
        runs in the current asyncio event loop).

        Args:
            host: The address to bind.
            port: The port (0: a free one).

        Yields:
            The base URL, e.g. ``http://127.0.0.1:54321/v2/``.

        Raises:
            ValueError: ``port`` is not 0 to 65535.
            OSError: The address cannot be bound.
        """
        async with serve_tcp(self.app, host, port) as base_url:
            yield base_url
