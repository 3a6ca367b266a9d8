"""
Test keys (generated at test time, never committed) and an independent JWT API verifier.

The verifier checks tokens the way JWTAPI.md's reference server does (zero leeway), with
`cryptography` directly over the base64url ``header.payload`` — not with PyJWT, which the
SDK itself uses to sign.
"""

from __future__ import annotations

import base64
import email.utils
import functools
import hashlib
import json
import math
import time
from typing import Any

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from onlyonce_async._wire import canonical_target

API_KEY = "ak_live_5f2c9e7d1b3a4c6e8f0a2b4d6c8e0f1a"


@functools.cache
def rsa_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    """A fresh RSA key, generated once per test session and size."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


@functools.cache
def ec_key() -> ec.EllipticCurvePrivateKey:
    """A fresh P-256 key (which the SDK must refuse)."""
    return ec.generate_private_key(ec.SECP256R1())


def pem(
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, password: bytes | None = None
) -> bytes:
    """``key`` as PKCS#8 PEM, encrypted when a password is given."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def b64decode(segment: str) -> bytes:
    """Decode one base64url JWS segment (unpadded)."""
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


class TokenError(Exception):
    """A token the verifier refuses; ``code`` and message as the reference server answers."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def decode_and_verify(
    token: str, public_key: rsa.RSAPublicKey
) -> tuple[dict[str, Any], dict[str, Any]]:
    """
    The (header, claims) of an RS256 token whose signature verifies.

    Raises:
        TokenError: Malformed, wrong algorithm or a bad signature (code 101).
    """
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError(101, "Wrong number of segments")
    header = json.loads(b64decode(parts[0]))
    claims = json.loads(b64decode(parts[1]))
    if header.get("alg") != "RS256":
        raise TokenError(101, "Algorithm not allowed")
    try:
        public_key.verify(
            b64decode(parts[2]),
            f"{parts[0]}.{parts[1]}".encode("ascii"),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except InvalidSignature:
        raise TokenError(101, "Signature verification failed") from None
    return header, claims


def canonical(url: httpx.URL) -> str:
    """The expected ``htu``: the vocabulary's one rule, applied to the URL as received."""
    return canonical_target(url.raw_path.split(b"?")[0], url.query)


class JWTServer:
    """
    A fake JWT API server: verifies every token (zero leeway), answers 400 {message, code}.

    Args:
        public_key: The registered public key.
        skew: Seconds the server's clock is ahead of the local one (negative: behind).
    """

    def __init__(self, public_key: rsa.RSAPublicKey, *, skew: float = 0.0) -> None:
        self.public_key = public_key
        self.skew = skew
        self.jtis: set[str] = set()
        self.accepted: list[tuple[dict[str, Any], int]] = []  # (claims, server int time)
        self.received: list[httpx.Request] = []
        self.refusals: list[tuple[int, str]] = []
        self.script: list[httpx.Response] = []  # answers to give before verifying

    def now(self) -> float:
        """The server's clock."""
        return time.time() + self.skew

    def _answer(self, status: int, body: Any) -> httpx.Response:
        date = email.utils.formatdate(self.now(), usegmt=True)
        return httpx.Response(status, json=body, headers={"Date": date})

    def handler(self, request: httpx.Request) -> httpx.Response:
        """Verify the request's token and answer."""
        self.received.append(request)
        try:
            claims, server_now = self.verify(request)
        except TokenError as exc:
            self.refusals.append((exc.code, str(exc)))
            return self._answer(400, {"message": str(exc), "code": exc.code})
        if self.script:
            scripted = self.script.pop(0)
            scripted.headers["Date"] = email.utils.formatdate(self.now(), usegmt=True)
            return scripted
        self.accepted.append((claims, server_now))
        return self._answer(200, {"ok": True})

    def verify(self, request: httpx.Request) -> tuple[dict[str, Any], int]:
        """Check one request as the reference server (and the binding claims)."""
        if request.headers.get("API-Key") != API_KEY:
            raise TokenError(102, "No API key found on request")
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or not token:
            raise TokenError(103, "No Bearer token found on request")
        header, claims = decode_and_verify(token, self.public_key)
        assert header == {"alg": "RS256", "typ": "JWT"}
        server_now = math.floor(self.now())
        iat = claims["iat"]
        if iat > server_now:
            raise TokenError(101, f"Cannot handle token prior to {iat}")
        if not server_now < iat + 60:
            raise TokenError(104, "Token is expired")
        if "exp" in claims and server_now >= claims["exp"]:
            raise TokenError(101, "Expired token")
        if "jti" in claims:
            if claims["jti"] in self.jtis:
                raise TokenError(104, "Token replayed")
            self.jtis.add(claims["jti"])
        if "htm" in claims:
            assert claims["htm"] == request.method
            assert claims["htu"] == canonical(request.url)
            assert claims["bsh"] == hashlib.sha256(request.content).hexdigest()
        return claims, server_now
