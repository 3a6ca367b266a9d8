"""
Request validation: JSON bodies and path ids, collected into 422s (query parameters: see
`._query`).

A validator collects every problem before answering, so one 422 names every bad field
(``{"message": "Validation failed", "errors": {field: [...]}}``). Nothing here lets bad
input through to a handler as an exception: malformed JSON, deep nesting, huge numbers,
NaN, wrong types and non-UUID ids all end up as field errors.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any, Final, TypeVar
from uuid import UUID

from .._paging import PageBody
from .._wire import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from ._errors import validation_error
from ._shape import Shape

__all__ = [
    "DEFAULT_SIZE",
    "MAX_DIGITS",
    "MAX_ITEMS",
    "MAX_SIZE",
    "MAX_TEXT",
    "Collector",
    "Fields",
    "body_array",
    "loads",
    "paginate",
    "parse_json",
    "parse_uuid",
    "path_uuid",
    "present",
]

#: Longest string a field may hold; bounds memory per field.
MAX_TEXT: Final = 10_000
#: Longest list a body may carry (field ids, request ids, datastore items).
MAX_ITEMS: Final = 1_000
DEFAULT_SIZE: Final = DEFAULT_PAGE_SIZE
MAX_SIZE: Final = MAX_PAGE_SIZE
#: A page object, as the SDK reads it.
_PAGE: Final = Shape(PageBody)
MAX_DIGITS: Final = 12
_T = TypeVar("_T")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class _LoneSurrogate(ValueError):
    """A ``\\uD800``-style escape without its pair: no UTF-8 response could carry it."""


def _has_lone_surrogate(value: Any) -> bool:
    # Iterative: the parser already accepted the nesting, a recursive walk might not.
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def loads(text: str) -> Any:
    """
    Decode JSON text strictly: no NaN/Infinity, and no lone surrogate escapes (a string
    holding one would be stored, then make every response that shows it fail to encode).

    Raises:
        ValueError: Malformed JSON (incl. integers past the int-string limit), NaN or
            Infinity, or a lone surrogate.
        RecursionError: Nesting deep enough to exhaust the parser.
    """
    value = json.loads(text, parse_constant=_reject_constant)
    # Text decoded from UTF-8 holds no surrogates, so only a \u escape can bring one in.
    if "\\u" in text and _has_lone_surrogate(value):
        raise _LoneSurrogate("lone surrogate")
    return value


def parse_json(body: bytes) -> Any:
    """
    Decode a request body as JSON.

    Raises:
        ApiError: 422 ``errors.body`` for an empty, non-UTF-8, malformed, too deeply
            nested, NaN/Infinity-carrying or lone-surrogate-carrying body.
    """
    if not body.strip():
        raise validation_error({"body": ["a JSON body is required"]})
    try:
        return loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        # ValueError covers JSONDecodeError and integers past the int-string limit;
        # RecursionError is what deeply nested arrays raise.
        if isinstance(exc, RecursionError):
            reason = "nested too deeply"
        elif isinstance(exc, _LoneSurrogate):
            reason = "holds a lone surrogate escape (invalid Unicode)"
        else:
            reason = "malformed JSON"
        raise validation_error({"body": [reason]}) from None


def parse_uuid(value: object) -> UUID | None:
    """
    The UUID in ``value`` when it is a canonical UUID string, else ``None``.
    """
    if not isinstance(value, str) or len(value) != 36:
        return None
    try:
        return UUID(value)
    except ValueError:
        return None


def path_uuid(params: Mapping[str, Any], name: str) -> UUID:
    """
    A path segment that must be a UUID.

    Raises:
        ApiError: 422 naming the segment.
    """
    parsed = parse_uuid(params.get(name))
    if parsed is None:
        raise validation_error({name: ["must be a UUID"]})
    return parsed


def present(value: _T | None) -> _T:
    """
    A value a validator already required (narrows ``T | None`` after `Fields.check`).

    Raises:
        ApiError: 422, should a caller use it on a value that was not required.
    """
    if value is None:
        raise validation_error({"body": ["incomplete request"]})
    return value


class Collector:
    """
    Field errors collected while validating, raised together as one 422 by `check`.

    Args:
        errors: A shared error dict (for nested objects and array items).
        prefix: Prepended to field names in errors.
    """

    def __init__(self, errors: dict[str, list[str]] | None = None, prefix: str = "") -> None:
        self.errors: dict[str, list[str]] = {} if errors is None else errors
        self._prefix = prefix

    def add(self, name: str, message: str) -> None:
        """Record a problem with field ``name``."""
        self.errors.setdefault(self._prefix + name, []).append(message)

    def check(self) -> None:
        """
        Raise the collected problems, if any.

        Raises:
            ApiError: 422 with every collected field error.
        """
        if self.errors:
            raise validation_error(self.errors)


class Fields(Collector):
    """
    Typed access to the members of a JSON object body, collecting errors.

    Args:
        data: The decoded body (anything; a non-object is itself an error).
        errors: A shared error dict (for nested objects and array items).
        prefix: Prepended to field names in errors (``"recipient."``, ``"[0]."``).
    """

    def __init__(
        self, data: Any, errors: dict[str, list[str]] | None = None, prefix: str = ""
    ) -> None:
        super().__init__(errors, prefix)
        self.ok = isinstance(data, dict)
        self.data: dict[str, Any] = data if isinstance(data, dict) else {}
        if not self.ok and not prefix:
            # Nested objects and array items are reported by whoever wraps them.
            self.add("body", "must be a JSON object")

    def _present(self, name: str, required: bool) -> bool:
        if self.data.get(name) is not None:
            return True
        if required and self.ok:
            self.add(name, "is required")
        return False

    def text(self, name: str, *, required: bool = True, empty: bool = False) -> str | None:
        """A string member (non-empty unless ``empty``), at most `MAX_TEXT` characters."""
        if not self._present(name, required):
            return None
        value = self.data[name]
        if not isinstance(value, str):
            self.add(name, "must be a string")
        elif not value.strip() and not empty:
            self.add(name, "must not be empty")
        elif len(value) > MAX_TEXT:
            self.add(name, f"must be at most {MAX_TEXT} characters")
        else:
            return value
        return None

    def boolean(self, name: str, *, required: bool = False) -> bool | None:
        """A boolean member."""
        if not self._present(name, required):
            return None
        value = self.data[name]
        if isinstance(value, bool):
            return value
        self.add(name, "must be a boolean")
        return None

    def uuid(self, name: str, *, required: bool = True) -> UUID | None:
        """A UUID-string member."""
        if not self._present(name, required):
            return None
        parsed = parse_uuid(self.data[name])
        if parsed is None:
            self.add(name, "must be a UUID")
        return parsed

    def choice(self, name: str, allowed: Collection[str], *, required: bool = True) -> str | None:
        """A string member that must be one of ``allowed``."""
        value = self.text(name, required=required)
        if value is not None and value not in allowed:
            self.add(name, f"must be one of {', '.join(sorted(allowed))}")
            return None
        return value

    def items(self, name: str, *, required: bool = True) -> list[Any] | None:
        """An array member of at most `MAX_ITEMS` items."""
        if not self._present(name, required):
            return None
        value = self.data[name]
        if not isinstance(value, list):
            self.add(name, "must be an array")
        elif len(value) > MAX_ITEMS:
            self.add(name, f"must have at most {MAX_ITEMS} items")
        else:
            return value
        return None

    def uuid_list(self, name: str, *, required: bool = True) -> list[UUID] | None:
        """An array member of UUID strings."""
        values = self.items(name, required=required)
        if values is None:
            return None
        parsed = [parse_uuid(v) for v in values]
        if any(p is None for p in parsed):
            self.add(name, "must be an array of UUIDs")
            return None
        return [p for p in parsed if p is not None]

    def nested(self, name: str, *, required: bool = True) -> Fields | None:
        """An object member, validated with the same error dict."""
        if not self._present(name, required):
            return None
        if not isinstance(self.data[name], dict):
            self.add(name, "must be a JSON object")
            return None
        return Fields(self.data[name], self.errors, f"{self._prefix}{name}.")


def body_array(data: Any, errors: dict[str, list[str]]) -> list[Fields]:
    """
    A JSON array body of objects, each wrapped in `Fields` with an ``[i].`` prefix.
    """
    if not isinstance(data, list):
        errors.setdefault("body", []).append("must be a JSON array")
        return []
    if len(data) > MAX_ITEMS:
        errors.setdefault("body", []).append(f"must have at most {MAX_ITEMS} items")
        return []
    items = []
    for index, item in enumerate(data):
        fields = Fields(item, errors, f"[{index}].")
        if not fields.ok:
            errors.setdefault(f"[{index}]", []).append("must be a JSON object")
        items.append(fields)
    return items


def paginate(items: list[Any], page: int, size: int) -> dict[str, Any]:
    """
    The paginated body ``{"last", "total", "content"}`` for one page of ``items``.
    """
    start = page * size
    content = items[start : start + size]
    return _PAGE(last=start + size >= len(items), total=len(items), content=content)
