"""
Query parameters: the one place the sandbox reads a query string, collecting 422s.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Final
from uuid import UUID

from starlette.datastructures import QueryParams

from ._validate import (
    DEFAULT_SIZE,
    MAX_DIGITS,
    MAX_ITEMS,
    MAX_SIZE,
    MAX_TEXT,
    Collector,
    parse_uuid,
)

__all__ = ["Query"]

#: ``name`` or ``name[]`` / ``name[<digits>]`` (the indexed form Node's ``qs`` sends).
_PARAM_NAME: Final = re.compile(r"(?P<name>[^\[\]]+)(?:\[(?P<index>[0-9]*)\])?")


class Query(Collector):
    """
    Typed access to query parameters, collecting errors: the one place the sandbox reads
    a query string.

    An array parameter arrives in any of three forms — repeated (``statuses=A&statuses=B``),
    comma-separated (``statuses=A,B``, split only when it is given once), or indexed as
    Node's ``qs`` sends it (``statuses[0]=A&statuses[1]=B``, also ``statuses[]=A``). A
    parameter the endpoint does not take, a plain parameter given twice or with an index,
    and a name that is not ``name`` or ``name[<digits>]`` are each a 422 naming it: nothing
    is ignored silently.

    Args:
        params: The request's query parameters.
        accepted: The names the endpoint takes.
        arrays: Which of them are arrays.
    """

    def __init__(
        self,
        params: QueryParams,
        accepted: Collection[str] = (),
        arrays: Collection[str] = (),
    ) -> None:
        super().__init__()
        self._accepted = frozenset(accepted) | frozenset(arrays)
        self._arrays = frozenset(arrays)
        self._values: dict[str, list[str]] = {}
        indexed: dict[str, list[tuple[int, int, str]]] = {}
        for position, (raw, value) in enumerate(params.multi_items()):
            match = _PARAM_NAME.fullmatch(raw)
            if match is None:
                self.add(raw, "is not a valid parameter name")
                continue
            name, index = match["name"], match["index"]
            if name not in self._accepted:
                self.add(raw, "is not a parameter of this endpoint")
            elif index is not None and name not in self._arrays:
                self.add(raw, f"{name} takes one value, not an array")
            elif index is not None:
                order = int(index) if index and len(index) <= MAX_DIGITS else position
                indexed.setdefault(name, []).append((order, position, value))
            elif name in self._values and name not in self._arrays:
                self.add(name, "must be given once")
            else:
                self._values.setdefault(name, []).append(value)
        for name in self._arrays:
            plain = self._values.get(name, [])
            if len(plain) == 1 and name not in indexed:
                plain = plain[0].split(",")
            ordered = [value for _, _, value in sorted(indexed.get(name, []))]
            values = [v for v in [*plain, *ordered] if v != ""]
            if len(values) > MAX_ITEMS:
                self.add(name, f"must have at most {MAX_ITEMS} values")
            self._values[name] = values[:MAX_ITEMS]

    def _one(self, name: str) -> str | None:
        if name not in self._accepted or name in self._arrays:  # pragma: no cover - a bug
            raise LookupError(f"{name} is not a plain parameter of this endpoint")
        values = self._values.get(name)
        return values[0] if values else None

    def text(self, name: str, *, required: bool = False) -> str | None:
        """A string parameter."""
        value = self._one(name)
        if value is None or value == "":
            if required:
                self.add(name, "is required")
            return None
        if len(value) > MAX_TEXT:
            self.add(name, f"must be at most {MAX_TEXT} characters")
            return None
        return value

    def uuid(self, name: str, *, required: bool = False) -> UUID | None:
        """A UUID parameter."""
        value = self.text(name, required=required)
        if value is None:
            return None
        parsed = parse_uuid(value)
        if parsed is None:
            self.add(name, "must be a UUID")
        return parsed

    def choice(
        self,
        name: str,
        allowed: Collection[str],
        *,
        required: bool = False,
        aliases: Mapping[str, str] | None = None,
    ) -> str | None:
        """An enumeration parameter; ``aliases`` maps accepted misspellings."""
        value = self.text(name, required=required)
        if value is None:
            return None
        value = (aliases or {}).get(value, value)
        if value not in allowed:
            self.add(name, f"must be one of {', '.join(sorted(allowed))}")
            return None
        return value

    def many(self, name: str, allowed: Collection[str] | None = None) -> list[str]:
        """An array parameter (any of the three forms), optionally restricted to ``allowed``."""
        if name not in self._arrays:  # pragma: no cover - a bug
            raise LookupError(f"{name} is not an array parameter of this endpoint")
        values = self._values.get(name, [])
        if allowed is not None and any(v not in allowed for v in values):
            self.add(name, f"each must be one of {', '.join(sorted(allowed))}")
            return []
        return values

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        """A bounded integer parameter."""
        raw = self._one(name)
        if raw is None or raw == "":
            return default
        if not raw.isascii() or not raw.isdigit() or len(raw) > MAX_DIGITS:
            self.add(name, "must be a non-negative integer")
            return default
        value = int(raw)
        if not low <= value <= high:
            self.add(name, f"must be between {low} and {high}")
            return default
        return value

    def page(self) -> tuple[int, int]:
        """The ``page`` (0-based) and ``size`` (1..100, default 20) parameters."""
        return (
            self.integer("page", 0, 0, 10**9),
            self.integer("size", DEFAULT_SIZE, 1, MAX_SIZE),
        )
