"""
The typed endpoint areas, one module each (models and the area's endpoint class together).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .account import AccountAPI
from .activities import ActivitiesAPI
from .cards import CardsAPI
from .companies import CompaniesAPI
from .datastore import DatastoreAPI
from .files import FilesAPI
from .network import NetworkAPI
from .profiles import ProfilesAPI
from .support import DictionariesAPI

if TYPE_CHECKING:
    from .._client import Client

__all__ = ["NAMESPACES", "attach_namespaces"]

#: Each ``client.<name>`` and the endpoint class behind it.
NAMESPACES = {
    "account": AccountAPI,
    "profiles": ProfilesAPI,
    "activities": ActivitiesAPI,
    "companies": CompaniesAPI,
    "datastore": DatastoreAPI,
    "cards": CardsAPI,
    "network": NetworkAPI,
    "dictionaries": DictionariesAPI,
    "files": FilesAPI,
}


def attach_namespaces(client: Client) -> None:
    """
    Give ``client`` its endpoint namespaces (``client.profiles``, ``client.cards``, ...),
    each bound to ``client`` itself (a `Client.with_options` copy gets its own).
    """
    for name, area in NAMESPACES.items():
        setattr(client, name, area(client))
