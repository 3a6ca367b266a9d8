"""
Test keys: generated at test time (once per session), never committed.

The session fixtures ``rsa_key`` and ``public_pem`` (`tests._support.fixtures`) hand out the
same key as `rsa_key()`, so a test may use either.
"""

from __future__ import annotations

import functools

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

__all__ = ["ec_key", "pem", "public_pem", "rsa_key"]


@functools.cache
def rsa_key(bits: int = 2048, *, name: str = "default") -> rsa.RSAPrivateKey:
    """
    A fresh RSA key, generated once per test session, size and name.

    Args:
        bits: The key size.
        name: Another name gives another key of the same size (e.g. "a key the server
            does not know").

    Returns:
        The private key.
    """
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


@functools.cache
def ec_key() -> ec.EllipticCurvePrivateKey:
    """
    A fresh P-256 key (which the SDK must refuse).

    Returns:
        The private key.
    """
    return ec.generate_private_key(ec.SECP256R1())


def pem(
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, password: bytes | None = None
) -> bytes:
    """
    ``key`` as PKCS#8 PEM, encrypted when a password is given.

    Args:
        key: The private key.
        password: Encrypt with it (best available encryption) when given.

    Returns:
        The PEM bytes.
    """
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def public_pem(key: rsa.RSAPrivateKey) -> bytes:
    """
    The SubjectPublicKeyInfo PEM of ``key``'s public half (what an API client registers).

    Args:
        key: The private key.

    Returns:
        The PEM bytes.
    """
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
