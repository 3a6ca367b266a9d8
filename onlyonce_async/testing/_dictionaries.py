"""
The fixed dictionaries behind ``/dictionaries``: countries, genders, legal entity types.

Entry ids are ``uuid5(NAMESPACE, "<fieldDefinitionName>:<value>")``, so they are the same
in every sandbox, every run and every process; tests can hard-code them or look them up
with `Sandbox.dictionary`.
"""

from __future__ import annotations

import uuid
from typing import Any, Final

import attrs

__all__ = ["DICTIONARIES", "NAMESPACE", "DictionaryEntry", "entry_by_id"]

NAMESPACE: Final = uuid.UUID("9b1f4c52-6a0e-4a53-8f7e-0e2c1d3a5b60")

_VALUES: Final[dict[str, tuple[str, ...]]] = {
    "country_field": (
        "Belgium",
        "Canada",
        "France",
        "Germany",
        "India",
        "Italy",
        "Japan",
        "Netherlands",
        "Poland",
        "Spain",
        "United Kingdom",
        "United States",
    ),
    "gender_field": ("Female", "Male", "Other"),
    "legal_entity_type_field": (
        "Sole proprietorship",
        "Partnership",
        "Private limited company",
        "Public limited company",
        "Foundation",
        "Association",
    ),
}


@attrs.frozen
class DictionaryEntry:
    """
    One predefined value: ``{"id", "order", "value"}`` on the wire.

    Attributes:
        id: The entry's stable id (what ``country``, ``gender`` and the like take).
        order: Its position in the dictionary.
        value: Its display text.
    """

    id: uuid.UUID
    order: int
    value: str

    def to_wire(self) -> dict[str, Any]:
        """The JSON form."""
        return {"id": str(self.id), "order": self.order, "value": self.value}


DICTIONARIES: Final[dict[str, tuple[DictionaryEntry, ...]]] = {
    name: tuple(
        DictionaryEntry(uuid.uuid5(NAMESPACE, f"{name}:{value}"), order, value)
        for order, value in enumerate(values)
    )
    for name, values in _VALUES.items()
}

_BY_ID: Final = {entry.id: entry for entries in DICTIONARIES.values() for entry in entries}


def entry_by_id(name: str, entry_id: uuid.UUID) -> DictionaryEntry | None:
    """
    The entry ``entry_id`` of dictionary ``name``, or ``None``.
    """
    entry = _BY_ID.get(entry_id)
    return entry if entry is not None and entry in DICTIONARIES.get(name, ()) else None
