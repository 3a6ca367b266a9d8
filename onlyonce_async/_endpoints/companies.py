"""
Organisations by employer name: `Company` and ``client.companies`` (``GET /companies``).
"""

from __future__ import annotations

import builtins

import attrs

from .._args import non_empty
from ._base import Namespace

__all__ = ["CompaniesAPI", "Company"]


@attrs.frozen(kw_only=True)
class Company:
    """
    An organisation known to Only Once.

    Attributes:
        onlyonce_id: Its numeric Only Once ID (wire name ``onlyOnceId``, capital ``O``).
        name: Its trade name.
    """

    onlyonce_id: int = attrs.field(metadata={"wire": "onlyOnceId"})
    name: str


class CompaniesAPI(Namespace):
    """
    ``client.companies``: looking organisations up.
    """

    __slots__ = ()

    async def list(self, employer_name: str) -> builtins.list[Company]:
        """
        Find organisations whose name contains ``employer_name`` (``GET /companies``).

        Args:
            employer_name: Part of the organisation's name.

        Returns:
            The matching `Company` objects.

        Raises:
            ValueError, TypeError: An empty or non-string name (nothing is sent).
        """
        params = {"employerName": non_empty(employer_name, "employer_name")}
        return await self._client.get("/companies", params=params, cast_to=list[Company])
