"""
Who is calling: sign-in tokens from ``/signIn`` and signed JWTs (the JWT-API protocol).

The two schemes are told apart the way the JWT API does it: a request that carries an
``API-Key`` header is a JWT-API request; one without it presents a sign-in token.

Sign-in tokens are JWTs (HS512, signed with a secret of this sandbox, as the reference's
``Bearer eyJhbGciOiJIUzUxMiJ9...`` shows); each names a session that ``/signOut`` ends.
Clients must treat them as opaque.

Signed JWTs are checked in the reference server's order (JWTAPI.md): 102, 103, 100, 101,
104, 201, 202, 501, 502, each an HTTP 400 ``{"message", "code"}``; the header and the
token are read as the reference reads them (Laravel's ``bearerToken()``, php-jwt's
decoder in `._jws`), and the ``user`` claim is coerced as its database lookup does. On top
of the reference, request-binding claims (``htm``, ``htu``, ``bsh``) are verified when
present and a ``jti`` is accepted once; seen ``jti`` values are forgotten when their
token expires, so the set stays bounded by the request rate times the 60 s lifetime.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import re
import secrets
import uuid
from collections.abc import Iterable
from typing import Any, Final

import attrs
import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from starlette.requests import Request

from .._wire import canonical_target
from ._errors import ApiError, jwt_error
from ._jws import TokenRejected, decode_rs256, is_number
from ._records import Account
from ._state import Store

__all__ = ["BEARER_TTL", "ApiClientRecord", "Authenticator", "Identity", "canonical_target"]

#: Seconds a sign-in token from /signIn stays valid.
BEARER_TTL: Final = 24 * 3600.0
#: Sessions kept per account; signing in more often ends the oldest.
MAX_TOKENS_PER_ACCOUNT: Final = 100
#: The JWT-API token lifetime (``iat <= now < iat + 60``), with zero leeway.
JWT_LIFETIME: Final = 60
_SIGN_IN_ALG: Final = "HS512"
#: A ``user`` claim the reference's database lookup reads as an integer id.
_INTEGER_TEXT: Final = re.compile(r"\s*[+-]?[0-9]+\s*", re.ASCII)


@attrs.define(eq=False)
class ApiClientRecord:
    """An API client the operator registered: its key, users, projects and IPs."""

    api_key: str = attrs.field(repr=False)
    public_key: RSAPublicKey = attrs.field(repr=False)
    users: set[int]
    projects: set[str]
    allowed_ips: set[str] | None
    enabled: bool = True


@attrs.frozen
class Identity:
    """
    Who a request's credentials name, once verified, or why they were refused.

    Attributes:
        account: The verified account, or ``None`` when the credentials were refused.
        error: The answer for refused credentials (401, or a JWT-API 400).
        rate_key: The verified identity the request counts against (``None`` when refused).
        session: The sign-in session the token names (``None`` for signed JWTs).
    """

    account: Account | None = None
    error: ApiError | None = None
    rate_key: str | None = None
    session: str | None = attrs.field(default=None, repr=False)


def _sign_in_token(authorization: str) -> str | None:
    """The token of ``Authorization: Bearer <token>`` on the sign-in path (lenient)."""
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _reference_bearer(authorization: str | None) -> str | None:
    """
    The token as the reference server reads it (Laravel's ``Request::bearerToken()``):
    what follows the last ``"Bearer "`` (case-sensitive, one space), up to a comma; PHP
    treats ``""`` and ``"0"`` as no token.
    """
    if authorization is None:
        return None
    position = authorization.rfind("Bearer ")
    if position < 0:
        return None
    token = authorization[position + len("Bearer ") :].split(",", 1)[0]
    return token if token not in ("", "0") else None


def _user_id(value: object) -> int | None:
    """
    The ``user`` claim as the reference's lookup reads it: its database compares the
    claim with an integer column, so ``"1"``, ``1.0`` and ``true`` all find user 1.
    """
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and len(value) < 40 and _INTEGER_TEXT.fullmatch(value):
        return int(value)
    return None


class Authenticator:
    """
    Sign-in sessions, registered API clients and JWT verification for one sandbox.

    Args:
        store: The sandbox store (accounts, clock).
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._secret = secrets.token_bytes(64)
        # session id -> (account id, Unix time the session ends)
        self._sessions: dict[str, tuple[uuid.UUID, float]] = {}
        self._by_account: dict[uuid.UUID, list[str]] = {}
        self.clients: dict[str, ApiClientRecord] = {}
        self._jtis: dict[str, float] = {}
        self._jti_expiry: list[tuple[float, str]] = []

    # -- sign-in sessions ------------------------------------------------------------------

    def issue_token(self, account: Account) -> str:
        """
        A new sign-in token for ``account``: a JWT (HS512, this sandbox's secret) naming a
        new session.
        """
        now = self._store.now()
        session = secrets.token_urlsafe(32)
        claims = {
            "sub": str(account.id),
            "jti": session,
            "iat": int(now),
            "exp": int(now + BEARER_TTL),
        }
        token = jwt.encode(claims, self._secret, algorithm=_SIGN_IN_ALG, headers={"typ": None})
        self._sessions[session] = (account.id, now + BEARER_TTL)
        issued = self._by_account.setdefault(account.id, [])
        issued.append(session)
        while len(issued) > MAX_TOKENS_PER_ACCOUNT:
            self._sessions.pop(issued.pop(0), None)
        return token

    def end_session(self, session: str) -> None:
        """End one sign-in session (``/signOut``): its token gets 401 from now on."""
        entry = self._sessions.pop(session, None)
        if entry is not None:
            issued = self._by_account.get(entry[0], [])
            if session in issued:
                issued.remove(session)

    def revoke_tokens(self, account_id: uuid.UUID) -> None:
        """End every sign-in session of an account (password change, account deletion)."""
        for session in self._by_account.pop(account_id, []):
            self._sessions.pop(session, None)

    def _session(self, token: str) -> tuple[Account, str] | None:
        try:
            # The signature only: the session table decides on the sandbox's own clock
            # (PyJWT would judge iat and exp on the machine's, refusing every token of a
            # sandbox whose injected clock runs ahead).
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[_SIGN_IN_ALG],
                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
            )
        except jwt.PyJWTError:
            return None
        session = claims.get("jti")
        entry = self._sessions.get(session) if isinstance(session, str) else None
        if entry is None or not isinstance(session, str):
            return None
        account_id, expires = entry
        account = self._store.accounts.get(account_id)
        if account is None or self._store.now() >= expires:
            self.end_session(session)
            return None
        return account, session

    # -- API clients -----------------------------------------------------------------------

    def register(
        self,
        api_key: str,
        public_key: str | bytes,
        users: Iterable[int],
        projects: Iterable[str],
        allowed_ips: Iterable[str] | None,
    ) -> None:
        """
        Register an API client's RSA public key (PEM).

        Raises:
            ValueError: The key is not an RSA public key in PEM form, or ``api_key`` is empty.
        """
        if not api_key:
            raise ValueError("api_key must not be empty")
        pem = public_key.encode() if isinstance(public_key, str) else public_key
        key = load_pem_public_key(pem)
        if not isinstance(key, RSAPublicKey):
            raise ValueError("public_key must be an RSA public key")  # noqa: TRY004 - a bad value
        self.clients[api_key] = ApiClientRecord(
            api_key=api_key,
            public_key=key,
            users=set(users),
            projects=set(projects),
            allowed_ips=None if allowed_ips is None else set(allowed_ips),
        )

    # -- who is calling --------------------------------------------------------------------

    def identify(self, request: Request, body: bytes) -> Identity | None:
        """
        Verify a request's credentials, if it carries any.

        Args:
            request: The request (its headers, target and client address).
            body: The request body (``bsh`` binding).

        Returns:
            ``None`` without credentials (neither ``API-Key`` nor ``Authorization``), else
            the verified `Identity` or the error that refuses it.
        """
        api_key = request.headers.get("api-key")
        authorization = request.headers.get("authorization")
        if api_key is not None:
            try:
                account, user = self._verify_jwt(request, api_key, authorization, body)
            except ApiError as exc:
                return Identity(error=exc)
            return Identity(account=account, rate_key=f"jwt:{api_key}:{user}")
        if authorization is None:
            return None
        token = _sign_in_token(authorization)
        if token is None:
            return Identity(error=ApiError(401, {"message": "Authentication required"}))
        found = self._session(token)
        if found is None:
            return Identity(error=ApiError(401, {"message": "Invalid or expired token"}))
        account, session = found
        return Identity(account=account, rate_key=f"account:{account.id}", session=session)

    def _verify_jwt(
        self, request: Request, api_key: str, authorization: str | None, body: bytes
    ) -> tuple[Account, int]:
        token = _reference_bearer(authorization)
        if token is None:
            raise jwt_error(103, "No Bearer token found on request")
        client = self.clients.get(api_key)
        if client is None:
            raise jwt_error(100, "Invalid API key")
        now = self._store.now()
        try:
            claims = decode_rs256(token, client.public_key, now)
        except TokenRejected as exc:
            # The message may quote the token; a lone surrogate could not be sent as JSON.
            message = str(exc).encode("utf-8", "replace").decode("utf-8")
            raise jwt_error(101, message) from None
        self._check_binding(request, claims, body)
        jti = claims.get("jti")
        jti_key = None if jti is None else json.dumps(jti, sort_keys=True)
        self._forget_expired_jtis()
        if jti_key is not None and jti_key in self._jtis:
            raise jwt_error(101, "Token already used (jti)")
        iat = claims.get("iat")
        if not isinstance(iat, int) or isinstance(iat, bool):
            raise jwt_error(104, "Token could not be verified: iat must be an integer")
        if now >= iat + JWT_LIFETIME:
            raise jwt_error(104, "Token is expired")
        if not client.enabled:
            raise jwt_error(201, "Client not found")
        user = _user_id(claims.get("user"))
        account_id = None if user is None else self._store.by_user_id.get(user)
        if account_id is None or user not in client.users:
            raise jwt_error(202, "User not found or not accessible by this API Client")
        project = claims.get("project")
        if not isinstance(project, str) or project not in client.projects:
            raise jwt_error(501, "No access to this project or invalid project")
        address = request.client.host if request.client else None
        if client.allowed_ips is not None and address not in client.allowed_ips:
            raise jwt_error(502, "No access from this IP")
        if jti_key is not None:
            exp = claims.get("exp")
            expires = min(iat + JWT_LIFETIME, exp if is_number(exp) else float("inf"))
            self._remember_jti(jti_key, expires)
        return self._store.accounts[account_id], user

    def _check_binding(self, request: Request, claims: dict[str, Any], body: bytes) -> None:
        scope = request.scope
        expected = {
            "htm": request.method.upper(),
            "htu": canonical_target(scope.get("raw_path") or b"", scope.get("query_string", b"")),
            "bsh": hashlib.sha256(body).hexdigest(),
        }
        for name, value in expected.items():
            if name in claims and claims[name] != value:
                raise jwt_error(101, f"The {name} claim does not match the request")

    def _forget_expired_jtis(self) -> None:
        now = self._store.now()
        while self._jti_expiry and self._jti_expiry[0][0] <= now:
            _, old = heapq.heappop(self._jti_expiry)
            self._jtis.pop(old, None)

    def _remember_jti(self, jti: str, expires: float) -> None:
        self._jtis[jti] = expires
        heapq.heappush(self._jti_expiry, (expires, jti))

    @property
    def remembered_jtis(self) -> int:
        """How many ``jti`` values are currently remembered (for memory-bound tests)."""
        return len(self._jtis)
