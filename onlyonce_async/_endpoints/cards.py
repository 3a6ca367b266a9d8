"""
Cards — named selections of datastore values a profile shares: `Card`, `CardContent` and
``client.cards``.
"""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Iterable

import attrs

from .._args import non_empty, path, uuid_arg, uuid_list
from .._enums import coerce_enum
from .._wire import CardScope, DataSetType
from ._base import IdBody, Namespace
from .datastore import FieldValue

__all__ = ["Card", "CardContent", "CardScope", "CardsAPI", "DataSetType"]


@attrs.frozen(kw_only=True)
class Card:
    """
    A card, as ``GET /profiles/{id}/cards`` lists it.

    Attributes:
        id: The card's id.
        name: Its name (unique per profile).
        owner_id: The profile owning it.
        data_set_type: Public or shareable.
        predefined: Whether the API created it (every profile's public card).
        predefined_type: The predefined card's kind (e.g. ``"PUBLIC"``), else ``None``.
        pending_requests_count: Pending share requests (scope ``MINE``; ``None`` otherwise).
        accepted_requests_count: Accepted share requests (scope ``MINE``; ``None`` otherwise).
    """

    id: uuid.UUID
    name: str
    owner_id: uuid.UUID
    data_set_type: DataSetType
    predefined: bool = False
    predefined_type: str | None = None
    pending_requests_count: int | None = None
    accepted_requests_count: int | None = None


@attrs.frozen(kw_only=True)
class CardContent(Card):
    """
    A card with its values (``GET /profiles/{id}/cards/{cardId}``).

    The reference leaves this body as "???"; the SDK follows the shared wire decision: the
    list item's fields plus ``fields``, the card's datastore values.

    Attributes:
        fields: The `FieldValue` objects on the card.
    """

    fields: list[FieldValue] = attrs.field(factory=list)


class CardsAPI(Namespace):
    """
    ``client.cards``: ``/profiles/{id}/cards...`` (most operations need profile access).
    """

    __slots__ = ()

    async def list(
        self, profile_id: uuid.UUID | str, *, scope: CardScope | str
    ) -> builtins.list[Card]:
        """
        List a profile's own cards or the cards it accepted (``GET /profiles/{id}/cards``).

        Args:
            profile_id: The profile whose cards to list.
            scope: ``MINE`` for the profile's own cards, ``ACCEPTED`` for the cards shared with it
                and accepted (a `CardScope` or its string).

        Returns:
            The `Card` objects.

        Raises:
            ValueError, TypeError: A bad id or scope (nothing is sent).
        """
        url = path("/profiles/{id}/cards", id=uuid_arg(profile_id, "profile_id"))
        params = {"scope": coerce_enum(CardScope, scope, name="scope")}
        return await self._client.get(url, params=params, cast_to=list[Card])

    async def get(self, profile_id: uuid.UUID | str, card_id: uuid.UUID | str) -> CardContent:
        """
        Get a card with its values (``GET /profiles/{id}/cards/{cardId}``; access required).

        Args:
            profile_id: The profile that owns the card (or accepted it).
            card_id: The card.

        Returns:
            The `CardContent`.

        Raises:
            ValueError, TypeError: A bad id (nothing is sent).
            WrongSecretKeyError: Access to the profile is not enabled.
        """
        return await self._client.get(_card_path(profile_id, card_id), cast_to=CardContent)

    async def create(
        self,
        profile_id: uuid.UUID | str,
        *,
        name: str,
        fields: Iterable[uuid.UUID | str],
    ) -> uuid.UUID:
        """
        Create a card (``POST /profiles/{id}/cards``; access required).

        Args:
            profile_id: The owning profile.
            name: The card's name (unique per profile).
            fields: Ids of datastore values to put on the card.

        Returns:
            The new card's id.

        Raises:
            ValueError, TypeError: A bad argument (nothing is sent).
            ValidationError: The name is taken or a value is not in the datastore.
        """
        url = path("/profiles/{id}/cards", id=uuid_arg(profile_id, "profile_id"))
        body = await self._client.post(url, json=_card_body(name, fields), cast_to=IdBody)
        return body.id

    async def clone(self, profile_id: uuid.UUID | str, card_id: uuid.UUID | str) -> uuid.UUID:
        """
        Copy a card (``POST /profiles/{id}/cards/{cardId}/clone``; access required).

        Args:
            profile_id: The profile that owns the card.
            card_id: The card to copy.

        Returns:
            The copy's id.

        Raises:
            ValueError, TypeError: A bad id (nothing is sent).
        """
        body = await self._client.post(_card_path(profile_id, card_id) + "/clone", cast_to=IdBody)
        return body.id

    async def update(
        self,
        profile_id: uuid.UUID | str,
        card_id: uuid.UUID | str,
        *,
        name: str,
        fields: Iterable[uuid.UUID | str],
    ) -> None:
        """
        Replace a card's name and values (``PUT /profiles/{id}/cards/{cardId}``; access
        required).

        Args:
            profile_id: The profile that owns the card.
            card_id: The card.
            name: The card's new name (unique per profile).
            fields: Ids of datastore values the card holds from now on (replacing the old ones).

        Raises:
            ValueError, TypeError: A bad argument (nothing is sent).
            ValidationError: The name is taken or a value is not in the datastore.
        """
        url = _card_path(profile_id, card_id)
        await self._client.put(url, json=_card_body(name, fields))

    async def delete(self, profile_id: uuid.UUID | str, card_id: uuid.UUID | str) -> None:
        """
        Delete a card (``DELETE /profiles/{id}/cards/{cardId}``).

        Args:
            profile_id: The profile that owns the card.
            card_id: The card.

        Raises:
            ValueError, TypeError: A bad id (nothing is sent).
        """
        await self._client.delete(_card_path(profile_id, card_id))


def _card_path(profile_id: uuid.UUID | str, card_id: uuid.UUID | str) -> str:
    # The reference prints ".../cards{cardId}"; the missing "/" is a typesetting slip.
    return path(
        "/profiles/{id}/cards/{card}",
        id=uuid_arg(profile_id, "profile_id"),
        card=uuid_arg(card_id, "card_id"),
    )


@attrs.frozen(kw_only=True)
class CardBody:
    """
    The body of creating or updating a card: its name and the datastore value ids it shows.
    """

    name: str
    fields: list[uuid.UUID]


def _card_body(name: str, fields: Iterable[uuid.UUID | str]) -> CardBody:
    if isinstance(fields, (str, uuid.UUID)):
        raise TypeError("fields must be an iterable of ids, not a single id")
    ids = list(fields)
    return CardBody(name=non_empty(name, "name"), fields=uuid_list(ids, "fields") if ids else [])
