"""
The fixed dictionaries behind ``/dictionaries``: countries, genders, legal entity types.

Entry ids are the API reference's where its examples give one, else
``uuid5(NAMESPACE, "<fieldDefinitionName>:<value>")``, so they are the same in every
sandbox, every run and every process; tests can hard-code them or look them up with
`Sandbox.dictionary`.
"""

from __future__ import annotations

import uuid
from typing import Final

from .._endpoints.support import DictionaryEntry

__all__ = ["DICTIONARIES", "NAMESPACE", "DictionaryEntry", "entry_by_id"]

NAMESPACE: Final = uuid.UUID("9b1f4c52-6a0e-4a53-8f7e-0e2c1d3a5b60")

# Each dictionary in its order. The ids the API reference's examples use are the
# reference's own (Afghanistan and Albania first, as its /dictionaries example shows); the
# reference names no value for the other example ids, so the sandbox gives them values new
# to its lists (docs/api-notes.md). Every other id is uuid5(NAMESPACE, "<name>:<value>").
_VALUES: Final[dict[str, tuple[tuple[str, str | None], ...]]] = {
    "country_field": (
        ("Afghanistan", "88e43225-4127-4092-bf6a-3b4e0a67f8bc"),
        ("Albania", "4c1ab58f-354c-490c-a9cb-8b9fd23adf1c"),
        ("Austria", "1851877e-7a48-4949-87ee-6ba5ee04c889"),
        ("Belgium", None),
        ("Canada", None),
        ("France", None),
        ("Germany", None),
        ("India", None),
        ("Italy", None),
        ("Japan", None),
        ("Luxembourg", "64a26eb4-7e0d-43e0-a993-1b1535da1d63"),
        ("Netherlands", None),
        ("Poland", None),
        ("Spain", None),
        ("United Kingdom", None),
        ("United States", None),
    ),
    "gender_field": (
        ("Female", None),
        ("Male", None),
        ("Other", None),
        ("Unspecified", "c5e1dc28-f0f8-4f72-9a2a-1ff20ece7eef"),
    ),
    "legal_entity_type_field": (
        ("Sole proprietorship", None),
        ("Partnership", None),
        ("Private limited company", None),
        ("Public limited company", None),
        ("Foundation", None),
        ("Association", None),
        ("Cooperative", "a2fadfd9-db52-45f9-b853-5f0f0e2fc36f"),
    ),
}


def _entry_id(name: str, value: str, fixed: str | None) -> uuid.UUID:
    return uuid.UUID(fixed) if fixed is not None else uuid.uuid5(NAMESPACE, f"{name}:{value}")


DICTIONARIES: Final[dict[str, tuple[DictionaryEntry, ...]]] = {
    name: tuple(
        DictionaryEntry(id=_entry_id(name, value, fixed), order=order, value=value)
        for order, (value, fixed) in enumerate(values)
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
