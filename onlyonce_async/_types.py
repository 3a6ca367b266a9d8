"""
Small shared types: the "use the client's default" sentinel and the per-call option bundle.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import IO, Any, Final, TypeAlias, TypedDict

import httpx

__all__ = [
    "USE_CLIENT_DEFAULT",
    "FileTypes",
    "RequestOptions",
    "SendOptions",
    "TimeoutTypes",
    "UseClientDefault",
]


class UseClientDefault(enum.Enum):
    """
    The type of `USE_CLIENT_DEFAULT`: "not given, use the client's setting".

    ``None`` cannot mean that, because for a timeout ``None`` means "no timeout".
    """

    USE_CLIENT_DEFAULT = "USE_CLIENT_DEFAULT"

    def __repr__(self) -> str:
        return "USE_CLIENT_DEFAULT"


USE_CLIENT_DEFAULT: Final = UseClientDefault.USE_CLIENT_DEFAULT

TimeoutTypes: TypeAlias = float | httpx.Timeout | None
FileContent: TypeAlias = IO[bytes] | bytes | str
FileTypes: TypeAlias = (
    FileContent
    | tuple[str | None, FileContent]
    | tuple[str | None, FileContent, str | None]
    | tuple[str | None, FileContent, str | None, Mapping[str, str]]
)


class SendOptions(TypedDict, total=False):
    """
    Options of every request method besides the method, path, query and JSON body.

    Attributes:
        data: Form fields (with ``files``: multipart fields).
        files: Multipart files, as httpx takes them.
        content: Raw body bytes.
        headers: Extra headers for this call (a ``str`` value must be ASCII; pass
            ``bytes`` for anything else, e.g. UTF-8).
        timeout: Per-attempt timeout: seconds, an ``httpx.Timeout``, ``None`` for none.
        deadline: Seconds for the whole call, every retry and wait included; past it the
            call raises `RequestTimeout`. Defaults to the client's ``deadline``; ``None``
            for none.
    """

    data: Mapping[str, Any] | None
    files: Mapping[str, FileTypes] | list[tuple[str, FileTypes]] | None
    content: bytes | str | None
    headers: Mapping[str, str | bytes] | None
    timeout: TimeoutTypes | UseClientDefault
    deadline: float | UseClientDefault | None


class RequestOptions(SendOptions, total=False):
    """
    Everything `Client.request` takes besides the method and path.

    Attributes:
        params: Query parameters; a list value repeats the parameter; ``None`` values are
            left out.
        json: A body to send as JSON (encoded once; ``UUID``, ``datetime`` and enums are
            written as their strings).
    """

    params: Mapping[str, Any] | None
    json: Any
