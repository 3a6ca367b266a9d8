"""
Who is calling: bearer tokens from ``/signIn`` and signed JWTs (the JWT-API protocol).

JWTs are checked in the reference server's order (JWTAPI.md): 102, 103, 100, 101, 104,
201, 202, 501, 502, each an HTTP 400 ``{"message", "code"}``. On top of the reference,
request-binding claims (``htm``, ``htu``, ``bsh``) are verified when present and a ``jti``
is accepted once; seen ``jti`` values are forgotten when their token expires, so the set
stays bounded by the request rate times the 60 s token lifetime.
"""

from __future__ import annotations

import hashlib
import heapq
import secrets
import urllib.parse
import uuid
from collections.abc import Iterable
from typing import Any, Final

import attrs
import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from starlette.requests import Request

from ._errors import ApiError, jwt_error
from ._records import Account
from ._state import Store

__all__ = ["BEARER_TTL", "ApiClientRecord", "Authenticator", "canonical_target"]

#: Seconds a bearer token from /signIn stays valid.
BEARER_TTL: Final = 24 * 3600.0
#: Tokens kept per account; signing in more often retires the oldest.
MAX_TOKENS_PER_ACCOUNT: Final = 100
#: The JWT-API token lifetime (``iat <= now < iat + 60``), with zero leeway.
JWT_LIFETIME: Final = 60
_DECODE_OPTIONS: Final[Any] = {
    "verify_signature": True,
    "verify_exp": False,  # time claims are checked below against the injected clock
    "verify_nbf": False,
    "verify_iat": False,
    "verify_aud": False,  # unknown claims are ignored, as by the reference server
    "verify_iss": False,
    "verify_sub": False,
    "verify_jti": False,
}
_UNRESERVED: Final = "-._~"


def canonical_target(raw_path: bytes, query: bytes) -> str:
    """
    The ``htu`` a request must carry: its path as received plus ``?`` and the canonical
    query (names and values RFC 3986-encoded, pairs sorted), when there is a query.
    """
    pairs = urllib.parse.parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    encoded = sorted(
        (urllib.parse.quote(name, safe=_UNRESERVED), urllib.parse.quote(value, safe=_UNRESERVED))
        for name, value in pairs
    )
    target = raw_path.decode("latin-1")
    if encoded:
        target += "?" + "&".join(f"{name}={value}" for name, value in encoded)
    return target


@attrs.define(eq=False)
class ApiClientRecord:
    """An API client the operator registered: its key, users, projects and IPs."""

    api_key: str = attrs.field(repr=False)
    public_key: RSAPublicKey = attrs.field(repr=False)
    users: set[int]
    projects: set[str]
    allowed_ips: set[str] | None
    enabled: bool = True


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


class Authenticator:
    """
    Bearer tokens, registered API clients and JWT verification for one sandbox.

    Args:
        store: The sandbox store (accounts, clock).
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._tokens: dict[str, tuple[uuid.UUID, float]] = {}
        self._by_account: dict[uuid.UUID, list[str]] = {}
        self.clients: dict[str, ApiClientRecord] = {}
        self._jtis: dict[str, float] = {}
        self._jti_expiry: list[tuple[float, str]] = []

    # -- bearer tokens ---------------------------------------------------------------------

    def issue_token(self, account: Account) -> str:
        """A new random bearer token (256 bits) for ``account``."""
        token = secrets.token_urlsafe(32)
        self._tokens[token] = (account.id, self._store.now() + BEARER_TTL)
        issued = self._by_account.setdefault(account.id, [])
        issued.append(token)
        while len(issued) > MAX_TOKENS_PER_ACCOUNT:
            self._tokens.pop(issued.pop(0), None)
        return token

    def revoke_tokens(self, account_id: uuid.UUID) -> None:
        """Invalidate every bearer token of an account."""
        for token in self._by_account.pop(account_id, []):
            self._tokens.pop(token, None)

    def _token_account(self, token: str) -> Account | None:
        entry = self._tokens.get(token)
        if entry is None:
            return None
        account_id, expires = entry
        account = self._store.accounts.get(account_id)
        if account is None or self._store.now() >= expires:
            self._tokens.pop(token, None)
            return None
        return account

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

    def rate_key(self, request: Request) -> str:
        """
        The credential a request counts against (unverified: only used to bucket).
        """
        token = _bearer(request)
        api_key = request.headers.get("api-key")
        if api_key is not None or (token is not None and token.count(".") == 2):
            user: object = None
            if token is not None:
                try:
                    claims = jwt.decode(token, options={"verify_signature": False})
                    user = claims.get("user")
                except jwt.PyJWTError:
                    user = None
            return f"jwt:{api_key}:{user!r}"
        account = None if token is None else self._token_account(token)
        if account is not None:
            return f"account:{account.id}"
        client = request.client
        return f"address:{client.host if client else 'unknown'}"

    def authenticate(self, request: Request, body: bytes) -> Account:
        """
        The account a request acts as.

        Raises:
            ApiError: 401 without (valid) credentials; a JWT-API 400 for a bad signed JWT.
        """
        token = _bearer(request)
        if request.headers.get("api-key") is not None or (token or "").count(".") == 2:
            return self._verify_jwt(request, token, body)
        if token is None:
            raise ApiError(401, {"message": "Authentication required"})
        account = self._token_account(token)
        if account is None:
            raise ApiError(401, {"message": "Invalid or expired token"})
        return account

    def _verify_jwt(self, request: Request, token: str | None, body: bytes) -> Account:
        api_key = request.headers.get("api-key")
        if not api_key:
            raise jwt_error(102, "No API key found on request")
        if token is None:
            raise jwt_error(103, "No Bearer token found on request")
        client = self.clients.get(api_key)
        if client is None:
            raise jwt_error(100, "Invalid API key")
        claims = self._decode(client, token)
        self._check_times(claims)
        self._check_binding(request, claims, body)
        jti = claims.get("jti")
        self._forget_expired_jtis()
        if jti is not None and (not isinstance(jti, str) or jti in self._jtis):
            raise jwt_error(101, "Token already used (jti)")
        now = self._store.now()
        iat = claims.get("iat")
        if not isinstance(iat, int) or isinstance(iat, bool):
            raise jwt_error(104, "Token could not be verified: iat must be an integer")
        if now >= iat + JWT_LIFETIME:
            raise jwt_error(104, "Token is expired")
        if not client.enabled:
            raise jwt_error(201, "Client not found")
        user = claims.get("user")
        account_id = self._store.by_user_id.get(user) if isinstance(user, int) else None
        if account_id is None or isinstance(user, bool) or user not in client.users:
            raise jwt_error(202, "User not found or not accessible by this API Client")
        project = claims.get("project")
        if not isinstance(project, str) or project not in client.projects:
            raise jwt_error(501, "No access to this project or invalid project")
        address = request.client.host if request.client else None
        if client.allowed_ips is not None and address not in client.allowed_ips:
            raise jwt_error(502, "No access from this IP")
        if isinstance(jti, str):
            expires = min(iat + JWT_LIFETIME, claims.get("exp", float("inf")))
            self._remember_jti(jti, expires)
        return self._store.accounts[account_id]

    def _decode(self, client: ApiClientRecord, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != "RS256":
                raise jwt.InvalidAlgorithmError("The specified alg value is not allowed")
            return jwt.decode(
                token, client.public_key, algorithms=["RS256"], options=_DECODE_OPTIONS
            )
        except jwt.PyJWTError as exc:
            # The decoder's message may quote the token (an unknown "crit" name); a lone
            # surrogate in it could not be encoded into the JSON response.
            message = str(exc).encode("utf-8", "replace").decode("utf-8")
            raise jwt_error(101, message or "Could not decode Bearer token") from None

    def _check_times(self, claims: dict[str, Any]) -> None:
        now = self._store.now()
        for name in ("iat", "nbf", "exp"):
            if name in claims and not _is_number(claims[name]):
                if name == "iat":
                    continue  # a non-integer iat is a 104, checked after decoding
                raise jwt_error(101, f"The {name} claim must be a number")
        if _is_number(claims.get("iat")) and claims["iat"] > now:
            raise jwt_error(101, f"Cannot handle token prior to {claims['iat']} (iat)")
        if _is_number(claims.get("nbf")) and claims["nbf"] > now:
            raise jwt_error(101, f"Cannot handle token prior to {claims['nbf']} (nbf)")
        if _is_number(claims.get("exp")) and now >= claims["exp"]:
            raise jwt_error(101, "Expired token")

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
