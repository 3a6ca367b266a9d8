"""
Support endpoints: ``/heartbeat``, ``/dictionaries`` (``client.dictionaries``) and
``/consolidated``.
"""

from __future__ import annotations

import builtins
import datetime as dt
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import attrs
import cattrs

from .._args import non_empty, str_list, uuid_arg
from .._convert import converter
from .._paging import AsyncPaginator
from .._wire import FieldData
from ._base import Namespace

if TYPE_CHECKING:
    from .._client import Client

__all__ = [
    "ConsolidatedEntry",
    "DictionariesAPI",
    "DictionaryEntry",
    "Heartbeat",
    "consolidated",
    "heartbeat",
]


@attrs.frozen(kw_only=True)
class Heartbeat:
    """
    The API's status (``GET /heartbeat``).

    Attributes:
        node_name: The node that answered.
        since: When that node started.
    """

    node_name: str
    since: dt.datetime | None = None


@attrs.frozen(kw_only=True)
class DictionaryEntry:
    """
    A predefined value of a fixed field (a country, a gender, a legal entity type).

    The one class for both sides: ``onlyonce_async.testing.DictionaryEntry`` is this class.

    Attributes:
        id: The entry's id (what ``country=``, ``gender=`` and the like take).
        order: Its position in the list.
        value: Its display text.
    """

    id: uuid.UUID
    order: int
    value: str

    def to_wire(self) -> dict[str, Any]:
        """
        The entry's JSON form, ``{"id", "order", "value"}`` (what the sandbox sends).

        Returns:
            The unstructured entry.
        """
        wire: dict[str, Any] = converter.unstructure(self)
        return wire


@attrs.frozen(kw_only=True)
class ConsolidatedEntry:
    """
    One connected profile's values in the consolidated view of a network.

    The API sends each entry as a one-key object ``{"<profile id>": {"<field>": value}}``;
    the SDK splits it into the two attributes.

    Attributes:
        profile_id: The connected profile.
        values: Each requested field name and its value (``None`` when unset).
    """

    profile_id: uuid.UUID
    values: dict[str, FieldData]

    @classmethod
    def __from_wire__(cls, value: Any, conv: cattrs.Converter) -> ConsolidatedEntry:
        """
        Split the one-key wire object into the entry (the converter calls this).

        Args:
            value: The decoded JSON.
            conv: The converter decoding it.

        Returns:
            The entry.

        Raises:
            ValueError, TypeError: Not a one-key object of field values.
        """
        if not isinstance(value, dict) or len(value) != 1:
            raise ValueError("a consolidated entry is an object with exactly one key")
        ((key, values),) = value.items()
        if not isinstance(values, dict):
            raise TypeError(f"consolidated values must be an object, not {type(values).__name__}")
        return cls(
            profile_id=conv.structure(key, uuid.UUID),
            values=conv.structure(values, dict[str, FieldData]),
        )


async def heartbeat(client: Client) -> Heartbeat:
    """
    ``GET /heartbeat``, decoded by the request layer; see `Client.heartbeat`.

    The documented "API DOWN" body raises `ApiDownError` there: as a 5xx in the error
    mapping, as a 2xx in decoding (it is not a `Heartbeat`).
    """
    return await client.get("/heartbeat", cast_to=Heartbeat)


def consolidated(
    client: Client,
    profile_id: uuid.UUID | str,
    field_names: Iterable[str],
    *,
    page_size: int | None = None,
) -> AsyncPaginator[ConsolidatedEntry]:
    """
    ``GET /consolidated`` as a paginator; see `Client.consolidated`.
    """
    params = {
        "profileId": uuid_arg(profile_id, "profile_id"),
        "fieldNames": str_list(field_names, "field_names"),
    }
    return AsyncPaginator(
        client, "/consolidated", ConsolidatedEntry, params=params, page_size=page_size
    )


class DictionariesAPI(Namespace):
    """
    ``client.dictionaries``: the predefined values of fixed fields.
    """

    __slots__ = ()

    async def list(self, field_definition_name: str) -> builtins.list[DictionaryEntry]:
        """
        The predefined values of a field (``GET /dictionaries``), e.g. ``"country_field"``.

        Args:
            field_definition_name: The field whose values to list: ``"country_field"``,
                ``"gender_field"`` or ``"legal_entity_type_field"``.

        Returns:
            The `DictionaryEntry` objects, in the API's order.

        Raises:
            ValueError, TypeError: An empty or non-string name (nothing is sent).
            NotFoundError: The field has no dictionary.
        """
        params = {"fieldDefinitionName": non_empty(field_definition_name, "field_definition_name")}
        return await self._client.get("/dictionaries", params=params, cast_to=list[DictionaryEntry])
