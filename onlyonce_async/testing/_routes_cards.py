"""
Card routes: list, read, create, clone, update and delete a profile's cards.
"""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .._wire import CardScope, values
from ._context import Context, empty, endpoint, json_response
from ._errors import access_denied, not_found
from ._records import Card, Profile
from ._render import card_json
from ._validate import Fields, path_uuid, present

__all__ = ["CardRoutes"]

#: Cards one profile may own (bounds memory).
MAX_CARDS = 1_000


class CardRoutes:
    """The card area of seed 002 (paths with the seed's missing ``/`` restored)."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def routes(self) -> list[BaseRoute]:
        """The area's routes."""
        return [
            Route("/profiles/{id}/cards", self.list_cards, methods=["GET"]),
            Route("/profiles/{id}/cards", self.create_card, methods=["POST"]),
            Route("/profiles/{id}/cards/{cardId}", self.get_card, methods=["GET"]),
            Route("/profiles/{id}/cards/{cardId}", self.update_card, methods=["PUT"]),
            Route("/profiles/{id}/cards/{cardId}", self.delete_card, methods=["DELETE"]),
            Route("/profiles/{id}/cards/{cardId}/clone", self.clone_card, methods=["POST"]),
        ]

    @endpoint(public=True, query=("scope",))
    async def list_cards(self, request: Request) -> Response:
        """GET /profiles/{id}/cards?scope=MINE|ACCEPTED (the seed requires no auth)."""
        profile_id = path_uuid(request.path_params, "id")
        query = self._ctx.query(request)
        scope = query.choice("scope", values(CardScope), required=True)
        query.check()
        store = self._ctx.store
        profile = store.profile(profile_id)
        cards = (
            list(profile.cards.values())
            if scope == CardScope.MINE
            else store.accepted_cards(profile.id)
        )
        return json_response([card_json(store, c, profile.id) for c in cards])

    def _unlocked(self, request: Request) -> Profile:
        profile_id = path_uuid(request.path_params, "id")
        account = self._ctx.account(request)
        return self._ctx.store.unlocked_profile(account, profile_id)

    @staticmethod
    def _own_card(request: Request, profile: Profile) -> Card:
        card_id = path_uuid(request.path_params, "cardId")
        card = profile.cards.get(card_id)
        if card is None:
            raise not_found("Card", card_id)
        return card

    async def get_card(self, request: Request) -> Response:
        """GET /profiles/{id}/cards/{cardId}: own cards and accepted cards shared with it."""
        profile = self._unlocked(request)
        card_id = path_uuid(request.path_params, "cardId")
        card = profile.cards.get(card_id) or next(
            (c for c in self._ctx.store.accepted_cards(profile.id) if c.id == card_id), None
        )
        if card is None:
            raise not_found("Card", card_id)
        return json_response(card_json(self._ctx.store, card, profile.id, content=True))

    def _card_body(
        self, request: Request, profile: Profile, card: Card | None
    ) -> tuple[str, list[uuid.UUID]]:
        fields = Fields(self._ctx.json(request))
        name = fields.text("name")
        ids = fields.uuid_list("fields")
        if ids is not None and any(i not in profile.datastore for i in ids):
            fields.add("fields", "must be ids of this profile's datastore fields")
        if name is not None and self._name_taken(profile, name, card):
            fields.add("name", "is already used by another card")
        if card is None and len(profile.cards) >= MAX_CARDS:
            fields.add("body", f"a profile holds at most {MAX_CARDS} cards")
        fields.check()
        return present(name).strip(), list(dict.fromkeys(present(ids)))

    @staticmethod
    def _name_taken(profile: Profile, name: str, card: Card | None) -> bool:
        wanted = name.strip().casefold()
        return any(c.name.casefold() == wanted and c is not card for c in profile.cards.values())

    def _add(self, profile: Profile, name: str, fields: list[uuid.UUID]) -> Response:
        store = self._ctx.store
        card = Card(store.new_id(), profile.id, name, fields)
        profile.cards[card.id] = card
        store.cards[card.id] = card
        return json_response({"id": str(card.id)})

    async def create_card(self, request: Request) -> Response:
        """POST /profiles/{id}/cards: ``{"id"}`` of the new card."""
        profile = self._unlocked(request)
        name, fields = self._card_body(request, profile, None)
        return self._add(profile, name, fields)

    async def clone_card(self, request: Request) -> Response:
        """POST /profiles/{id}/cards/{cardId}/clone: a SHAREABLE copy named "<name> (copy)"."""
        profile = self._unlocked(request)
        card = self._own_card(request, profile)
        name = f"{card.name} (copy)"
        number = 2
        while self._name_taken(profile, name, None):
            name = f"{card.name} (copy {number})"
            number += 1
        if len(profile.cards) >= MAX_CARDS:
            raise access_denied(f"A profile holds at most {MAX_CARDS} cards")
        return self._add(profile, name, list(card.fields))

    async def update_card(self, request: Request) -> Response:
        """PUT /profiles/{id}/cards/{cardId}."""
        profile = self._unlocked(request)
        card = self._own_card(request, profile)
        card.name, card.fields = self._card_body(request, profile, card)
        return empty()

    async def delete_card(self, request: Request) -> Response:
        """
        DELETE /profiles/{id}/cards/{cardId}, ending the card's open share requests (see
        `Store.delete_card`); the predefined public card stays (403).
        """
        profile_id = path_uuid(request.path_params, "id")
        account = self._ctx.account(request)
        profile = self._ctx.store.own_profile(account, profile_id)
        card = self._own_card(request, profile)
        if card.predefined:
            raise access_denied("The predefined public card cannot be deleted")
        self._ctx.store.delete_card(card)
        return empty()
