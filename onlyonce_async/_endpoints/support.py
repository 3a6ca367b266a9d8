"""
Support endpoints: ``/heartbeat``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import attrs

from .._convert import structure
from .._errors import ApiDownError, is_api_down
from .._json import decode_json

if TYPE_CHECKING:
    from .._client import Client

__all__ = ["Heartbeat", "heartbeat"]


@attrs.frozen(kw_only=True)
class Heartbeat:
    """
    The API's status (``GET /heartbeat``).

    Attributes:
        node_name: The node that answered.
        since: When that node started.
    """

    node_name: str
    since: dt.datetime | None = None


async def heartbeat(client: Client) -> Heartbeat:
    """
    ``GET /heartbeat``; raises `ApiDownError` for the documented "API DOWN" body.
    """
    response = await client.request_raw("GET", "/heartbeat")
    body = decode_json(response)
    if is_api_down(body):
        raise ApiDownError(
            "API DOWN", status_code=response.status_code, data=body, response=response
        )
    return structure(body, Heartbeat, response=response)
