"""
onlyonce-async: an async (asyncio and trio) SDK for the Only Once API v2.
"""

from ._auth import BearerAuth
from ._client import DEFAULT_BASE_URL, Client
from ._endpoints.support import Heartbeat
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
from ._jwt import SignedJWTAuth
from ._paging import AsyncPaginator, Page
from ._ratelimit import RateLimiter, SlidingWindowRateLimiter
from ._retry import RetryPolicy
from ._types import USE_CLIENT_DEFAULT, RequestOptions
from ._version import __version__

__all__ = [
    "DEFAULT_BASE_URL",
    "ERROR_CODES",
    "USE_CLIENT_DEFAULT",
    "APIError",
    "AccessDeniedError",
    "ApiDownError",
    "ApiEnum",
    "AsyncPaginator",
    "AuthenticationError",
    "AuthenticationFailedError",
    "BadRequestError",
    "BearerAuth",
    "Client",
    "ClientNotFoundError",
    "DecodeError",
    "EncryptionError",
    "ForbiddenError",
    "Heartbeat",
    "IPNotAllowedError",
    "InvalidApiKeyError",
    "InvalidTokenError",
    "MissingApiKeyError",
    "MissingTokenError",
    "NotFoundError",
    "OnlyOnceError",
    "Page",
    "PayloadTooLargeError",
    "ProjectAccessError",
    "RateLimitError",
    "RateLimiter",
    "RegistrationFailedError",
    "RequestOptions",
    "RequestTimeout",
    "RetryPolicy",
    "ServerError",
    "SignedJWTAuth",
    "SlidingWindowRateLimiter",
    "TokenNotVerifiedError",
    "TransportError",
    "UnauthorizedError",
    "UserNotAccessibleError",
    "ValidationError",
    "WrongRequestOwnerError",
    "WrongRequestStatusError",
    "WrongSecretKeyError",
    "__version__",
]
