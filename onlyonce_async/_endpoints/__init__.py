"""
The typed endpoint areas, one module each (models and the area's endpoint class together).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .._client import Client

__all__ = ["attach_namespaces"]


def attach_namespaces(client: Client) -> None:
    """
    Give ``client`` its endpoint namespaces (``client.profiles``, ``client.cards``, ...).
    """
