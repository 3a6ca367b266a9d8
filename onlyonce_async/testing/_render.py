"""
JSON forms of profiles, cards and share requests, as seen from a viewing profile.

Each is the `Shape` of the SDK model that decodes it, so its keys are the SDK's.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Final

from .._convert import wire_names
from .._endpoints.cards import Card as CardModel
from .._endpoints.cards import CardContent
from .._endpoints.network import ShareRequest as ShareRequestModel
from .._endpoints.profiles import Profile as ProfileModel
from .._endpoints.profiles import Tag
from .._wire import AvatarVisibility, DataSetType
from ._records import SETTINGS, Card, Profile, ShareRequest, timestamp
from ._shape import Shape
from ._state import Store

__all__ = ["PROFILE_FIELDS", "card_json", "profile_json", "request_json", "sort_key"]

#: Every member of the profile body: what ``GET /profiles?sortField=`` accepts.
PROFILE_FIELDS: Final = wire_names(ProfileModel)

_PROFILE: Final = Shape(ProfileModel)
_TAG: Final = Shape(Tag)
_CARD: Final = Shape(CardModel)
_CARD_CONTENT: Final = Shape(CardContent)
_SHARE_REQUEST: Final = Shape(ShareRequestModel)


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
    visibility = profile.settings[SETTINGS.key("avatar_visibility")]
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
            _TAG(owner_id=str(profile.id), target_id=str(target), tag=tag)
            for target, names in profile.tags.items()
            for tag in names
        ]
    elif viewer_profile is not None:
        tags = [
            _TAG(owner_id=str(viewer_profile.id), target_id=str(profile.id), tag=tag)
            for tag in viewer_profile.tags.get(profile.id, [])
        ]
    else:
        tags = []
    return _PROFILE(
        id=str(profile.id),
        onlyonce_id=profile.onlyonce_id,
        name=profile.name,
        avatar_id=None
        if profile.avatar_id is None or not avatar_visible(store, profile, viewer_profile)
        else str(profile.avatar_id),
        type=profile.type,
        created_date=timestamp(profile.created),
        public_card_id=str(profile.public_card_id),
        views_count=profile.views,
        incoming_shares_count=incoming,
        outgoing_shares_count=outgoing,
        connected_date=None if since is None else timestamp(since),
        last_modify_date=timestamp(profile.modified),
        flex_worker_info=None,
        bookmarked=viewer_profile is not None and profile.id in viewer_profile.bookmarks,
        connected=since is not None,
        tags=tags,
    )


def card_json(
    store: Store, card: Card, viewer: uuid.UUID, *, content: bool = False
) -> dict[str, Any]:
    """
    A card list item; with ``content`` also its ``fields`` (FieldValues).

    Args:
        store: The sandbox store.
        card: The card shown.
        viewer: The profile whose cards are listed or read. The request counts are the
            owner's business: shown (scope ``MINE``) only when ``viewer`` owns the card,
            else ``null`` (the reference: "notnull if scope = MINE").
        content: Add the card's ``fields``.
    """
    own = card.owner_id == viewer
    pending, accepted = store.request_counts(card.id) if own else (None, None)
    kind = DataSetType.PUBLIC_CARD if card.predefined else DataSetType.SHAREABLE_CARD
    members: dict[str, Any] = {
        "id": str(card.id),
        "name": card.name,
        "owner_id": str(card.owner_id),
        "data_set_type": kind.value,
        "predefined": card.predefined,
        "predefined_type": card.predefined_type,
        "pending_requests_count": pending,
        "accepted_requests_count": accepted,
    }
    if not content:
        return _CARD(**members)
    owner = store.profiles.get(card.owner_id)
    datastore = {} if owner is None else owner.datastore
    fields = [datastore[f].to_wire() for f in card.fields if f in datastore]
    return _CARD_CONTENT(**members, fields=fields)


def request_json(store: Store, request: ShareRequest, viewer: uuid.UUID) -> dict[str, Any]:
    """A ShareRequest with both profiles rendered relative to ``viewer``."""
    return _SHARE_REQUEST(
        id=str(request.id),
        sender=profile_json(store, store.profiles[request.sender_id], viewer),
        card_id=str(request.card_id),
        recipient=profile_json(store, store.profiles[request.recipient_id], viewer),
        status=request.status,
        reversed=request.reversed,
        connected=store.connected_since(request.sender_id, request.recipient_id) is not None,
        requested=timestamp(request.requested),
        completed=None if request.completed is None else timestamp(request.completed),
    )
