"""
onlyonce-async: an async (asyncio and trio) SDK for the Only Once API v2.
"""

import importlib
import typing

from ._version import __version__

if typing.TYPE_CHECKING:
    from ._auth import BearerAuth
    from ._client import DEFAULT_BASE_URL, Client
    from ._endpoints.account import Account, AccountAPI, AccountLevel
    from ._endpoints.activities import (
        ActivitiesAPI,
        Activity,
        ActivityArguments,
        ActivityScope,
        ActivityType,
    )
    from ._endpoints.bulk import (
        BulkShareReport,
        InvalidRecipientError,
        ShareOutcome,
        ShareOutcomeUnknownError,
    )
    from ._endpoints.cards import Card, CardContent, CardsAPI, CardScope, DataSetType
    from ._endpoints.companies import CompaniesAPI, Company
    from ._endpoints.datastore import DatastoreAPI, FieldData, FieldValue
    from ._endpoints.files import FileInfo, FilesAPI, UploadSource
    from ._endpoints.network import NetworkAPI, RequestStatus, RequestType, ShareRequest
    from ._endpoints.notes import Note, NotesAPI
    from ._endpoints.profiles import (
        FlexWorkerInfo,
        Profile,
        ProfilesAPI,
        ProfileScope,
        ProfileType,
        SortDirection,
        Tag,
    )
    from ._endpoints.settings import (
        AvatarVisibility,
        CommunicationChannel,
        EmailNotificationType,
        ProfileSettings,
        SettingsAPI,
    )
    from ._endpoints.support import ConsolidatedEntry, DictionariesAPI, DictionaryEntry, Heartbeat
    from ._enums import ApiEnum
    from ._errors import (
        ERROR_CODES,
        AccessDeniedError,
        ApiDownError,
        APIError,
        AuthenticationError,
        AuthenticationFailedError,
        BadRequestError,
        ClientClosedError,
        ClientNotFoundError,
        DecodeError,
        EncryptionError,
        ForbiddenError,
        InvalidApiKeyError,
        InvalidTokenError,
        IPNotAllowedError,
        MissingApiKeyError,
        MissingTokenError,
        NotFoundError,
        OnlyOnceError,
        PayloadTooLargeError,
        ProjectAccessError,
        RateLimitError,
        RateLimiterUnavailableError,
        RegistrationFailedError,
        RequestTimeout,
        ResponseTooLargeError,
        ServerError,
        TokenExpiredError,
        TokenNotVerifiedError,
        TransportError,
        UnauthorizedError,
        UserNotAccessibleError,
        ValidationError,
        WrongRequestOwnerError,
        WrongRequestStatusError,
        WrongSecretKeyError,
    )
    from ._events import (
        AccessRenewed,
        BulkProgress,
        CallFinished,
        CallStarted,
        Event,
        Listener,
        QuotaWaited,
        RateLimited,
        ReauthenticatedEvent,
        ReconciliationLookup,
        RequestFailed,
        RequestSent,
        ResponseReceived,
        RetryScheduled,
        ShareCompleted,
    )
    from ._journal import JournalError, ShareJournal
    from ._jwt import SignedJWTAuth
    from ._paging import AsyncPaginator, Page
    from ._ratelimit import LimiterStats, RateLimiter, SlidingWindowRateLimiter
    from ._retry import RetryPolicy
    from ._sqlite_journal import SQLiteJournal
    from ._types import USE_CLIENT_DEFAULT, RequestOptions

# Public names are imported on first use (PEP 562): `import onlyonce_async` stays cheap, and
# PyJWT and cryptography load only for `SignedJWTAuth`. The block above is what type
# checkers see; tests/test_public_api.py checks that it and this table name the same things.
#: The module of each public name, relative to this package.
_LAZY: dict[str, tuple[str, ...]] = {
    "._auth": ("BearerAuth",),
    "._client": ("DEFAULT_BASE_URL", "Client"),
    "._endpoints.account": ("Account", "AccountAPI", "AccountLevel"),
    "._endpoints.activities": (
        "ActivitiesAPI",
        "Activity",
        "ActivityArguments",
        "ActivityScope",
        "ActivityType",
    ),
    "._endpoints.bulk": (
        "BulkShareReport",
        "InvalidRecipientError",
        "ShareOutcome",
        "ShareOutcomeUnknownError",
    ),
    "._endpoints.cards": ("Card", "CardContent", "CardsAPI", "CardScope", "DataSetType"),
    "._endpoints.companies": ("CompaniesAPI", "Company"),
    "._endpoints.datastore": ("DatastoreAPI", "FieldData", "FieldValue"),
    "._endpoints.files": ("FileInfo", "FilesAPI", "UploadSource"),
    "._endpoints.network": ("NetworkAPI", "RequestStatus", "RequestType", "ShareRequest"),
    "._endpoints.notes": ("Note", "NotesAPI"),
    "._endpoints.profiles": (
        "FlexWorkerInfo",
        "Profile",
        "ProfilesAPI",
        "ProfileScope",
        "ProfileType",
        "SortDirection",
        "Tag",
    ),
    "._endpoints.settings": (
        "AvatarVisibility",
        "CommunicationChannel",
        "EmailNotificationType",
        "ProfileSettings",
        "SettingsAPI",
    ),
    "._endpoints.support": ("ConsolidatedEntry", "DictionariesAPI", "DictionaryEntry", "Heartbeat"),
    "._enums": ("ApiEnum",),
    "._errors": (
        "AccessDeniedError",
        "ApiDownError",
        "APIError",
        "AuthenticationError",
        "AuthenticationFailedError",
        "BadRequestError",
        "ClientClosedError",
        "ClientNotFoundError",
        "DecodeError",
        "EncryptionError",
        "ERROR_CODES",
        "ForbiddenError",
        "InvalidApiKeyError",
        "InvalidTokenError",
        "IPNotAllowedError",
        "MissingApiKeyError",
        "MissingTokenError",
        "NotFoundError",
        "OnlyOnceError",
        "PayloadTooLargeError",
        "ProjectAccessError",
        "RateLimitError",
        "RateLimiterUnavailableError",
        "RegistrationFailedError",
        "RequestTimeout",
        "ResponseTooLargeError",
        "ServerError",
        "TokenExpiredError",
        "TokenNotVerifiedError",
        "TransportError",
        "UnauthorizedError",
        "UserNotAccessibleError",
        "ValidationError",
        "WrongRequestOwnerError",
        "WrongRequestStatusError",
        "WrongSecretKeyError",
    ),
    "._journal": ("JournalError", "ShareJournal"),
    "._jwt": ("SignedJWTAuth",),
    "._paging": ("AsyncPaginator", "Page"),
    "._ratelimit": ("LimiterStats", "RateLimiter", "SlidingWindowRateLimiter"),
    "._events": (
        "AccessRenewed",
        "BulkProgress",
        "CallFinished",
        "CallStarted",
        "Event",
        "Listener",
        "QuotaWaited",
        "RateLimited",
        "ReauthenticatedEvent",
        "ReconciliationLookup",
        "RequestFailed",
        "RequestSent",
        "ResponseReceived",
        "RetryScheduled",
        "ShareCompleted",
    ),
    "._retry": ("RetryPolicy",),
    "._sqlite_journal": ("SQLiteJournal",),
    "._types": ("USE_CLIENT_DEFAULT", "RequestOptions"),
}
_MODULE_OF = {name: module for module, names in _LAZY.items() for name in names}

__all__ = [
    "DEFAULT_BASE_URL",
    "ERROR_CODES",
    "USE_CLIENT_DEFAULT",
    "APIError",
    "AccessDeniedError",
    "AccessRenewed",
    "Account",
    "AccountAPI",
    "AccountLevel",
    "ActivitiesAPI",
    "Activity",
    "ActivityArguments",
    "ActivityScope",
    "ActivityType",
    "ApiDownError",
    "ApiEnum",
    "AsyncPaginator",
    "AuthenticationError",
    "AuthenticationFailedError",
    "AvatarVisibility",
    "BadRequestError",
    "BearerAuth",
    "BulkProgress",
    "BulkShareReport",
    "CallFinished",
    "CallStarted",
    "Card",
    "CardContent",
    "CardScope",
    "CardsAPI",
    "Client",
    "ClientClosedError",
    "ClientNotFoundError",
    "CommunicationChannel",
    "CompaniesAPI",
    "Company",
    "ConsolidatedEntry",
    "DataSetType",
    "DatastoreAPI",
    "DecodeError",
    "DictionariesAPI",
    "DictionaryEntry",
    "EmailNotificationType",
    "EncryptionError",
    "Event",
    "FieldData",
    "FieldValue",
    "FileInfo",
    "FilesAPI",
    "FlexWorkerInfo",
    "ForbiddenError",
    "Heartbeat",
    "IPNotAllowedError",
    "InvalidApiKeyError",
    "InvalidRecipientError",
    "InvalidTokenError",
    "JournalError",
    "LimiterStats",
    "Listener",
    "MissingApiKeyError",
    "MissingTokenError",
    "NetworkAPI",
    "NotFoundError",
    "Note",
    "NotesAPI",
    "OnlyOnceError",
    "Page",
    "PayloadTooLargeError",
    "Profile",
    "ProfileScope",
    "ProfileSettings",
    "ProfileType",
    "ProfilesAPI",
    "ProjectAccessError",
    "QuotaWaited",
    "RateLimitError",
    "RateLimited",
    "RateLimiter",
    "RateLimiterUnavailableError",
    "ReauthenticatedEvent",
    "ReconciliationLookup",
    "RegistrationFailedError",
    "RequestFailed",
    "RequestOptions",
    "RequestSent",
    "RequestStatus",
    "RequestTimeout",
    "RequestType",
    "ResponseReceived",
    "ResponseTooLargeError",
    "RetryPolicy",
    "RetryScheduled",
    "SQLiteJournal",
    "ServerError",
    "SettingsAPI",
    "ShareCompleted",
    "ShareJournal",
    "ShareOutcome",
    "ShareOutcomeUnknownError",
    "ShareRequest",
    "SignedJWTAuth",
    "SlidingWindowRateLimiter",
    "SortDirection",
    "Tag",
    "TokenExpiredError",
    "TokenNotVerifiedError",
    "TransportError",
    "UnauthorizedError",
    "UploadSource",
    "UserNotAccessibleError",
    "ValidationError",
    "WrongRequestOwnerError",
    "WrongRequestStatusError",
    "WrongSecretKeyError",
    "__version__",
]


def __getattr__(name: str) -> object:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
