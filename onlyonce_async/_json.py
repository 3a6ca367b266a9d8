"""
JSON bodies: encoded once to the exact bytes sent, decoded (and typed) with one error.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from ._convert import encode_value, structure
from ._errors import DecodeError

__all__ = ["decode_body", "decode_json", "encode_json"]


def _default(value: Any) -> Any:
    encoded = encode_value(value)
    if encoded is value:
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
    return encoded


def encode_json(body: Any) -> bytes:
    """
    The exact bytes sent for a JSON body: compact UTF-8; UUIDs, datetimes and enums as
    strings
    (`encode_value`, the rule query values follow too).

    Raises:
        TypeError: ``body`` holds something JSON cannot represent.
        ValueError: ``body`` holds NaN or infinity, a string with a lone surrogate, or is
            nested too deeply to encode (the message never quotes the body: it may hold a
            password).
    """
    try:
        text = json.dumps(
            body, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_default
        )
    except RecursionError:
        raise ValueError("the JSON body is nested too deeply to encode") from None
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # The exception would carry the whole body, secrets included.
        raise ValueError("the JSON body holds a string that is not valid Unicode") from None


def decode_json(response: httpx.Response) -> Any:
    """
    The decoded JSON body of a response; ``None`` for an empty body.

    Raises:
        DecodeError: The body is not valid JSON.
    """
    content = response.content
    if not content.strip():
        return None
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise DecodeError(
            "could not decode response, expected valid JSON", response=response
        ) from exc


def decode_body(response: httpx.Response, cast_to: type[Any] | None) -> Any:
    """
    The response's JSON body, structured into ``cast_to`` when given (what every call
    returns).

    Raises:
        DecodeError: Not JSON, or not a valid ``cast_to``; it carries ``response``.
    """
    data = decode_json(response)
    if cast_to is None:
        return data
    return structure(data, cast_to, response=response)
