"""
JSON forms of profiles, cards and share requests, as seen from a viewing profile.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Final

from .._convert import wire_names
from .._endpoints.profiles import Profile as ProfileModel
from .._wire import AvatarVisibility, DataSetType
from ._records import Card, Profile, ShareRequest, timestamp
from ._state import Store

__all__ = ["PROFILE_FIELDS", "card_json", "profile_json", "request_json", "sort_key"]

#: Every member of the profile body: what ``GET /profiles?sortField=`` accepts.
PROFILE_FIELDS: Final = wire_names(ProfileModel)


def sort_key(value: Any) -> tuple[bool, Any]:
    """
    How a rendered member sorts: nulls last (first when the order is reversed), text
    case-insensitively, arrays and objects by their JSON text.
    """
    if value is None:
        return (True, 0)
    if isinstance(value, str):
        return (False, value.casefold())
    if isinstance(value, (list, dict)):
        return (False, json.dumps(value, sort_keys=True))
    return (False, value)


def avatar_visible(store: Store, profile: Profile, viewer: Profile | None) -> bool:
    """
    Whether ``viewer``'s account may see ``profile``'s avatar, by its ``avatarVisibility``:
    its own account always; ``ALL`` everybody; ``CONNECTED_USERS`` accounts with a profile
    connected to it; ``NOBODY`` no other account.
    """
    if viewer is not None and viewer.account_id == profile.account_id:
        return True
    visibility = profile.settings["avatarVisibility"]
    if visibility == AvatarVisibility.ALL:
        return True
    if visibility != AvatarVisibility.CONNECTED_USERS or viewer is None:
        return False
    account = store.accounts.get(viewer.account_id)
    mine = [] if account is None else account.profile_ids
    return any(store.connected_since(p, profile.id) is not None for p in mine)


def profile_json(
    store: Store, profile: Profile, viewer: uuid.UUID | None, *, own_tags: bool = False
) -> dict[str, Any]:
    """
    A Profile as the API returns it.

    Args:
        store: The sandbox store.
        profile: The profile shown.
        viewer: The caller's profile the view is relative to (bookmarked, connected, tags).
        own_tags: Show the tags ``profile`` owns (scope MINE) instead of the viewer's tags
            on it.
    """
    since = store.connected_since(viewer, profile.id)
    incoming, outgoing = store.share_counts(profile.id)
    viewer_profile = None if viewer is None else store.profiles.get(viewer)
    if own_tags:
        tags = [
            {"ownerId": str(profile.id), "targetId": str(target), "tag": tag}
            for target, names in profile.tags.items()
            for tag in names
        ]
    elif viewer_profile is not None:
        tags = [
            {"ownerId": str(viewer_profile.id), "targetId": str(profile.id), "tag": tag}
            for tag in viewer_profile.tags.get(profile.id, [])
        ]
    else:
        tags = []
    return {
        "id": str(profile.id),
        "onlyonceId": profile.onlyonce_id,
        "name": profile.name,
        "avatarId": None
        if profile.avatar_id is None or not avatar_visible(store, profile, viewer_profile)
        else str(profile.avatar_id),
        "type": profile.type,
        "createdDate": timestamp(profile.created),
        "publicCardId": str(profile.public_card_id),
        "viewsCount": profile.views,
        "incomingSharesCount": incoming,
        "outgoingSharesCount": outgoing,
        "connectedDate": None if since is None else timestamp(since),
        "lastModifyDate": timestamp(profile.modified),
        "flexWorkerInfo": None,
        "bookmarked": viewer_profile is not None and profile.id in viewer_profile.bookmarks,
        "connected": since is not None,
        "tags": tags,
    }


def card_json(store: Store, card: Card, *, content: bool = False) -> dict[str, Any]:
    """
    A card list item; with ``content`` also its ``fields`` (FieldValues).
    """
    pending, accepted = store.request_counts(card.id)
    body: dict[str, Any] = {
        "id": str(card.id),
        "name": card.name,
        "ownerId": str(card.owner_id),
        "dataSetType": (
            DataSetType.PUBLIC_CARD if card.predefined else DataSetType.SHAREABLE_CARD
        ).value,
        "predefined": card.predefined,
        "predefinedType": card.predefined_type,
        "pendingRequestsCount": pending,
        "acceptedRequestsCount": accepted,
    }
    if content:
        owner = store.profiles.get(card.owner_id)
        datastore = {} if owner is None else owner.datastore
        body["fields"] = [datastore[f].to_wire() for f in card.fields if f in datastore]
    return body


def request_json(store: Store, request: ShareRequest, viewer: uuid.UUID) -> dict[str, Any]:
    """A ShareRequest with both profiles rendered relative to ``viewer``."""
    return {
        "id": str(request.id),
        "sender": profile_json(store, store.profiles[request.sender_id], viewer),
        "cardId": str(request.card_id),
        "recipient": profile_json(store, store.profiles[request.recipient_id], viewer),
        "status": request.status,
        "reversed": request.reversed,
        "connected": store.connected_since(request.sender_id, request.recipient_id) is not None,
        "requested": timestamp(request.requested),
        "completed": None if request.completed is None else timestamp(request.completed),
    }
