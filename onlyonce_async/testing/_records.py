"""
The sandbox's records: accounts, profiles, datastore fields, cards, share requests, notes,
files, and the read-only snapshots tests get from `Sandbox.share_requests`.
"""

from __future__ import annotations

import collections
import datetime as dt
import uuid
from typing import Any, Final

import attrs

from .._endpoints.datastore import FieldValue as FieldValueModel
from .._endpoints.files import FileInfo
from .._endpoints.notes import Note as NoteModel
from .._endpoints.settings import ProfileSettings
from .._wire import DEFAULT_CHANNEL_ORDER, AvatarVisibility, EmailNotificationType, values
from ._shape import Shape

__all__ = [
    "ACTIVITY_LOG_SIZE",
    "CHANNELS",
    "NOTIFICATION_TYPES",
    "SETTINGS",
    "Account",
    "Card",
    "FieldValue",
    "Note",
    "Profile",
    "ShareRequest",
    "ShareRequestRecord",
    "StoredFile",
    "default_settings",
    "timestamp",
]

#: Activities kept per account (the oldest fall off).
ACTIVITY_LOG_SIZE: Final = 1_000

CHANNELS: Final = tuple(channel.value for channel in DEFAULT_CHANNEL_ORDER)
NOTIFICATION_TYPES: Final = values(EmailNotificationType)
#: A profile's settings object, as stored and sent.
SETTINGS: Final = Shape(ProfileSettings)
_FIELD_VALUE: Final = Shape(FieldValueModel)
_NOTE: Final = Shape(NoteModel)
_FILE_INFO: Final = Shape(FileInfo)


def timestamp(when: float) -> str:
    """
    Unix time as the API writes it: naive UTC with milliseconds (``2016-06-09T04:10:16.787``).
    """
    moment = dt.datetime.fromtimestamp(when, tz=dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def default_settings() -> dict[str, Any]:
    """The settings a new profile starts with."""
    return SETTINGS(
        searchable_by_name=True,
        broadcast_data_changes=True,
        avatar_visibility=AvatarVisibility.ALL.value,
        visible_externally=False,
        email_notification_types=[
            EmailNotificationType.NEW_MESSAGE.value,
            EmailNotificationType.WEEKLY_SUMMARY.value,
        ],
        communication_channels_order=list(CHANNELS),
    )


@attrs.define(eq=False)
class Account:
    """A sign-up: credentials, its profiles and its activity log."""

    id: uuid.UUID
    user_id: int
    email: str
    password: str = attrs.field(repr=False)
    created: float
    personal_profile_id: uuid.UUID
    profile_ids: list[uuid.UUID] = attrs.Factory(list)
    activities: collections.deque[dict[str, Any]] = attrs.Factory(
        lambda: collections.deque(maxlen=ACTIVITY_LOG_SIZE)
    )


@attrs.define(eq=False)
class FieldValue:
    """One datastore value: text, a dictionary/file reference ``{"id": ...}``, or null."""

    id: uuid.UUID
    definition_name: str
    value: str | dict[str, str] | None
    parent_id: uuid.UUID | None = None

    def to_wire(self) -> dict[str, Any]:
        """The JSON form."""
        return _FIELD_VALUE(
            id=str(self.id),
            definition_name=self.definition_name,
            value=dict(self.value) if isinstance(self.value, dict) else self.value,
            parent_value_id=None if self.parent_id is None else str(self.parent_id),
        )


@attrs.define(eq=False)
class Card:
    """A named selection of datastore fields owned by one profile."""

    id: uuid.UUID
    owner_id: uuid.UUID
    name: str
    fields: list[uuid.UUID]
    predefined_type: str | None = None
    #: Ids of the share requests made for this card (an index: counting them must not
    #: walk every request of the owner).
    requests: list[uuid.UUID] = attrs.Factory(list)

    @property
    def predefined(self) -> bool:
        """Whether this is the profile's built-in public card."""
        return self.predefined_type is not None


@attrs.define(eq=False)
class Profile:
    """A PERSONAL or ORGANIZATION profile and everything it owns."""

    id: uuid.UUID
    onlyonce_id: int
    account_id: uuid.UUID
    type: str
    name: str
    pass_phrase: str = attrs.field(repr=False)
    created: float
    modified: float
    public_card_id: uuid.UUID
    email: str | None = None
    trade_name: str | None = None
    avatar_id: uuid.UUID | None = None
    views: int = 0
    settings: dict[str, Any] = attrs.Factory(default_settings)
    bookmarks: dict[uuid.UUID, None] = attrs.Factory(dict)
    tags: dict[uuid.UUID, list[str]] = attrs.Factory(dict)
    datastore: dict[uuid.UUID, FieldValue] = attrs.Factory(dict)
    cards: dict[uuid.UUID, Card] = attrs.Factory(dict)
    files: dict[uuid.UUID, None] = attrs.Factory(dict)
    requests: list[uuid.UUID] = attrs.Factory(list)


@attrs.define(eq=False)
class ShareRequest:
    """A share (``reversed`` false) or a card request (``reversed`` true)."""

    id: uuid.UUID
    sender_id: uuid.UUID
    recipient_id: uuid.UUID
    card_id: uuid.UUID
    reversed: bool
    status: str
    requested: float
    completed: float | None = None

    @property
    def giver_id(self) -> uuid.UUID:
        """The profile whose card changes hands."""
        return self.recipient_id if self.reversed else self.sender_id

    @property
    def taker_id(self) -> uuid.UUID:
        """The profile that receives the card."""
        return self.sender_id if self.reversed else self.recipient_id

    def snapshot(self) -> ShareRequestRecord:
        """An immutable copy for tests."""
        return ShareRequestRecord(
            id=self.id,
            sender_id=self.sender_id,
            recipient_id=self.recipient_id,
            card_id=self.card_id,
            status=self.status,
            reversed=self.reversed,
        )


@attrs.frozen(kw_only=True)
class ShareRequestRecord:
    """
    A share request as `Sandbox.share_requests` reports it.

    Attributes:
        id: The request id.
        sender_id: The sending profile.
        recipient_id: The receiving profile.
        card_id: The card shared (or requested, when ``reversed``).
        status: ``PENDING``, ``ACCEPTED``, ``DECLINED`` or ``REVOKED``.
        reversed: Whether it is a card request rather than a share.
    """

    id: uuid.UUID
    sender_id: uuid.UUID
    recipient_id: uuid.UUID
    card_id: uuid.UUID
    status: str
    reversed: bool


@attrs.define(eq=False)
class Note:
    """A private note one profile (``owner_id``) keeps about another (``about_id``)."""

    id: uuid.UUID
    about_id: uuid.UUID
    owner_id: uuid.UUID
    type: str
    text: str

    def to_wire(self) -> dict[str, Any]:
        """The JSON form."""
        return _NOTE(id=str(self.id), type=self.type, text=self.text, owner_id=str(self.owner_id))


@attrs.define(eq=False)
class StoredFile:
    """An uploaded file and its metadata."""

    id: uuid.UUID
    profile_id: uuid.UUID
    name: str
    content_type: str
    content: bytes = attrs.field(repr=False)
    description: str | None = None

    def info(self) -> dict[str, Any]:
        """The FileInfo JSON form."""
        return _FILE_INFO(
            id=str(self.id),
            name=self.name,
            size=len(self.content),
            description=self.description,
        )
