"""
Profile access for the "Access Required" endpoints (``POST /profiles/{id}/access``).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from ._args import non_empty, path, uuid_arg

if TYPE_CHECKING:
    from ._client import Client

__all__ = ["ProfileAccess", "enable_access"]


class ProfileAccess:
    """
    The pass phrases a client remembers, per profile, to renew expired access.
    """

    def __init__(self) -> None:
        self._phrases: dict[uuid.UUID, str] = {}

    def __repr__(self) -> str:
        return f"<ProfileAccess remembering {len(self._phrases)} profile(s)>"

    def remember(self, profile_id: uuid.UUID, pass_phrase: str) -> None:
        """Keep ``pass_phrase`` to re-enable access to ``profile_id`` when it expires."""
        self._phrases[profile_id] = pass_phrase

    def forget(self, profile_id: uuid.UUID) -> None:
        """Stop renewing access to ``profile_id``."""
        self._phrases.pop(profile_id, None)

    def pass_phrase(self, profile_id: uuid.UUID) -> str | None:
        """The remembered pass phrase for ``profile_id``, or ``None``."""
        return self._phrases.get(profile_id)


async def enable_access(
    client: Client, profile_id: Any, pass_phrase: str, *, remember: bool = True
) -> None:
    """
    ``POST /profiles/{id}/access`` with the ``Secret-Key`` header.
    """
    pid = uuid_arg(profile_id, "profile_id")
    non_empty(pass_phrase, "pass_phrase")
    await client.request(
        "POST", path("/profiles/{id}/access", id=pid), headers={"Secret-Key": pass_phrase}
    )
    if remember:
        client.profile_access.remember(pid, pass_phrase)
    else:
        client.profile_access.forget(pid)
