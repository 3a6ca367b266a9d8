"""
The activity log: `Activity` and ``client.activities`` (``GET /activities``).
"""

from __future__ import annotations

import datetime as dt
import uuid

import attrs

from .._args import uuid_arg
from .._enums import coerce_enum
from .._paging import AsyncPaginator
from .._wire import ActivityScope, ActivityType
from ._base import Namespace

__all__ = ["ActivitiesAPI", "Activity", "ActivityArguments", "ActivityScope", "ActivityType"]


@attrs.frozen(kw_only=True)
class ActivityArguments:
    """
    The details of an activity, as far as the reference documents them.

    ``ACCOUNT`` activities set the browser and device fields; ``NETWORK_UPDATES`` and
    ``PDS_MUTATIONS`` activities set ``data_set_name`` and ``fields_added``. The rest is
    ``None``; undocumented arguments are ignored.

    Attributes:
        browser_type: The browser's name.
        browser_version: The browser's version.
        device_type: The kind of device.
        device_os: The device's operating system (wire name ``deviceOS``).
        data_set_name: The card or data set concerned.
        fields_added: The fields added to it.
    """

    browser_type: str | None = None
    browser_version: str | None = None
    device_type: str | None = None
    device_os: str | None = attrs.field(default=None, metadata={"wire": "deviceOS"})
    data_set_name: str | None = None
    fields_added: list[str] | None = None


@attrs.frozen(kw_only=True)
class Activity:
    """
    One entry of the activity log; both documented shapes in one class.

    An ``ACCOUNT`` activity sets ``remote_ip``; a ``NETWORK_UPDATES`` or ``PDS_MUTATIONS``
    activity sets ``source_id``, ``target_id`` and ``subject``. Fields a shape lacks are
    ``None``.

    Attributes:
        id: The activity's id.
        account_id: The account it belongs to.
        occurred: When it happened.
        activity_type: Its kind.
        entity_name: The entity acted on.
        action_name: The action taken.
        remote_ip: The client's IP address (account activities).
        source_id: The acting profile (network and datastore activities).
        target_id: The profile acted on (network and datastore activities).
        subject: The object acted on, e.g. a card (network and datastore activities).
        arguments: The details.
    """

    id: uuid.UUID
    account_id: uuid.UUID | None = None
    occurred: dt.datetime | None = None
    activity_type: ActivityType | None = None
    entity_name: str | None = None
    action_name: str | None = None
    remote_ip: str | None = None
    source_id: uuid.UUID | None = None
    target_id: uuid.UUID | None = None
    subject: uuid.UUID | None = None
    arguments: ActivityArguments | None = None


class ActivitiesAPI(Namespace):
    """
    ``client.activities``: the activity log.
    """

    __slots__ = ()

    def list(
        self,
        *,
        scope: ActivityScope | str | None = None,
        profile_id: uuid.UUID | str | None = None,
        page_size: int | None = None,
    ) -> AsyncPaginator[Activity]:
        """
        List activities, newest first (``GET /activities``, paginated).

        Args:
            scope: Which activities; ``ACCOUNT`` needs no ``profile_id``.
            profile_id: The profile whose activities; required unless ``scope`` is
                ``ACCOUNT``.
            page_size: Items per request, 1 to 100 (the server's default, 20, when ``None``).

        Returns:
            A paginator over `Activity` objects.

        Raises:
            ValueError, TypeError: A bad argument, or no ``profile_id`` where one is
                required (nothing is sent).
        """
        scope_ = None if scope is None else coerce_enum(ActivityScope, scope, name="scope")
        if scope_ is not ActivityScope.ACCOUNT and profile_id is None:
            raise ValueError("profile_id is required unless scope is ACCOUNT")
        params = {
            "scope": scope_,
            "profileId": None if profile_id is None else uuid_arg(profile_id, "profile_id"),
        }
        return AsyncPaginator(
            self._client, "/activities", Activity, params=params, page_size=page_size
        )
