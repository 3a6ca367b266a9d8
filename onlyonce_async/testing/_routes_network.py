"""
Network routes: share requests (send, list, accept / decline / revoke).

The state machine: a request starts PENDING; the recipient's account accepts or declines a
PENDING request; the sender's account revokes a PENDING or an ACCEPTED one (so a card once
accepted can still stop being shared). DECLINED and REVOKED are final. Deleting a card ends
its open requests the same way (`Store.delete_card`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .._wire import (
    REQUEST_ACTIONS,
    RequestStatus,
    RequestType,
    SortDirection,
    values,
)
from ._context import Context, empty, endpoint, json_response
from ._errors import not_found, status_error
from ._records import ShareRequest
from ._render import request_json
from ._validate import Fields, paginate, path_uuid, present

__all__ = ["NetworkRoutes"]

STATUSES: Final = values(RequestStatus)
_OUTCOME: Final = {name: action.outcome.value for name, action in REQUEST_ACTIONS.items()}
#: The statuses each action moves a request from.
_MOVABLE: Final = {
    name: tuple(status.value for status in action.movable)
    for name, action in REQUEST_ACTIONS.items()
}
_SORT: Final[dict[str, Callable[[ShareRequest], Any]]] = {
    "requested": lambda r: r.requested,
    "completed": lambda r: (r.completed is None, r.completed or 0.0),
    "status": lambda r: r.status,
}


class NetworkRoutes:
    """The network area of seed 002."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def routes(self) -> list[BaseRoute]:
        """The area's routes (``/requests/{action}`` with the seed's missing ``/``)."""
        return [
            Route("/profiles/{id}/requests", self.list_requests, methods=["GET"]),
            Route("/requests", self.send, methods=["POST"]),
            Route("/requests/{action}", self.bulk, methods=["POST"]),
        ]

    @endpoint(
        query=(
            "type",
            "targetId",
            "tagetId",
            "cardId",
            "sortField",
            "sortDirection",
            "page",
            "size",
        ),
        arrays=("statuses",),
    )
    async def list_requests(self, request: Request) -> Response:
        """GET /profiles/{id}/requests (paginated)."""
        profile_id = path_uuid(request.path_params, "id")
        account = self._ctx.account(request)
        query = self._ctx.query(request)
        kind = query.choice("type", values(RequestType)) or RequestType.OUTGOING
        target_id = query.uuid("targetId") or query.uuid("tagetId")
        statuses = set(query.many("statuses", STATUSES))
        card_id = query.uuid("cardId")
        sort_field = query.choice("sortField", set(_SORT)) or "requested"
        direction = query.choice("sortDirection", values(SortDirection)) or SortDirection.ASC
        page, size = query.page()
        query.check()
        store = self._ctx.store
        profile = store.own_profile(account, profile_id)
        found = []
        for request_id in profile.requests:
            share = store.requests[request_id]
            mine, other = (
                (share.recipient_id, share.sender_id)
                if kind == RequestType.INCOMING
                else (share.sender_id, share.recipient_id)
            )
            if (
                mine == profile.id
                and (target_id is None or other == target_id)
                and (not statuses or share.status in statuses)
                and (card_id is None or share.card_id == card_id)
            ):
                found.append(share)
        found.sort(key=_SORT[sort_field], reverse=direction == SortDirection.DESC)
        body = paginate(found, page, size)
        body["content"] = [request_json(store, r, profile.id) for r in body["content"]]
        return json_response(body)

    async def send(self, request: Request) -> Response:
        """POST /requests: share a card (``reversed`` false) or request one (true)."""
        account = self._ctx.account(request)
        fields = Fields(self._ctx.json(request))
        card_id = fields.uuid("cardId")
        recipient = fields.nested("recipient")
        recipient_id = None if recipient is None else recipient.uuid("id")
        sender = fields.nested("sender")
        sender_id = None if sender is None else sender.uuid("id")
        reversed_ = bool(fields.boolean("reversed"))
        if sender_id is not None and sender_id == recipient_id:
            fields.add("recipient", "must not be the sender")
        fields.check()
        card_id, recipient_id, sender_id = (
            present(card_id),
            present(recipient_id),
            present(sender_id),
        )
        store = self._ctx.store
        sender_profile = store.unlocked_profile(account, sender_id)
        recipient_profile = store.profile(recipient_id)
        giver = recipient_profile if reversed_ else sender_profile
        if card_id not in giver.cards:
            raise not_found("Card", card_id)
        taker_id = sender_id if reversed_ else recipient_id
        if store.is_card_shared(card_id, giver.id, taker_id):
            raise status_error(
                401, "wrong-request-status", "The card is already shared with this profile"
            )
        share = ShareRequest(
            id=store.new_id(),
            sender_id=sender_id,
            recipient_id=recipient_id,
            card_id=card_id,
            reversed=reversed_,
            status=RequestStatus.PENDING.value,
            requested=store.now(),
        )
        store.add_request(share)
        store.log_request(share, "REQUEST" if reversed_ else "SHARE")
        return json_response(request_json(store, share, sender_id))

    async def bulk(self, request: Request) -> Response:
        """POST /requests/{accept|decline|revoke} ``{"ids": [...]}``, all or nothing."""
        action = request.path_params.get("action")
        if action not in _OUTCOME:
            raise not_found("Action", str(action))
        account = self._ctx.account(request)
        fields = Fields(self._ctx.json(request))
        ids = fields.uuid_list("ids")
        if ids == []:
            fields.add("ids", "must not be empty")
        fields.check()
        store = self._ctx.store
        shares: list[ShareRequest] = []
        for request_id in dict.fromkeys(ids or []):
            share = store.requests.get(request_id)
            if share is None:
                raise not_found("Share request", request_id)
            shares.append(share)
        for share in shares:
            side = share.sender_id if REQUEST_ACTIONS[action].side == "sent" else share.recipient_id
            if store.profiles[side].account_id != account.id:
                raise status_error(
                    401, "wrong-request-owner", f"Share request {share.id} is not yours to {action}"
                )
        for share in shares:
            if share.status not in _MOVABLE[action]:
                raise status_error(
                    401, "wrong-request-status", f"Share request {share.id} is {share.status}"
                )
        now = store.now()
        for share in shares:
            store.answer_request(share, action, now)
        return empty()
