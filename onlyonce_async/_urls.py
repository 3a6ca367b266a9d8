"""
URLs and query parameters: the base URL's checks, joining paths below it, origin safety.
"""

from __future__ import annotations

import enum
import ipaddress
import uuid
from collections.abc import Mapping
from typing import Any

import httpx

__all__ = ["check_base_url", "clean_params", "is_loopback", "resolve"]


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine (``localhost``, 127.0.0.0/8, ``::1``)."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_base_url(base_url: str | httpx.URL, allow_insecure_http: bool) -> httpx.URL:
    """
    The base URL, normalised to end in ``/``, without query or fragment.

    Raises:
        ValueError: Not an absolute http(s) URL, or plain http to a non-loopback host
            without ``allow_insecure_http``.
    """
    url = httpx.URL(str(base_url))
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"base_url must be an absolute http(s) URL, not {str(base_url)!r}")
    if url.scheme == "http" and not allow_insecure_http and not is_loopback(url.host):
        raise ValueError(
            f"refusing plain-http base_url to {url.host!r}: credentials would travel in "
            "clear text; use https, or pass allow_insecure_http=True"
        )
    if not url.raw_path.endswith(b"/"):
        url = url.copy_with(raw_path=url.raw_path + b"/")
    return url.copy_with(query=None, fragment=None)


def resolve(base_url: httpx.URL, base_prefix: str, path: str | httpx.URL) -> httpx.URL:
    """
    The URL a request ``path`` goes to: below ``base_url``, or an absolute URL of its origin.

    Args:
        base_url: The client's base URL (from `check_base_url`).
        base_prefix: ``str(base_url)`` ending in ``/``.
        path: Relative to ``base_url`` (a leading ``/`` or ``//`` does not escape it), or
            an absolute URL.

    Raises:
        TypeError: ``path`` is not a string or URL.
        ValueError: An absolute URL to another origin: credentials never go there.
    """
    if not isinstance(path, (str, httpx.URL)):
        raise TypeError(f"path must be a str, not {type(path).__name__}")
    if isinstance(path, str) and ":" not in path:
        # Fast path (the typed endpoints' case): no scheme is possible without ":", so the
        # path can only land below base_url; URL parsing resolves any dot segments exactly
        # as join() would.
        return httpx.URL(base_prefix + path.lstrip("/"))
    url = httpx.URL(path) if isinstance(path, str) else path
    if url.is_absolute_url:
        if (url.scheme, url.host, url.port) != (base_url.scheme, base_url.host, base_url.port):
            raise ValueError(
                f"refusing to send to {url.scheme}://{url.host}: not the origin of base_url"
            )
        return url
    relative = str(path).lstrip("/")
    return base_url.join(relative) if relative else base_url


def clean_params(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Drop ``None`` values and write UUIDs, enums and booleans as the API expects."""
    if params is None:
        return None
    cleaned: dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        cleaned[key] = (
            [_param(v) for v in value] if isinstance(value, (list, tuple)) else _param(value)
        )
    return cleaned


def _param(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    return value
