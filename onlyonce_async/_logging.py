"""
DEBUG logging of requests and responses on the ``onlyonce_async`` logger, secrets redacted;
and the redaction of httpx's and httpcore's own records made during SDK calls.

Credential headers are replaced by ``[redacted]`` (requests and responses alike, so the
token in a ``/signIn`` response's ``Authorization`` header too); query values and JSON
body values under credential-like names are redacted; JSON bodies are logged only when
they parse, and every other body (multipart, forms, bytes) is summarised by its length and
type. So no password, pass phrase, token, API key or private key reaches a log line.

httpcore logs every header it sends and receives at DEBUG (``authorization: Bearer ...``
from ``/signIn`` included). `install_redaction` attaches one `SecretsFilter` to the
loggers httpx and httpcore emit on (`THIRD_PARTY_LOGGERS`); it changes nothing else (no
level, handler or propagation) and touches only records made while an SDK call runs in
the current task (`sdk_call`, a context variable), replacing credential header values
bearer tokens and credential-like query values in them. The application's own use of httpx
is left exactly as it logs.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any, Final

import httpx

__all__ = [
    "REDACTED",
    "THIRD_PARTY_LOGGERS",
    "SecretsFilter",
    "install_redaction",
    "log_request",
    "log_response",
    "logger",
    "redact_headers",
    "redact_text",
    "redact_url",
    "sdk_call",
]

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


#: The loggers httpx and httpcore write records on (a filter applies to its own logger's
#: records only, not to those its children propagate, so each is named).
THIRD_PARTY_LOGGERS: Final = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)

_IN_SDK_CALL: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "onlyonce_async_in_sdk_call", default=False
)
_NAMES = "|".join(re.escape(name) for name in sorted(SECRET_HEADERS))
# httpcore's form: a header as a tuple of bytes literals, (b'authorization', b'Bearer x').
_BYTES_LITERAL = r"""b(?:'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*")"""
_HEADER_TUPLE = re.compile(
    rf"""\(\s*b(['"])({_NAMES})\1\s*,\s*{_BYTES_LITERAL}\s*\)""", re.IGNORECASE
)
# Plain text forms: "Authorization: Bearer x", "secret-key=x"; and any bearer token.
_VALUE = r"""[^\s,;'"()\[\]{}]+"""
_HEADER_TEXT = re.compile(rf"""\b({_NAMES})(\s*[:=]\s*)(?:Bearer\s+)?{_VALUE}""", re.IGNORECASE)
_BEARER = re.compile(rf"""\b(Bearer\s+){_VALUE}""", re.IGNORECASE)
# A URL's query pair, as httpx's "HTTP Request: GET https://...?token=x" line shows it.
_QUERY_PAIR = re.compile(r"""([?&])([^=&#\s'"]+)=([^&#\s'"]*)""")


def _redact_query_pair(match: re.Match[str]) -> str:
    name = match[2]
    if _is_secret_key(urllib.parse.unquote_plus(name)):
        return f"{match[1]}{name}={REDACTED}"
    return match[0]


def redact_text(text: str) -> str:
    """
    ``text`` with credential header values, bearer tokens and credential-like query values
    (by `redact_url`'s rule) replaced by ``[redacted]``.
    """
    text = _HEADER_TUPLE.sub(lambda m: f"(b{m[1]}{m[2]}{m[1]}, b'{REDACTED}')", text)
    text = _HEADER_TEXT.sub(lambda m: f"{m[1]}{m[2]}{REDACTED}", text)
    text = _QUERY_PAIR.sub(_redact_query_pair, text)
    return _BEARER.sub(lambda m: f"{m[1]}{REDACTED}", text)


class sdk_call:  # lower case: used like a function, `with sdk_call():`
    """
    Mark the current task as running an SDK call while the block runs.

    A class rather than a generator-based context manager: it runs on every call, and
    this costs a third as much.
    """

    __slots__ = ("_token",)

    def __enter__(self) -> None:
        self._token = _IN_SDK_CALL.set(True)

    def __exit__(self, *exc_info: object) -> None:
        _IN_SDK_CALL.reset(self._token)


class SecretsFilter(logging.Filter):
    """
    Redacts the records of an SDK call; passes every record, changed or not.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record`` in place if it was made during an SDK call."""
        if not _IN_SDK_CALL.get():
            return True
        try:
            message = record.getMessage()
        except Exception:
            return True
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


_FILTER: Final = SecretsFilter()


def install_redaction() -> None:
    """
    Attach `SecretsFilter` to `THIRD_PARTY_LOGGERS` (once; idempotent).
    """
    for name in THIRD_PARTY_LOGGERS:
        target = logging.getLogger(name)
        if _FILTER not in target.filters:
            target.addFilter(_FILTER)
