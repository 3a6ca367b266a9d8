"""
A profile's personal data store: `FieldValue` and ``client.datastore``.

The reference leaves the datastore's body as "??????"; the SDK follows the shared wire
decision: a JSON array of field values ``{"id", "definitionName", "value", "parentValueId"}``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import attrs

from .._args import path, uuid_arg
from .._wire import FieldData
from ._base import Namespace

__all__ = ["DatastoreAPI", "FieldData", "FieldValue"]


@attrs.frozen(kw_only=True)
class FieldValue:
    """
    One value in a profile's datastore.

    Build one with ``id=None`` to add a field; keep the ``id`` of a fetched one (e.g.
    ``attrs.evolve(value, value="new")``) to update it with ``save_fields``.

    Attributes:
        definition_name: The field's definition, e.g. ``"first_name_field"``.
        value: Text; for dictionary fields an object ``{"id": "<entry uuid>"}``. A value
            read back may be ``None``; one sent with `add_fields`/`save_fields` may not (the
            API requires it, so a group or wrapper carries a text value such as its label).
        parent_value_id: The group or wrapper value this one belongs to.
        id: The value's id; ``None`` for one not stored yet.
    """

    definition_name: str
    value: FieldData = None
    parent_value_id: uuid.UUID | None = None
    id: uuid.UUID | None = None


class DatastoreAPI(Namespace):
    """
    ``client.datastore``: ``/profiles/{id}/dataStore...`` (access required, see
    ``profiles.enable_access``).
    """

    __slots__ = ()

    async def get(self, profile_id: uuid.UUID | str) -> list[FieldValue]:
        """
        Get a profile's whole datastore (``GET /profiles/{id}/dataStore``).

        Args:
            profile_id: The profile whose datastore to read.

        Returns:
            Every `FieldValue` (the shape the SDK and sandbox agree on; the reference is
            silent).

        Raises:
            ValueError, TypeError: A bad id (nothing is sent).
            WrongSecretKeyError: Access to the profile is not enabled.
        """
        url = path("/profiles/{id}/dataStore", id=uuid_arg(profile_id, "profile_id"))
        return await self._client.get(url, cast_to=list[FieldValue])

    async def add_fields(
        self, profile_id: uuid.UUID | str, fields: Iterable[FieldValue]
    ) -> list[FieldValue]:
        """
        Add field values, groups and wrappers included (``POST .../dataStore/addFields``).

        Args:
            profile_id: The profile.
            fields: New values, each with ``id=None``.

        Returns:
            The created `FieldValue` objects, with their ids.

        Raises:
            ValueError, TypeError: A bad id, no fields, a field without a value, or a field
                that has an id (update those with `save_fields`); nothing is sent.
            ValidationError: A parent that is not in the datastore, or a bad value.
            WrongSecretKeyError: Access to the profile is not enabled.
        """
        url = path("/profiles/{id}/dataStore/addFields", id=uuid_arg(profile_id, "profile_id"))
        body = _fields_body(fields, new_only=True)
        return await self._client.post(url, json=body, cast_to=list[FieldValue])

    async def save_fields(
        self, profile_id: uuid.UUID | str, fields: Iterable[FieldValue]
    ) -> list[FieldValue]:
        """
        Create or update field values (``POST .../dataStore/saveFields``).

        Args:
            profile_id: The profile.
            fields: Values with an ``id`` are updated; values without one are created.

        Returns:
            The whole datastore after the change.

        Raises:
            ValueError, TypeError: A bad id, no fields, or a field without a value (nothing
                is sent).
            ValidationError: An id or parent that is not in the datastore, or a bad value.
            WrongSecretKeyError: Access to the profile is not enabled.
        """
        url = path("/profiles/{id}/dataStore/saveFields", id=uuid_arg(profile_id, "profile_id"))
        body = _fields_body(fields, new_only=False)
        return await self._client.post(url, json=body, cast_to=list[FieldValue])

    async def delete_field(self, profile_id: uuid.UUID | str, field_id: uuid.UUID | str) -> None:
        """
        Delete a field value (``DELETE /profiles/{id}/dataStore/fields/{fieldId}``).

        Args:
            profile_id: The profile whose datastore holds the value.
            field_id: The field value's id (`FieldValue.id`).

        Raises:
            ValueError, TypeError: A bad id (nothing is sent).
            NotFoundError: No such field value.
        """
        url = path(
            "/profiles/{id}/dataStore/fields/{field}",
            id=uuid_arg(profile_id, "profile_id"),
            field=uuid_arg(field_id, "field_id"),
        )
        await self._client.delete(url)


def _fields_body(fields: Iterable[FieldValue], *, new_only: bool) -> list[FieldValue]:
    if isinstance(fields, FieldValue) or not isinstance(fields, Iterable):
        raise TypeError("fields must be an iterable of FieldValue")
    items = list(fields)
    if not items:
        raise ValueError("fields must not be empty")
    for i, item in enumerate(items):
        if not isinstance(item, FieldValue):
            raise TypeError(f"fields[{i}] must be a FieldValue, not {type(item).__name__}")
        if new_only and item.id is not None:
            raise ValueError(f"fields[{i}] already has an id; update it with save_fields")
        if not isinstance(item.definition_name, str) or not item.definition_name.strip():
            raise ValueError(f"fields[{i}].definition_name must be a non-empty string")
        if item.value is None:
            # The reference marks "value" required and not null on both operations.
            raise ValueError(f"fields[{i}].value is required (text or {{'id': ...}})")
    return items
