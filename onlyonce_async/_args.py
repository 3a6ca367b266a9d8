"""
Checking caller arguments before anything is sent, and building paths from them safely.
"""

from __future__ import annotations

import re
import urllib.parse
import uuid
from collections.abc import AsyncIterable, Iterable
from typing import Any

__all__ = [
    "TemplatePath",
    "check_iterable",
    "flag",
    "header_token",
    "iterable_arg",
    "non_empty",
    "optional_str",
    "pass_phrase_arg",
    "password_arg",
    "path",
    "str_list",
    "uuid_arg",
    "uuid_list",
]


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


# C0 controls (NUL, tab, CR, LF...) and DEL: a trailing newline read from a file, say.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# What a header token (a bearer token, an API key) may hold: visible ASCII, no spaces.
_VISIBLE_ASCII = re.compile(r"[\x21-\x7e]+")


def password_arg(value: Any, name: str) -> str:
    """
    A credential sent in a JSON body (a password, a user name): any text but controls.

    The message of every error names ``name`` and never quotes the value.

    Raises:
        TypeError: Not a string.
        ValueError: Empty, with a control character (C0, DEL; CR/LF included), or not
            encodable as UTF-8 (a lone surrogate).
    """
    text = non_empty(value, name)
    if _CONTROL.search(text):
        raise ValueError(f"{name} must not contain control characters (CR, LF, tab, NUL...)")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{name} is not valid Unicode (it holds a lone surrogate)") from None
    return text


def pass_phrase_arg(value: Any, name: str) -> str:
    """
    A pass phrase: it travels in the ``Secret-Key`` header as its UTF-8 bytes.

    Non-ASCII is fine; what a header cannot carry intact is refused: control characters
    (CR/LF would end the header) and white space at either end (HTTP drops it).

    Raises:
        TypeError: Not a string.
        ValueError: As `password_arg`, or white space at the start or the end.
    """
    text = password_arg(value, name)
    if text != text.strip(" \t"):
        raise ValueError(f"{name} must not begin or end with white space")
    return text


def header_token(value: Any, name: str) -> str:
    """
    A token sent in a header as is (a bearer token, an API key): visible ASCII only.

    Raises:
        TypeError: Not a string.
        ValueError: Empty, or with a space, a control character or a non-ASCII character.
    """
    text = non_empty(value, name)
    if not _VISIBLE_ASCII.fullmatch(text):
        raise ValueError(
            f"{name} must be visible ASCII characters only (no spaces, line breaks, control "
            "or non-ASCII characters)"
        )
    return text


class TemplatePath(str):
    """
    A path built by `path`, remembering its template (``/profiles/{id}/cards``).

    It is a ``str`` everywhere; events and spans read ``.template`` to group calls by
    endpoint. Appending a string (``... + "/clone"``) appends to the template too.
    """

    template: str

    def __new__(cls, value: str, template: str) -> TemplatePath:
        """
        Args:
            value: The path, segments filled in.
            template: The template it was built from.
        """
        self = super().__new__(cls, value)
        self.template = template
        return self

    def __add__(self, other: str) -> TemplatePath:
        return TemplatePath(str.__add__(self, other), self.template + other)


def path(template: str, **segments: Any) -> TemplatePath:
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
    return TemplatePath(template.format(**encoded), template)


def flag(value: Any, name: str) -> bool:
    """
    A boolean argument (``1`` or ``"yes"`` are refused, not guessed at).

    Raises:
        TypeError: Not a ``bool``.
    """
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, not {type(value).__name__}")
    return value


def optional_str(value: Any, name: str) -> str | None:
    """
    An optional string argument: ``None`` (not sent) or a non-empty string.

    Raises:
        TypeError: Neither ``None`` nor a string.
        ValueError: An empty string.
    """
    return None if value is None else non_empty(value, name)


def uuid_list(values: Any, name: str) -> list[uuid.UUID]:
    """
    A non-empty iterable of ids, each a ``uuid.UUID`` or its string form.

    Raises:
        TypeError: Not an iterable (a lone string or UUID is refused), or an item that is
            neither a UUID nor a string.
        ValueError: No ids, or an item that is not a UUID.
    """
    items = iterable_arg(values, name)
    if not items:
        raise ValueError(f"{name} must not be empty")
    return [uuid_arg(item, f"{name}[{i}]") for i, item in enumerate(items)]


def str_list(values: Any, name: str) -> list[str]:
    """
    A non-empty iterable of non-empty strings (a lone string is refused, not split).

    Raises:
        TypeError: Not an iterable of strings.
        ValueError: No strings, or an empty one.
    """
    items = iterable_arg(values, name)
    if not items:
        raise ValueError(f"{name} must not be empty")
    return [non_empty(item, f"{name}[{i}]") for i, item in enumerate(items)]


def check_iterable(values: Any, name: str, *, async_too: bool = False) -> None:
    """
    Refuse an argument that is not an iterable (with ``async_too``, nor an async iterable).

    Raises:
        TypeError: Not one, or a lone string, bytes or UUID.
    """
    # A str is iterable, and iterating "abc" into ["a", "b", "c"] is never what was meant.
    kinds = (Iterable, AsyncIterable) if async_too else (Iterable,)
    if isinstance(values, (str, bytes, uuid.UUID)) or not isinstance(values, kinds):
        what = "an iterable or async iterable" if async_too else "an iterable"
        raise TypeError(f"{name} must be {what}, not {type(values).__name__}")


def iterable_arg(values: Any, name: str) -> list[Any]:
    """
    The items of an iterable argument, as a list.

    Raises:
        TypeError: Not an iterable, or a lone string, bytes or UUID.
    """
    check_iterable(values, name)
    return list(values)
