"""
DEBUG logging of requests and responses on the ``onlyonce_async`` logger, secrets redacted.

Credential headers are replaced by ``[redacted]`` (requests and responses alike, so the
token in a ``/signIn`` response's ``Authorization`` header too); query values and JSON
body values under credential-like names are redacted; JSON bodies are logged only when
they parse, and every other body (multipart, forms, bytes) is summarised by its length and
type. So no password, pass phrase, token, API key or private key reaches a log line.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import httpx

__all__ = ["REDACTED", "log_request", "log_response", "logger", "redact_headers", "redact_url"]

logger = logging.getLogger("onlyonce_async")

REDACTED = "[redacted]"
SECRET_HEADERS = frozenset(
    {"authorization", "api-key", "secret-key", "cookie", "set-cookie", "proxy-authorization"}
)
_SECRET_KEY_PARTS = ("password", "passphrase", "pass_phrase", "secret", "token", "key")
_MAX_BODY = 1_000


def redact_headers(headers: Mapping[str, str] | httpx.Headers) -> dict[str, str]:
    """
    A copy of ``headers`` with every credential header's value replaced.
    """
    return {
        name: (REDACTED if name.lower() in SECRET_HEADERS else value)
        for name, value in headers.items()
    }


def _is_secret_key(name: str) -> bool:
    lowered = name.lower().replace("-", "").replace("_", "")
    return any(part.replace("_", "") in lowered for part in _SECRET_KEY_PARTS)


def _redact_value(value: Any, depth: int = 0) -> Any:
    if depth > 20:
        return "…"
    if isinstance(value, dict):
        return {
            k: REDACTED if _is_secret_key(str(k)) else _redact_value(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_redact_value(v, depth + 1) for v in value]
    return value


def _describe_body(content: bytes, content_type: str) -> str:
    if not content:
        return ""
    if "json" not in content_type:
        return f"<{len(content)} bytes of {content_type or 'unknown type'}>"
    try:
        text = json.dumps(_redact_value(json.loads(content)), ensure_ascii=False)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return f"<{len(content)} bytes, not JSON>"
    return text if len(text) <= _MAX_BODY else text[:_MAX_BODY] + "…"


def redact_url(url: httpx.URL) -> str:
    """
    ``url`` for a log line: credential-like query values replaced, userinfo dropped.
    """
    shown = url.copy_with(query=None, username=None, password=None)
    if not url.query:
        return str(shown)
    pairs = [
        (name, REDACTED if _is_secret_key(name) else value)
        for name, value in url.params.multi_items()
    ]
    return str(shown.copy_with(params=pairs))


def _body(message: httpx.Request | httpx.Response) -> bytes:
    try:
        return message.content
    except (httpx.RequestNotRead, httpx.ResponseNotRead):
        return b""


def log_request(request: httpx.Request, attempt: int) -> None:
    """Log a request about to be sent (DEBUG)."""
    if not logger.isEnabledFor(logging.DEBUG):
        return
    logger.debug(
        "request %s %s attempt=%d headers=%s body=%s",
        request.method,
        redact_url(request.url),
        attempt,
        redact_headers(request.headers),
        _describe_body(_body(request), request.headers.get("content-type", "")),
    )


def log_response(response: httpx.Response) -> None:
    """Log a response received (DEBUG)."""
    if not logger.isEnabledFor(logging.DEBUG):
        return
    logger.debug(
        "response %s %s -> %d headers=%s body=%s",
        response.request.method,
        redact_url(response.request.url),
        response.status_code,
        redact_headers(response.headers),
        _describe_body(_body(response), response.headers.get("content-type", "")),
    )
