"""
`SignedJWTAuth`: the JWT API protocol (``JWTAPI.md``), a fresh RS256 token per attempt.

Every request httpx sends through this auth gets ``API-Key`` and ``Authorization: Bearer
<jwt>``, the token minted for that very attempt (so a retried request carries a new one).
Besides the reference claims (``iat``, ``iss``, ``user``, ``project``) the token carries
``exp``, a random ``jti``, and with ``bind_request`` the request it was made for:

- ``htm``: the method, upper case.
- ``htu``: the URL path exactly as sent (percent-encoding and base path included), then,
  when there is a query, ``?`` and the canonical query: every ``name=value`` pair decoded
  (``+`` and ``%XX``), each side re-encoded with RFC 3986 (only ``A-Z a-z 0-9 - . _ ~``
  left as is), the pairs sorted by encoded name then encoded value, joined by ``&``.
- ``bsh``: the lower-case hex SHA-256 of the body bytes sent (of ``b""`` without a body).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from collections.abc import AsyncGenerator, Generator, Mapping
from pathlib import Path
from typing import Any, Final

import httpx
import jwt
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from . import _wire
from ._args import header_token, non_empty
from ._body import read_body
from ._errors import InvalidTokenError, TokenExpiredError, error_from_response
from ._skew import ServerClock
from ._version import __version__

__all__ = [
    "DEFAULT_ISSUER",
    "MIN_KEY_BITS",
    "SignedJWTAuth",
    "canonical_target",
    "load_private_key",
]

DEFAULT_ISSUER: Final = f"onlyonce-async/{__version__}"
MIN_KEY_BITS: Final = 2048
#: Shortest allowed lifetime: ``iat`` may trail the server's clock by a few seconds.
MIN_LIFETIME: Final = 5
#: What the decoders say when ``iat`` (or ``nbf``) is in the server's future.
_NOT_YET_VALID = re.compile(r"prior to|not yet valid|\biat\b", re.IGNORECASE)


class SignedJWTAuth(httpx.Auth):
    """
    Signs every attempt with a fresh RS256 JWT (the JWT API protocol).

    Args:
        api_key: The API key the server operator issued for the public key.
        private_key: The RSA private key (at least 2048 bits): PEM text (``str``), PEM
            ``bytes``, or an ``os.PathLike`` naming a PEM file.
        user: The ``user`` claim (the integer user id), or ``None`` to leave it out.
        project: The ``project`` claim, or ``None`` to leave it out.
        password: The password of an encrypted PEM (``str`` or ``bytes``).
        lifetime: Seconds from ``iat`` to ``exp`` (at least 5; the reference server rejects
            tokens older than 60 s whatever ``exp`` says).
        claims: Further claims (e.g. ``aud``), merged last: like the reference client,
            a claim named here replaces the SDK's own (``iat``, ``jti``, ``htu``... included)
            on every token, so override those only on purpose.
        bind_request: Add ``htm``, ``htu`` and ``bsh`` (see the docs' Authentication page).
        issuer: The ``iss`` claim; by default ``onlyonce-async/<version>``.

    Raises:
        ValueError: The key cannot be loaded (bad PEM, wrong or missing password), is not
            RSA, or is smaller than 2048 bits; or an argument is out of range. No message
            contains a secret.
        TypeError: An argument of the wrong type.
    """

    # The body is hashed (bsh) and may be sent twice (the "not yet valid" retry).
    requires_request_body = True

    def __init__(
        self,
        api_key: str,
        private_key: str | bytes | os.PathLike[str] | os.PathLike[bytes],
        *,
        user: int | None = None,
        project: str | None = None,
        password: str | bytes | None = None,
        lifetime: int = 60,
        claims: Mapping[str, Any] | None = None,
        bind_request: bool = True,
        issuer: str = DEFAULT_ISSUER,
    ) -> None:
        self._api_key = header_token(api_key, "api_key")
        if user is not None and (isinstance(user, bool) or not isinstance(user, int)):
            raise TypeError(f"user must be an int, not {type(user).__name__}")
        if project is not None:
            non_empty(project, "project")
        if isinstance(lifetime, bool) or not isinstance(lifetime, int):
            raise TypeError(f"lifetime must be an int, not {type(lifetime).__name__}")
        if lifetime < MIN_LIFETIME:
            raise ValueError(f"lifetime must be at least {MIN_LIFETIME} seconds, not {lifetime}")
        self._claims = _check_claims(claims)
        self._key = load_private_key(private_key, password)
        self.user = user
        self.project = project
        self.lifetime = lifetime
        self.bind_request = bool(bind_request)
        self.issuer = non_empty(issuer, "issuer")
        self._server_clock = ServerClock()

    def __repr__(self) -> str:
        return (
            f"SignedJWTAuth(api_key=<set>, user={self.user!r}, project={self.project!r}, "
            f"bind_request={self.bind_request!r})"
        )

    def token_for(self, request: httpx.Request) -> str:
        """
        Mint the token for one attempt of ``request`` (whose body must have been read).

        Args:
            request: The request as it will be sent (its method, URL and body are bound into
                the token when ``bind_request`` is on).

        Returns:
            The compact JWS.
        """
        iat = self._server_clock.now()
        payload: dict[str, Any] = {"iat": iat, "iss": self.issuer}
        if self.user is not None:
            payload["user"] = self.user
        if self.project is not None:
            payload["project"] = self.project
        payload["exp"] = iat + self.lifetime
        payload["jti"] = secrets.token_urlsafe(24)
        if self.bind_request:
            payload["htm"] = request.method.upper()
            payload["htu"] = canonical_target(request.url)
            payload["bsh"] = hashlib.sha256(request.content).hexdigest()
        payload.update(self._claims)
        return jwt.encode(payload, self._key, algorithm="RS256", headers={"typ": "JWT"})

    def _sign(self, request: httpx.Request) -> None:
        request.headers["API-Key"] = self._api_key
        request.headers["Authorization"] = f"Bearer {self.token_for(request)}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """
        The synchronous flow (for a sync ``httpx.Client``): sign, send, learn the clock.

        Args:
            request: The request httpx is about to send; the flow adds its headers and yields it.
        """
        self._sign(request)
        response = yield request
        self._server_clock.observe(response)

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """
        Sign, send; on "token not yet valid" (code 101) correct the clock and retry once; on
        "expired" from a server whose ``Date`` shows its clock well ahead of the estimate
        (the token was too old on arrival), learn it and retry once.

        Args:
            request: The request httpx is about to send; the flow adds its headers and yields it.
        """
        await request.aread()
        self._sign(request)
        response = yield request
        if await _not_yet_valid(response):
            self._server_clock.correct(response)
        elif not (await _expired(response) and self._server_clock.learn(response)):
            self._server_clock.observe(response)
            return
        self._sign(request)
        response = yield request
        self._server_clock.observe(response)


async def _not_yet_valid(response: httpx.Response) -> bool:
    """Whether the server refused the token because its ``iat`` is in the server's future."""
    if response.status_code != 400:
        return False
    await read_body(response)
    error = error_from_response(response)
    if not isinstance(error, InvalidTokenError) or not error.message:
        return False
    return _NOT_YET_VALID.search(error.message) is not None


async def _expired(response: httpx.Response) -> bool:
    """Whether the server refused the token as expired (codes 101 and 104 alike)."""
    if response.status_code != 400:
        return False
    await read_body(response)
    return isinstance(error_from_response(response), TokenExpiredError)


def canonical_target(url: httpx.URL) -> str:
    """
    The ``htu`` claim of ``url``: its path as sent, plus ``?`` and the canonical query.

    Args:
        url: The URL as it will be sent.

    Returns:
        The claim, by the vocabulary's one rule (`onlyonce_async._wire.canonical_target`).
    """
    raw_path, _, _ = url.raw_path.partition(b"?")
    return _wire.canonical_target(raw_path, url.query)


def _check_claims(claims: Mapping[str, Any] | None) -> dict[str, Any]:
    if claims is None:
        return {}
    if not isinstance(claims, Mapping):
        raise TypeError(f"claims must be a mapping, not {type(claims).__name__}")
    checked = dict(claims)
    for name in checked:
        if not isinstance(name, str):
            raise TypeError(f"claim names must be str, not {type(name).__name__}")
    try:
        json.dumps(checked, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError("claims must be JSON-serializable") from exc
    return checked


def load_private_key(
    private_key: str | bytes | os.PathLike[str] | os.PathLike[bytes],
    password: str | bytes | None = None,
) -> rsa.RSAPrivateKey:
    """
    Load an RSA private key of at least 2048 bits from PEM text, bytes or a file.

    Args:
        private_key: PEM ``str``/``bytes``, or an ``os.PathLike`` naming a PEM file.
        password: The password of an encrypted PEM; an empty one counts as none.

    Returns:
        The key.

    Raises:
        ValueError: Unreadable file or PEM, wrong or missing password, a non-RSA key, or
            fewer than 2048 bits. The message never contains the key or the password.
        TypeError: ``private_key`` or ``password`` of the wrong type.
    """
    data = _pem_bytes(private_key)
    if isinstance(password, str):
        try:
            password = password.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("password is not valid Unicode (it holds a lone surrogate)") from None
    elif password is not None and not isinstance(password, bytes):
        raise TypeError(f"password must be str or bytes, not {type(password).__name__}")
    if not password:
        # cryptography treats an empty password as none given (no key is encrypted with
        # one), so do the same: the messages below then match what cryptography saw.
        password = None
    try:
        key = serialization.load_pem_private_key(data, password=password)
    except TypeError:
        # cryptography: a password for an unencrypted key, or none for an encrypted one.
        if password is None:
            raise ValueError("the private key is encrypted: pass its password") from None
        raise ValueError("the private key is not encrypted: pass no password") from None
    except ValueError:
        # Wrong password and malformed PEM look alike to cryptography; say both, quote none.
        raise ValueError(
            "could not load the private key: not a valid PEM private key, or wrong password"
        ) from None
    except UnsupportedAlgorithm:
        raise ValueError("could not load the private key: unsupported key type") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        # A bad key *value* (the contract says ValueError), not a bad argument type.
        raise ValueError(  # noqa: TRY004
            f"the private key must be RSA (RS256), not {type(key).__name__.lstrip('_')}"
        )
    if key.key_size < MIN_KEY_BITS:
        raise ValueError(
            f"the RSA key has {key.key_size} bits; at least {MIN_KEY_BITS} are required"
        )
    return key


def _pem_bytes(private_key: str | bytes | os.PathLike[str] | os.PathLike[bytes]) -> bytes:
    if isinstance(private_key, os.PathLike):
        try:
            return Path(os.fsdecode(private_key)).read_bytes()
        except OSError as exc:
            raise ValueError(f"could not read the private key file: {exc.strerror}") from None
    if isinstance(private_key, str):
        if "-----BEGIN" not in private_key:
            raise ValueError("private_key text is not PEM; to load a file, pass a pathlib.Path")
        return private_key.encode("utf-8")
    if isinstance(private_key, bytes):
        return private_key
    raise TypeError(
        f"private_key must be PEM str/bytes or a path, not {type(private_key).__name__}"
    )
