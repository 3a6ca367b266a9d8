"""
Profile settings: `ProfileSettings`, its enumerations, and the settings methods of
``client.profiles``.
"""

from __future__ import annotations

import uuid

import attrs

from .._args import path, uuid_arg
from .._enums import ApiEnum, coerce_enum
from .._wire import AvatarVisibility, CommunicationChannel, EmailNotificationType
from ._base import Namespace

__all__ = [
    "AvatarVisibility",
    "CommunicationChannel",
    "EmailNotificationType",
    "ProfileSettings",
    "SettingsAPI",
]


@attrs.frozen(kw_only=True)
class ProfileSettings:
    """
    A profile's settings (``GET``/``PUT /profiles/{id}/settings``).

    ``PUT`` replaces the whole object, so update a fetched one with ``attrs.evolve``;
    fields left ``None`` are not sent.

    Attributes:
        searchable_by_name: Whether others find the profile by name.
        broadcast_data_changes: Whether connections hear of datastore changes.
        avatar_visibility: Who sees the avatar.
        visible_externally: Whether the profile is visible outside Only Once.
        email_notification_types: The emails the profile receives.
        communication_channels_order: The preferred order of communication channels.
    """

    searchable_by_name: bool | None = None
    broadcast_data_changes: bool | None = None
    avatar_visibility: AvatarVisibility | None = None
    visible_externally: bool | None = None
    email_notification_types: list[EmailNotificationType] | None = None
    communication_channels_order: list[CommunicationChannel] | None = None


class SettingsAPI(Namespace):
    """
    ``client.profiles.settings``: the ``/profiles/{id}/settings`` operations.
    """

    __slots__ = ()

    async def get(self, profile_id: uuid.UUID | str) -> ProfileSettings:
        """
        Get a profile's settings (``GET /profiles/{id}/settings``).

        Args:
            profile_id: The caller's profile.

        Returns:
            The `ProfileSettings`.

        Raises:
            ValueError, TypeError: A bad id (nothing is sent).
        """
        url = path("/profiles/{id}/settings", id=uuid_arg(profile_id, "profile_id"))
        return await self._client.get(url, cast_to=ProfileSettings)

    async def update(self, profile_id: uuid.UUID | str, settings: ProfileSettings) -> None:
        """
        Replace a profile's settings (``PUT /profiles/{id}/settings``).

        Args:
            profile_id: The caller's profile.
            settings: The whole settings object (the API replaces every setting): read it with
                `get`, change it with ``attrs.evolve``, write it back.

        Raises:
            ValueError, TypeError: A bad id, ``settings`` is not a `ProfileSettings`, or it
                holds a string that is not a documented value (nothing is sent).
        """
        if not isinstance(settings, ProfileSettings):
            raise TypeError(f"settings must be ProfileSettings, not {type(settings).__name__}")
        _check_enums(settings)
        url = path("/profiles/{id}/settings", id=uuid_arg(profile_id, "profile_id"))
        await self._client.put(url, json=settings)


def _check_enums(settings: ProfileSettings) -> None:
    # attrs does not check types, so a hand-built object may hold plain strings: those must be
    # documented values. Members pass as they are, pseudo-members included, so settings read
    # from a newer server can be written back unchanged (GET, attrs.evolve, PUT).
    checks: list[tuple[type[ApiEnum], object, str]] = [
        (AvatarVisibility, settings.avatar_visibility, "avatar_visibility")
    ]
    for kind in settings.email_notification_types or []:
        checks.append((EmailNotificationType, kind, "email_notification_types"))
    for channel in settings.communication_channels_order or []:
        checks.append((CommunicationChannel, channel, "communication_channels_order"))
    for cls, value, name in checks:
        if value is not None and not isinstance(value, cls):
            coerce_enum(cls, value, name=name)
