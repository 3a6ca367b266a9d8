"""
What every endpoint namespace shares: its base class and the ``{"id": ...}`` object.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from .._client import Client

__all__ = ["IdBody", "Namespace"]


class Namespace:
    """
    A namespace of typed endpoint methods bound to one `Client` (``client.cards``, ...).

    The one name of the concept: each subclass is ``<Area>API`` and `Client` declares it
    once, as a cached property.
    """

    __slots__ = ("_client",)

    def __init__(self, client: Client) -> None:
        """
        Bind the namespace to a client; `Client` does this on first use of each.

        Args:
            client: The `Client` whose requests this namespace sends.
        """
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"


@attrs.frozen(kw_only=True)
class IdBody:
    """
    The ``{"id": "<uuid>"}`` object: the answer of the create and clone operations, and
    a reference to a profile in a request body.
    """

    id: uuid.UUID
