"""
Checking caller arguments before anything is sent, and building paths from them safely.
"""

from __future__ import annotations

import urllib.parse
import uuid
from typing import Any

__all__ = ["non_empty", "path", "uuid_arg"]


def uuid_arg(value: Any, name: str) -> uuid.UUID:
    """
    An id given as ``uuid.UUID`` or its string form.

    Raises:
        TypeError: Neither a UUID nor a string.
        ValueError: A string that is not a UUID (``"../account"`` included).
    """
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a UUID or str, not {type(value).__name__}")
    try:
        # Strict form only: uuid.UUID() also takes braces, "urn:uuid:" and no hyphens.
        parsed = uuid.UUID(value)
    except ValueError:
        raise ValueError(f"{name} must be a UUID, got {value[:80]!r}") from None
    if str(parsed) != value.lower():
        raise ValueError(f"{name} must be a UUID in its canonical form, got {value[:80]!r}")
    return parsed


def non_empty(value: Any, name: str) -> str:
    """
    A required string argument.

    Raises:
        TypeError: Not a string.
        ValueError: Empty or only white space.
    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{name} must not be empty")
    return value


def path(template: str, **segments: Any) -> str:
    """
    ``template`` with each ``{name}`` replaced by its percent-encoded segment.

    Every character outside RFC 3986's unreserved set is encoded (``/``, ``?``, ``#``, ``%``
    and ``.`` runs included, so ``..`` cannot climb), which keeps each argument inside its own
    path segment.
    """
    encoded: dict[str, str] = {}
    for key, value in segments.items():
        text = str(value)
        if text in ("", ".", ".."):
            raise ValueError(f"{key} is not a valid path segment: {text!r}")
        encoded[key] = urllib.parse.quote(text, safe="")
    return template.format(**encoded)
