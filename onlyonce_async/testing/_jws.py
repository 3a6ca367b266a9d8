"""
Decoding a JWT-API token the way the reference verifier does (firebase/php-jwt v5.5.1).

The reference server hands the bearer token to ``JWT::decode($token, $key, ['RS256'])``.
This module repeats that decoder's steps and messages, so a token gets the same verdict
here as there: three segments, lenient base64url (characters outside the alphabet are
skipped), JSON header and claims, a non-empty ``alg`` that must be RS256, the RSA
signature, then ``nbf``, ``iat`` and ``exp`` against the clock with zero leeway. Header
parameters it does not know — ``crit`` included — are ignored, as by the reference.

Where the reference's verdict comes from PHP's loose comparison of a time claim that is
not a number (``"exp": "never"`` never expires; ``"exp": true`` always has), the sandbox
refuses the token and names the claim instead (docs/api-notes.md); ``null`` counts as
absent, as PHP's ``isset`` has it.
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from typing import Any, Final, TypeGuard

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.hashes import SHA256

from ._validate import loads

__all__ = ["TokenRejected", "decode_rs256", "is_number"]

#: Every ``alg`` php-jwt 5.5.1 knows; others are "Algorithm not supported".
_SUPPORTED: Final = frozenset(
    {"ES384", "ES256", "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "EdDSA"}
)
_NOT_BASE64: Final = re.compile(r"[^A-Za-z0-9+/]")
_URLSAFE: Final = str.maketrans("-_", "+/")


class TokenRejected(Exception):
    """The decoder refused the token; the message is the reference decoder's (code 101)."""


def is_number(value: object) -> TypeGuard[float]:
    """Whether a claim value is a JSON number (booleans are not)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _b64(segment: str) -> bytes:
    # PHP's base64_decode (non-strict) skips characters outside the alphabet.
    cleaned = _NOT_BASE64.sub("", segment.translate(_URLSAFE))
    if len(cleaned) % 4 == 1:
        cleaned = cleaned[:-1]  # a lone trailing sextet carries no whole byte
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4))
    except (binascii.Error, ValueError):  # pragma: no cover - the input is cleaned above
        return b""


def _json(segment: str) -> Any:
    try:
        return loads(_b64(segment).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


def _empty(value: object) -> bool:
    """PHP's ``empty()`` for a decoded JSON value."""
    return value in (None, False, 0, "", "0") or value == [] or value == {}


def _iso8601(value: float) -> str:
    """PHP's ``date(DateTime::ISO8601, $value)`` in UTC (the number itself past year 9999)."""
    try:
        return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(value))
    except (OverflowError, OSError, ValueError):
        return str(value)


def _time_claim(claims: dict[str, Any], name: str) -> float | None:
    """A time claim as a number, ``None`` when absent or null; refuses any other type."""
    value = claims.get(name)
    if value is None or is_number(value):
        return value
    kind = {bool: "a boolean", str: "a string", list: "an array", dict: "an object"}
    raise TokenRejected(
        f"The {name} claim must be a NumericDate (a number), not {kind.get(type(value), 'that')}"
    )


def decode_rs256(token: str, key: RSAPublicKey, now: float) -> dict[str, Any]:
    """
    The claims of an RS256 token signed with ``key``, checked as php-jwt 5.5.1 checks them.

    Args:
        token: The bearer token, exactly as it followed ``Bearer `` in the header.
        key: The API client's registered public key.
        now: The sandbox clock's Unix time.

    Returns:
        The claims (an empty dict when the claims segment is JSON but not an object).

    Raises:
        TokenRejected: With the reference decoder's message.
    """
    segments = token.split(".")
    if len(segments) != 3:
        raise TokenRejected("Wrong number of segments")
    head64, body64, sig64 = segments
    header = _json(head64)
    if header is None:
        raise TokenRejected("Invalid header encoding")
    claims = _json(body64)
    if claims is None:
        raise TokenRejected("Invalid claims encoding")
    alg = header.get("alg") if isinstance(header, dict) else None
    if _empty(alg):
        raise TokenRejected("Empty algorithm")
    if not isinstance(alg, str) or alg not in _SUPPORTED:
        raise TokenRejected("Algorithm not supported")
    if alg != "RS256":
        raise TokenRejected("Algorithm not allowed")
    signing_input = f"{head64}.{body64}".encode("latin-1", "replace")
    try:
        key.verify(_b64(sig64), signing_input, PKCS1v15(), SHA256())
    except InvalidSignature:
        raise TokenRejected("Signature verification failed") from None
    if not isinstance(claims, dict):
        return {}
    nbf = _time_claim(claims, "nbf")
    if nbf is not None and nbf > now:
        raise TokenRejected(f"Cannot handle token prior to {_iso8601(nbf)}")
    iat = claims.get("iat")
    if is_number(iat) and iat > now:
        raise TokenRejected(f"Cannot handle token prior to {_iso8601(iat)}")
    exp = _time_claim(claims, "exp")
    if exp is not None and now >= exp:
        raise TokenRejected("Expired token")
    return claims
