"""
Reading the HTTP date and delay headers (`Retry-After`, `Date`).
"""

from __future__ import annotations

import email.utils
import math
import time
from datetime import timezone

__all__ = ["parse_http_date", "parse_retry_after"]


def parse_http_date(value: str | None) -> float | None:
    """
    The Unix time of an HTTP date (RFC 9110 IMF-fixdate and the obsolete forms), or ``None``.
    """
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:
        # RFC 9110: an HTTP date is always UTC, whatever the zone text says.
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        return parsed.timestamp()
    except (OverflowError, ValueError, OSError):
        return None


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """
    Seconds to wait from a ``Retry-After`` header: delay-seconds or an HTTP date.

    Args:
        value: The header's value, or ``None``.
        now: The current Unix time (defaults to the system clock) for the date form.

    Returns:
        A non-negative number of seconds, or ``None`` when the header is absent or unreadable.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        when = parse_http_date(text)
        if when is None:
            return None
        seconds = when - (time.time() if now is None else now)
    if math.isnan(seconds):
        return None
    return max(0.0, min(seconds, 1e9))
