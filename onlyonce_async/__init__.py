"""
onlyonce-async: an async (asyncio and trio) SDK for the Only Once API v2.
"""

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
from ._endpoints.notes import Note
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
    ServerError,
    TokenNotVerifiedError,
    TransportError,
    UnauthorizedError,
    UserNotAccessibleError,
    ValidationError,
    WrongRequestOwnerError,
    WrongRequestStatusError,
    WrongSecretKeyError,
)
from ._journal import JournalError, ShareJournal
from ._jwt import SignedJWTAuth
from ._paging import AsyncPaginator, Page
from ._ratelimit import RateLimiter, SlidingWindowRateLimiter
from ._retry import RetryPolicy
from ._sqlite_journal import SQLiteJournal
from ._types import USE_CLIENT_DEFAULT, RequestOptions
from ._version import __version__

__all__ = [
    "DEFAULT_BASE_URL",
    "ERROR_CODES",
    "USE_CLIENT_DEFAULT",
    "APIError",
    "AccessDeniedError",
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
    "BulkShareReport",
    "Card",
    "CardContent",
    "CardScope",
    "CardsAPI",
    "Client",
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
    "MissingApiKeyError",
    "MissingTokenError",
    "NetworkAPI",
    "NotFoundError",
    "Note",
    "OnlyOnceError",
    "Page",
    "PayloadTooLargeError",
    "Profile",
    "ProfileScope",
    "ProfileSettings",
    "ProfileType",
    "ProfilesAPI",
    "ProjectAccessError",
    "RateLimitError",
    "RateLimiter",
    "RateLimiterUnavailableError",
    "RegistrationFailedError",
    "RequestOptions",
    "RequestStatus",
    "RequestTimeout",
    "RequestType",
    "RetryPolicy",
    "SQLiteJournal",
    "ServerError",
    "ShareJournal",
    "ShareOutcome",
    "ShareOutcomeUnknownError",
    "ShareRequest",
    "SignedJWTAuth",
    "SlidingWindowRateLimiter",
    "SortDirection",
    "Tag",
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
