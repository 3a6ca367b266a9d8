"""
A profile's datastore field ids, for tests that build cards.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["GetJSON", "field_ids"]

#: A JSON GET: the decoded body of a path relative to the API base (``Client.get`` is one).
GetJSON = Callable[[str], Awaitable[Any]]


async def field_ids(get: GetJSON, profile_id: uuid.UUID | str) -> dict[str, uuid.UUID]:
    """
    definitionName -> field value id of a profile's datastore (values without an id left out).

    Args:
        get: How to GET a path and decode its JSON body (``client.get`` of a signed-in SDK
            client, or a raw httpx wrapper that checks the status).
        profile_id: The profile.

    Returns:
        The ids by definition name.
    """
    values = await get(f"profiles/{profile_id}/dataStore")
    return {v["definitionName"]: uuid.UUID(v["id"]) for v in values if v.get("id") is not None}
