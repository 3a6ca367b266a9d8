"""
The wire vocabulary of the Only Once API v2, written once for the SDK and the sandbox.

Enumerations, page limits, the default order of communication channels and the JWT ``htu``
canonicalisation rule. The SDK's models and arguments and the sandbox's validators and
renderers both import them from here, so the two cannot drift apart silently.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Any, Final, NamedTuple, TypeAlias

from ._enums import ApiEnum

__all__ = [
    "DEFAULT_CHANNEL_ORDER",
    "DEFAULT_PAGE_SIZE",
    "ENUMERATIONS",
    "MAX_PAGE_SIZE",
    "PROFILE_SCOPE_ALIASES",
    "REQUEST_ACTIONS",
    "AccountLevel",
    "ActivityScope",
    "ActivityType",
    "AvatarVisibility",
    "CardScope",
    "CommunicationChannel",
    "DataSetType",
    "EmailNotificationType",
    "FieldData",
    "ProfileScope",
    "ProfileType",
    "RequestAction",
    "RequestStatus",
    "RequestType",
    "SortDirection",
    "canonical_target",
    "values",
]

#: Items per page when a paginated request gives no ``size``.
DEFAULT_PAGE_SIZE: Final = 20
#: The largest ``size`` a paginated request may ask for.
MAX_PAGE_SIZE: Final = 100
#: A datastore field value's ``value``: text, an object such as
#: ``{"id": "<dictionary entry uuid>"}`` for dictionary fields, or ``None``.
FieldData: TypeAlias = str | dict[str, Any] | None
#: RFC 3986's unreserved characters: left as they are in a canonical query.
_UNRESERVED: Final = "-._~"


class CardScope(ApiEnum):
    """Which cards ``cards.list`` returns."""

    MINE = "MINE"
    ACCEPTED = "ACCEPTED"


class DataSetType(ApiEnum):
    """A card's kind."""

    PUBLIC_CARD = "PUBLIC_CARD"
    SHAREABLE_CARD = "SHAREABLE_CARD"


class AccountLevel(ApiEnum):
    """
    An account's subscription level.

    The reference shows only ``FREE``; any other level decodes to a pseudo-member.
    """

    FREE = "FREE"


class AvatarVisibility(ApiEnum):
    """Who sees a profile's avatar."""

    NOBODY = "NOBODY"
    CONNECTED_USERS = "CONNECTED_USERS"
    ALL = "ALL"


class EmailNotificationType(ApiEnum):
    """The emails a profile may receive."""

    NEW_MESSAGE = "NEW_MESSAGE"
    WEEKLY_SUMMARY = "WEEKLY_SUMMARY"
    OO_NEWSLETTER = "OO_NEWSLETTER"
    PRODUCT_UPDATES = "PRODUCT_UPDATES"
    PRODUCT_USER_SURVEYS = "PRODUCT_USER_SURVEYS"


class CommunicationChannel(ApiEnum):
    """A communication channel: the datastore field that holds it."""

    LANDLINE1 = "communication_landline1_field"
    LANDLINE2 = "communication_landline2_field"
    LANDLINE3 = "communication_landline3_field"
    MOBTEL1 = "communication_mobtel1_field"
    MOBTEL2 = "communication_mobtel2_field"
    EMAIL1 = "communication_email1_field"
    EMAIL2 = "communication_email2_field"
    EMAIL3 = "communication_email3_field"
    EMAIL4 = "communication_email4_field"
    HANGOUT = "communication_hangout_field"
    FACETIME = "communication_facetime_field"
    SKYPE = "communication_skype_field"


class ProfileType(ApiEnum):
    """A profile's kind."""

    PERSONAL = "PERSONAL"
    ORGANIZATION = "ORGANIZATION"


class ProfileScope(ApiEnum):
    """
    Which profiles ``profiles.list`` returns, relative to ``profile_id``.

    The reference spells ``CONNETIONS``: that spelling is accepted as `CONNECTIONS`
    (``ProfileScope("CONNETIONS") is ProfileScope.CONNECTIONS``); the SDK sends
    ``CONNECTIONS``.
    """

    MINE = "MINE"
    BOOKMARKS = "BOOKMARKS"
    CONNECTIONS = "CONNECTIONS"
    FLEX_WORKERS = "FLEX_WORKERS"
    REGULAR_WORKERS = "REGULAR_WORKERS"

    @classmethod
    def _missing_(cls, value: object) -> ProfileScope | None:
        # The reference's own spellings (PROFILE_SCOPE_ALIASES).
        return PROFILE_SCOPE_ALIASES.get(value) if isinstance(value, str) else None


#: The reference's misspellings of `ProfileScope` values, read as the value they mean (by
#: the SDK's enum and the sandbox's query check alike).
PROFILE_SCOPE_ALIASES: Final[Mapping[str, ProfileScope]] = {
    "CONNETIONS": ProfileScope.CONNECTIONS,
}


class SortDirection(ApiEnum):
    """The order of a sorted list."""

    ASC = "asc"
    DESC = "desc"


class RequestType(ApiEnum):
    """Which side of share requests ``network.list_requests`` lists."""

    INCOMING = "INCOMING"
    OUTGOING = "OUTGOING"


class RequestStatus(ApiEnum):
    """A share request's state."""

    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    REVOKED = "REVOKED"


class ActivityScope(ApiEnum):
    """Which activities ``activities.list`` returns."""

    NETWORK_UPDATES = "NETWORK_UPDATES"
    PDS_MUTATIONS = "PDS_MUTATIONS"
    PROFILE = "PROFILE"
    ACCOUNT = "ACCOUNT"


class ActivityType(ApiEnum):
    """The kind of an activity, which decides which of its fields are set."""

    ACCOUNT = "ACCOUNT"
    NETWORK_UPDATES = "NETWORK_UPDATES"
    PDS_MUTATIONS = "PDS_MUTATIONS"


#: Every enumeration of the API, by class name.
ENUMERATIONS: Final[tuple[type[ApiEnum], ...]] = (
    AccountLevel,
    ActivityScope,
    ActivityType,
    AvatarVisibility,
    CardScope,
    CommunicationChannel,
    DataSetType,
    EmailNotificationType,
    ProfileScope,
    ProfileType,
    RequestStatus,
    RequestType,
    SortDirection,
)

#: The order of communication channels a new profile starts with.
DEFAULT_CHANNEL_ORDER: Final = (
    CommunicationChannel.LANDLINE3,
    CommunicationChannel.LANDLINE2,
    CommunicationChannel.LANDLINE1,
    CommunicationChannel.MOBTEL1,
    CommunicationChannel.MOBTEL2,
    CommunicationChannel.EMAIL1,
    CommunicationChannel.EMAIL2,
    CommunicationChannel.EMAIL3,
    CommunicationChannel.EMAIL4,
    CommunicationChannel.HANGOUT,
    CommunicationChannel.FACETIME,
    CommunicationChannel.SKYPE,
)


class RequestAction(NamedTuple):
    """
    One answer to share requests (``POST /requests/{action}``).

    Attributes:
        outcome: The status it moves a request to.
        movable: The statuses a request may have for it to apply.
        side: Whose requests it answers: ``"received"`` (the recipient's) or ``"sent"``.
        summary: What it does, in a few words.
    """

    outcome: RequestStatus
    movable: tuple[RequestStatus, ...]
    side: str
    summary: str


#: Every answer to share requests, by the name in its path: the one table behind
#: ``network.accept``/``decline``/``revoke`` and the sandbox's ``/requests/{action}``.
REQUEST_ACTIONS: Final[Mapping[str, RequestAction]] = {
    "accept": RequestAction(
        RequestStatus.ACCEPTED, (RequestStatus.PENDING,), "received", "Accept share requests"
    ),
    "decline": RequestAction(
        RequestStatus.DECLINED, (RequestStatus.PENDING,), "received", "Decline share requests"
    ),
    "revoke": RequestAction(
        RequestStatus.REVOKED,
        (RequestStatus.PENDING, RequestStatus.ACCEPTED),
        "sent",
        "Withdraw share requests",
    ),
}


def values(enumeration: type[ApiEnum]) -> tuple[str, ...]:
    """
    The wire strings of an enumeration, in declaration order.

    Args:
        enumeration: One of `ENUMERATIONS`.

    Returns:
        Each member's value.
    """
    return tuple(member.value for member in enumeration)


def canonical_target(raw_path: bytes, query: bytes) -> str:
    """
    The JWT ``htu`` claim of a request: its path as sent, plus ``?`` and the canonical query.

    The canonical query is every ``name=value`` pair decoded, then RFC 3986-encoded (only
    unreserved characters left as they are) and sorted; a request with no pair has no ``?``.

    Args:
        raw_path: The request path exactly as sent (percent-encoding and base path included),
            without the query.
        query: The raw query string, without the ``?``.

    Returns:
        The ``htu`` value.
    """
    pairs = urllib.parse.parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    encoded = sorted(
        (urllib.parse.quote(name, safe=_UNRESERVED), urllib.parse.quote(value, safe=_UNRESERVED))
        for name, value in pairs
    )
    target = raw_path.decode("latin-1")
    if encoded:
        target += "?" + "&".join(f"{name}={value}" for name, value in encoded)
    return target
