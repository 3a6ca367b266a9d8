"""
The wire of ``POST /requests``: the body sent, the `ShareRequest` answered, and the part of
that answer a bulk share reads at once (`SharedAnswer`).

A share's answer holds two full profiles. Decoding them into typed objects costs more than
the rest of a bulk share (issue 14's throughput benchmark), and a bulk run needs only the
request's id, so `share_many` checks the answer with `SharedAnswer` and decodes the whole
`ShareRequest` only when ``ShareOutcome.request`` is first read.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import attrs
import cattrs

from .._convert import converter, wire_keys
from .._wire import RequestStatus
from ._base import IdBody
from .profiles import Profile

__all__ = ["ShareBody", "ShareRequest", "SharedAnswer", "share_bodies"]


@attrs.frozen(kw_only=True)
class ShareRequest:
    """
    A request to share a card (or, reversed, to be given one).

    Attributes:
        id: The request's id.
        sender: The sending profile.
        card_id: The card concerned.
        recipient: The receiving profile.
        status: Its state.
        connected: Whether the two profiles are connected.
        requested: When it was sent.
        completed: When it was accepted, declined or revoked.
        reversed: ``True`` for a card request (``network.request_card``), ``False`` for a
            share; ``None`` when the server does not say.
    """

    id: uuid.UUID
    sender: Profile
    card_id: uuid.UUID
    recipient: Profile
    status: RequestStatus
    connected: bool | None = None
    requested: dt.datetime | None = None
    completed: dt.datetime | None = None
    reversed: bool | None = None


@attrs.frozen(kw_only=True)
class ShareBody:
    """
    The body of ``POST /requests``: a share, or (``reversed``) a card request.
    """

    card_id: uuid.UUID
    recipient: IdBody
    sender: IdBody
    reversed: bool


_BODY_RECIPIENT = wire_keys(ShareBody)["recipient"]


def share_bodies(card_id: uuid.UUID, sender_id: uuid.UUID) -> Callable[[uuid.UUID], dict[str, Any]]:
    """
    The `ShareBody` of each share of one card from one sender, for a bulk run: encoded by
    the converter once, then copied with each recipient's (building and encoding the
    whole body for every share cost about 7 µs a share in issue 14's throughput benchmark).

    Args:
        card_id: The card shared.
        sender_id: The profile sharing it.

    Returns:
        ``body(recipient_id)``: the JSON object to send.
    """
    template = converter.unstructure(
        ShareBody(
            card_id=card_id,
            recipient=IdBody(id=sender_id),
            sender=IdBody(id=sender_id),
            reversed=False,
        )
    )

    def body(recipient_id: uuid.UUID) -> dict[str, Any]:
        return {**template, _BODY_RECIPIENT: converter.unstructure(IdBody(id=recipient_id))}

    return body


_ID, _CARD_ID, _RECIPIENT = (
    wire_keys(ShareRequest)[name] for name in ("id", "card_id", "recipient")
)
_PROFILE_ID = wire_keys(Profile)["id"]


@attrs.frozen(kw_only=True)
class SharedAnswer:
    """
    What a bulk share reads of a `ShareRequest` answer at once: its id, card and recipient
    (to check it is the share sent); other members are neither read nor checked.

    Attributes:
        id: The new request's id.
        card_id: The card it shares.
        recipient_id: The profile it was sent to.
    """

    id: uuid.UUID
    card_id: uuid.UUID
    recipient_id: uuid.UUID

    @classmethod
    def __from_wire__(cls, value: Any, conv: cattrs.Converter) -> SharedAnswer:
        """
        Read from a ``ShareRequest`` object.

        Raises:
            TypeError, KeyError, ValueError: Not an object, or a member missing or not a UUID.
        """
        recipient = value[_RECIPIENT] if isinstance(value, dict) else None
        if not isinstance(recipient, dict):
            raise TypeError("expected a share request object with a recipient object")
        return cls(
            id=conv.structure(value[_ID], uuid.UUID),
            card_id=conv.structure(value[_CARD_ID], uuid.UUID),
            recipient_id=conv.structure(recipient[_PROFILE_ID], uuid.UUID),
        )
