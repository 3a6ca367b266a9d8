"""
URLs and query parameters: the base URL's checks, joining paths below it, origin safety.

`Resolver` remembers the URLs of the last few hundred paths of a client: parsing and
checking a URL costs httpx about 10 µs, as much as the rest of the SDK's work on a call,
and a client sends the same few paths again and again (``account``, ``profiles``,
``requests``). No library offers this, and ``functools.lru_cache`` would keep the base URL
of every client alive in one module-wide cache, so it is a dict, bounded, first in first out.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

import httpx

from ._convert import encode_value

__all__ = ["Resolver", "check_base_url", "clean_params", "is_loopback", "resolve"]

#: How many paths a `Resolver` remembers, and the longest it remembers (a long query, such
#: as a hundred ids, is rare and would hold memory for nothing).
_REMEMBERED = 512
_REMEMBERED_LENGTH = 256

# C0 controls (tab, CR, LF, NUL...) and DEL: never part of a URL we send.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


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
        ValueError: Not an absolute http(s) URL, a port outside 1-65535, user info
            (``user:password@``) in it, or plain http to a non-loopback host without
            ``allow_insecure_http``. No message quotes the URL: it may hold a password.
    """
    text = str(base_url)
    if _CONTROL.search(text):
        raise ValueError("base_url must not contain control characters")
    try:
        url = httpx.URL(text)
    except httpx.InvalidURL:
        raise ValueError("base_url is not a valid URL") from None
    if url.userinfo:
        raise ValueError(
            "base_url must not contain user info (user:password@): pass credentials with "
            "auth= instead"
        )
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError("base_url must be an absolute http(s) URL")
    if url.port is not None and not 0 < url.port < 65536:
        raise ValueError(f"base_url's port must be from 1 to 65535, not {url.port}")
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
        ValueError: A control character (tab, NUL, CR, LF...) in ``path``; a relative path
            whose dot segments (``..``, also percent-encoded) climb above ``base_url``'s
            path; user info in an absolute URL; an absolute URL to another origin:
            credentials never go there. Nothing is sent.
    """
    if not isinstance(path, (str, httpx.URL)):
        raise TypeError(f"path must be a str, not {type(path).__name__}")
    if isinstance(path, str) and _CONTROL.search(path):
        raise ValueError("path must not contain control characters (tab, NUL, CR, LF...)")
    if isinstance(path, str) and ":" not in path:
        # Fast path (the typed endpoints' case): no scheme is possible without ":". URL
        # parsing resolves dot segments exactly as join() would; _below checks the result.
        return _below(base_url, _parse(base_prefix + path.lstrip("/")))
    url = _parse(path) if isinstance(path, str) else path
    if url.is_absolute_url:
        if url.userinfo:
            raise ValueError("a request URL must not contain user info (user:password@)")
        if (url.scheme, url.host, url.port) != (base_url.scheme, base_url.host, base_url.port):
            raise ValueError(
                f"refusing to send to {url.scheme}://{url.host}: not the origin of base_url"
            )
        return url
    relative = str(path).lstrip("/")
    return _below(base_url, base_url.join(relative)) if relative else base_url


class Resolver:
    """
    `resolve` for one base URL, remembering the URLs of its last 512 short string paths.

    Args:
        base_url: The client's base URL (from `check_base_url`).
    """

    __slots__ = ("_known", "_prefix", "base_url")

    def __init__(self, base_url: httpx.URL) -> None:
        self.base_url = base_url
        # str() of a URL with an empty path drops the "/"; the fast path needs it.
        self._prefix = str(base_url).rstrip("/") + "/"
        self._known: dict[str, httpx.URL] = {}

    def __call__(self, path: str | httpx.URL, params: Mapping[str, Any] | None = None) -> httpx.URL:
        """
        The URL a request ``path`` goes to (see `resolve`), with the query ``params``.

        The query is written by httpx's rules (``httpx.QueryParams``) into the path before
        it is parsed, so that the URL is parsed once (and, for a path seen before, not at
        all) rather than parsed and then parsed again with the query merged in.

        Raises:
            TypeError, ValueError: As `resolve` (a refused path is never remembered).
        """
        cleaned = clean_params(params)
        if cleaned is not None:
            if isinstance(path, str) and "?" not in path and "#" not in path:
                path = f"{path}?{httpx.QueryParams(cleaned)}"
            else:  # a query (or fragment) of its own: httpx merges the two
                return self(path).copy_merge_params(cleaned)
        if not isinstance(path, str):
            return resolve(self.base_url, self._prefix, path)
        url = self._known.get(path)
        if url is None:
            url = resolve(self.base_url, self._prefix, path)
            if len(path) <= _REMEMBERED_LENGTH:
                if len(self._known) >= _REMEMBERED:
                    del self._known[next(iter(self._known))]
                self._known[path] = url
        return url


def _parse(text: str) -> httpx.URL:
    try:
        return httpx.URL(text)
    except httpx.InvalidURL as exc:
        raise ValueError(f"not a valid request path: {exc}") from None


def _below(base_url: httpx.URL, url: httpx.URL) -> httpx.URL:
    """``url``, checked to be below ``base_url``'s path with no encoded dot segment left."""
    raw_path = url.raw_path.partition(b"?")[0]
    segments = raw_path.split(b"/")
    if not raw_path.startswith(base_url.raw_path) or any(
        urllib.parse.unquote_to_bytes(segment) in (b".", b"..") for segment in segments
    ):
        raise ValueError("path must stay below base_url's path (no climbing '..' segments)")
    return url


def clean_params(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """
    Drop ``None`` values and write UUIDs, enums and booleans as the API expects.

    ``None`` when nothing is left: httpx merges even an empty dict into the URL again.

    Raises:
        TypeError: ``params`` is not a mapping (a list of pairs, a query string).
    """
    if params is not None and not isinstance(params, Mapping):
        raise TypeError(f"params must be a mapping of names to values, not {type(params).__name__}")
    if not params:
        return None
    cleaned: dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        cleaned[key] = (
            [_param(v) for v in value] if isinstance(value, (list, tuple)) else _param(value)
        )
    return cleaned or None


def _param(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return encode_value(value)
