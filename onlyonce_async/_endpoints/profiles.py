"""
Profiles: `Profile` and its parts, and ``client.profiles`` (``/profiles...``).

Decoding of every model here (and in every endpoint module): fields the API sends that a
model does not know are ignored; a documented-optional field that is missing is ``None``; an
enumeration value this SDK does not know decodes to a pseudo-member whose ``is_known`` is
``False`` (see `ApiEnum`), so a new server-side value never breaks a call; a value of the
wrong JSON type raises `DecodeError`.
"""

from __future__ import annotations

import builtins
import datetime as dt
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import attrs

from .. import _access
from .._args import flag, non_empty, optional_str, pass_phrase_arg, path, str_list, uuid_arg
from .._enums import coerce_enum
from .._paging import AsyncPaginator
from .._wire import ProfileScope, ProfileType, SortDirection
from ._base import IdBody, Namespace
from .notes import Note, NotesAPI
from .settings import ProfileSettings, SettingsAPI

if TYPE_CHECKING:
    from .._client import Client

__all__ = [
    "FlexWorkerInfo",
    "Profile",
    "ProfileScope",
    "ProfileType",
    "ProfilesAPI",
    "SortDirection",
    "Tag",
]


@attrs.frozen(kw_only=True)
class Tag:
    """
    A tag one profile (the owner) put on another (the target).

    Attributes:
        owner_id: The tagging profile.
        target_id: The tagged profile.
        tag: The tag's text.
    """

    owner_id: uuid.UUID
    target_id: uuid.UUID
    tag: str


@attrs.frozen(kw_only=True)
class FlexWorkerInfo:
    """
    Availability of a flex or regular worker (set in the ``FLEX_WORKERS`` and
    ``REGULAR_WORKERS`` scopes).

    Attributes:
        categories: The job categories.
        available_from_date: From when the worker is available.
    """

    categories: list[str] | None = None
    available_from_date: dt.datetime | None = None


@attrs.frozen(kw_only=True)
class Profile:
    """
    A personal or organization profile, as ``GET /profiles`` and ``GET /profiles/{id}`` show it.

    Attributes:
        id: The profile's id.
        onlyonce_id: The numeric Only Once ID.
        type: Personal or organization.
        public_card_id: The profile's predefined public card.
        views_count: How often other accounts viewed the profile.
        incoming_shares_count: Share requests received.
        outgoing_shares_count: Share requests sent.
        name: The display name.
        avatar_id: The avatar file, if any.
        created_date: When the profile was created.
        connected_date: When it was connected (scope ``CONNECTIONS``).
        last_modify_date: When it last changed (scope ``CONNECTIONS``).
        flex_worker_info: Set in the worker scopes.
        bookmarked: Whether the viewing profile bookmarked it.
        connected: Whether the viewing profile is connected to it.
        tags: Tags, when the scope is ``MINE`` or a ``profile_id`` was given.
    """

    id: uuid.UUID
    onlyonce_id: int
    type: ProfileType
    public_card_id: uuid.UUID | None = None
    views_count: int | None = None
    incoming_shares_count: int | None = None
    outgoing_shares_count: int | None = None
    name: str | None = None
    avatar_id: uuid.UUID | None = None
    created_date: dt.datetime | None = None
    connected_date: dt.datetime | None = None
    last_modify_date: dt.datetime | None = None
    flex_worker_info: FlexWorkerInfo | None = None
    bookmarked: bool | None = None
    connected: bool | None = None
    tags: list[Tag] | None = None


class ProfilesAPI(Namespace):
    """
    ``client.profiles``: profiles, access, bookmarks and tags, with the sub-namespaces
    ``notes`` (`NotesAPI`) and ``settings`` (`SettingsAPI`).

    ``add_note``, ``list_notes``, ``update_note``, ``delete_note``, ``get_settings`` and
    ``update_settings`` are the design's flat names for the sub-namespaces' methods.
    """

    __slots__ = ("notes", "settings")

    def __init__(self, client: Client) -> None:
        """
        Bind the namespace and its sub-namespaces to a client.

        Args:
            client: The `Client` whose requests this namespace sends.
        """
        super().__init__(client)
        self.notes = NotesAPI(client)
        self.settings = SettingsAPI(client)

    async def add_note(
        self, profile_id: uuid.UUID | str, *, owner_id: uuid.UUID | str, type: str, text: str
    ) -> uuid.UUID:
        """
        `NotesAPI.add`: write a note about ``profile_id``.

        Args:
            profile_id: The profile the note is about.
            owner_id: The caller's profile writing it.
            type: The note's kind.
            text: The note.
        """
        return await self.notes.add(profile_id, owner_id=owner_id, type=type, text=text)

    async def list_notes(
        self, profile_id: uuid.UUID | str, *, owner_id: uuid.UUID | str
    ) -> builtins.list[Note]:
        """
        `NotesAPI.list`: the notes ``owner_id`` wrote about ``profile_id``.

        Args:
            profile_id: The profile the notes are about.
            owner_id: The caller's profile that wrote them.
        """
        return await self.notes.list(profile_id, owner_id=owner_id)

    async def update_note(self, profile_id: uuid.UUID | str, note: Note) -> None:
        """
        `NotesAPI.update`: replace a note's type and text.

        Args:
            profile_id: The profile the note is about.
            note: The note, its ``id`` naming the one to replace.
        """
        await self.notes.update(profile_id, note)

    async def delete_note(self, profile_id: uuid.UUID | str, note_id: uuid.UUID | str) -> None:
        """
        `NotesAPI.delete`: delete a note.

        Args:
            profile_id: The profile the note is about.
            note_id: The note (`Note.id`).
        """
        await self.notes.delete(profile_id, note_id)

    async def get_settings(self, profile_id: uuid.UUID | str) -> ProfileSettings:
        """
        `SettingsAPI.get`: a profile's settings.

        Args:
            profile_id: The caller's profile.
        """
        return await self.settings.get(profile_id)

    async def update_settings(self, profile_id: uuid.UUID | str, settings: ProfileSettings) -> None:
        """
        `SettingsAPI.update`: replace a profile's settings.

        Args:
            profile_id: The caller's profile.
            settings: The whole settings object.
        """
        await self.settings.update(profile_id, settings)

    def list(
        self,
        *,
        ooid: str | int | None = None,
        name: str | None = None,
        type: ProfileType | str | None = None,
        scope: ProfileScope | str | None = None,
        profile_id: uuid.UUID | str | None = None,
        tags: Iterable[str] | None = None,
        categories: Iterable[str] | None = None,
        sort_field: str | None = None,
        sort_direction: SortDirection | str | None = None,
        page_size: int | None = None,
    ) -> AsyncPaginator[Profile]:
        """
        List or search profiles (``GET /profiles``, paginated).

        Args:
            ooid: An Only Once ID, or part of one.
            name: A profile name, or part of one.
            type: Only profiles of this type.
            scope: Relative to ``profile_id``; without it, every profile is searched.
            profile_id: Whose bookmarks, connections or workers; required when ``scope`` is
                set and not ``MINE``.
            tags: Only profiles with these tags.
            categories: Worker categories (the worker scopes).
            sort_field: The field to sort by.
            sort_direction: ``asc`` or ``desc``.
            page_size: Items per request, 1 to 100 (the server's default, 20, when ``None``).

        Returns:
            A paginator over the matching `Profile` objects.

        Raises:
            ValueError, TypeError: A bad argument, or ``scope`` other than ``MINE`` without
                ``profile_id`` (nothing is sent).
        """
        scope_ = None if scope is None else coerce_enum(ProfileScope, scope, name="scope")
        if scope_ not in (None, ProfileScope.MINE) and profile_id is None:
            raise ValueError(f"profile_id is required with scope {scope_}")
        params: dict[str, Any] = {
            "ooId": None if ooid is None else _ooid(ooid),
            "name": optional_str(name, "name"),
            "type": None if type is None else coerce_enum(ProfileType, type, name="type"),
            "scope": scope_,
            "profileId": None if profile_id is None else uuid_arg(profile_id, "profile_id"),
            "tags": None if tags is None else str_list(tags, "tags"),
            "categories": None if categories is None else str_list(categories, "categories"),
            "sortField": optional_str(sort_field, "sort_field"),
            "sortDirection": None
            if sort_direction is None
            else coerce_enum(SortDirection, sort_direction, name="sort_direction"),
        }
        return AsyncPaginator(
            self._client, "/profiles", Profile, params=params, page_size=page_size
        )

    async def get(
        self, profile_id: uuid.UUID | str, *, current_profile_id: uuid.UUID | str | None = None
    ) -> Profile:
        """
        Get one profile (``GET /profiles/{id}``).

        Args:
            profile_id: The profile to show.
            current_profile_id: The caller's profile viewing it (fills ``bookmarked``,
                ``connected`` and ``tags``).

        Returns:
            The `Profile`.

        Raises:
            ValueError, TypeError: A bad id (nothing is sent).
            NotFoundError: No such profile.
        """
        url = path("/profiles/{id}", id=uuid_arg(profile_id, "profile_id"))
        current = current_profile_id
        params = {"currentProfileId": None if current is None else uuid_arg(current, "current")}
        return await self._client.get(url, params=params, cast_to=Profile)

    async def create_organization(
        self,
        *,
        pass_phrase: str,
        email: str,
        trade_name: str,
        legal_entity_type: uuid.UUID | str | None = None,
        country: uuid.UUID | str | None = None,
        mail_pass_phrase: bool = False,
    ) -> None:
        """
        Create an organization profile owned by the caller (``POST /profiles``).

        Args:
            pass_phrase: The new profile's pass phrase (its ``Secret-Key``).
            email: The organization's email address.
            trade_name: The trade name (unique).
            legal_entity_type: A ``legal_entity_type_field`` dictionary entry id (optional,
                as in the reference; not sent when ``None``).
            country: A ``country_field`` dictionary entry id (optional; not sent when
                ``None``).
            mail_pass_phrase: Whether to mail the pass phrase to ``email``.

        Raises:
            ValueError, TypeError: A bad argument (nothing is sent).
            ValidationError: The trade name is taken or a field is invalid.
        """
        body = OrganizationBody(
            pass_phrase=pass_phrase_arg(pass_phrase, "pass_phrase"),
            email=non_empty(email, "email"),
            trade_name=non_empty(trade_name, "trade_name"),
            legal_entity_type=None
            if legal_entity_type is None
            else uuid_arg(legal_entity_type, "legal_entity_type"),
            country=None if country is None else uuid_arg(country, "country"),
            mail_pass_phrase=flag(mail_pass_phrase, "mail_pass_phrase"),
        )
        await self._client.post("/profiles", json=body)

    async def delete(self, profile_id: uuid.UUID | str) -> None:
        """
        Delete one of the caller's organization profiles (``DELETE /profiles/{id}``).

        Args:
            profile_id: The organization profile to delete.

        Raises:
            ValueError, TypeError: A bad id (nothing is sent).
            AccessDeniedError: A personal profile, or another account's.
        """
        await self._client.delete(path("/profiles/{id}", id=uuid_arg(profile_id, "profile_id")))

    async def enable_access(
        self, profile_id: uuid.UUID | str, pass_phrase: str, *, remember: bool = True
    ) -> None:
        """
        Enable the "Access Required" endpoints for a profile (``POST /profiles/{id}/access``).

        Args:
            profile_id: The profile.
            pass_phrase: Its pass phrase, sent as the ``Secret-Key`` header.
            remember: Keep the pass phrase in memory to renew the access once it expires.

        Raises:
            ValueError, TypeError: A bad argument (nothing is sent).
            WrongSecretKeyError: A wrong pass phrase.
        """
        await _access.enable_access(
            self._client, profile_id, pass_phrase, remember=flag(remember, "remember")
        )

    async def change_pass_phrase(
        self, profile_id: uuid.UUID | str, pass_phrase: str, new_pass_phrase: str
    ) -> None:
        """
        Change a profile's pass phrase (``POST /profiles/{id}/chagePassPhrase``, sic).

        Args:
            profile_id: The profile.
            pass_phrase: Its current pass phrase.
            new_pass_phrase: The pass phrase to set.

        Raises:
            ValueError, TypeError: A bad argument (nothing is sent).
            WrongSecretKeyError: ``pass_phrase`` is wrong.
        """
        url = path("/profiles/{id}/chagePassPhrase", id=uuid_arg(profile_id, "profile_id"))
        body = PassPhraseChangeBody(
            pass_phrase=pass_phrase_arg(pass_phrase, "pass_phrase"),
            new_pass_phrase=pass_phrase_arg(new_pass_phrase, "new_pass_phrase"),
        )
        await self._client.post(url, json=body)

    async def add_bookmark(self, profile_id: uuid.UUID | str, target_id: uuid.UUID | str) -> None:
        """
        Bookmark ``target_id`` for ``profile_id`` (``POST /profiles/{id}/bookmarks``).

        Args:
            profile_id: The caller's profile that keeps the bookmark.
            target_id: The profile to bookmark.

        Raises:
            ValueError, TypeError: A bad id (nothing is sent).
        """
        url = path("/profiles/{id}/bookmarks", id=uuid_arg(profile_id, "profile_id"))
        await self._client.post(url, json=IdBody(id=uuid_arg(target_id, "target_id")))

    async def remove_bookmark(
        self, profile_id: uuid.UUID | str, target_id: uuid.UUID | str
    ) -> None:
        """
        Remove a bookmark (``DELETE /profiles/{id}/bookmarks/{profileId}``).

        Args:
            profile_id: The caller's profile that keeps the bookmark.
            target_id: The bookmarked profile.

        Raises:
            ValueError, TypeError: A bad id (nothing is sent).
        """
        url = path(
            "/profiles/{id}/bookmarks/{target}",
            id=uuid_arg(profile_id, "profile_id"),
            target=uuid_arg(target_id, "target_id"),
        )
        await self._client.delete(url)

    async def add_tag(
        self, *, owner_id: uuid.UUID | str, target_id: uuid.UUID | str, tag: str
    ) -> None:
        """
        Tag ``target_id`` as ``owner_id`` (``POST /profiles/tags``).

        Args:
            owner_id: The caller's profile that tags.
            target_id: The profile tagged.
            tag: The tag's text.

        Raises:
            ValueError, TypeError: A bad argument (nothing is sent).
        """
        await self._client.post("/profiles/tags", json=_tag_body(owner_id, target_id, tag))

    async def remove_tag(
        self, *, owner_id: uuid.UUID | str, target_id: uuid.UUID | str, tag: str
    ) -> None:
        """
        Remove a tag (``DELETE /profiles/tags``, with a JSON body).

        Args:
            owner_id: The caller's profile that tagged.
            target_id: The profile tagged.
            tag: The tag's text.

        Raises:
            ValueError, TypeError: A bad argument (nothing is sent).
        """
        body = _tag_body(owner_id, target_id, tag)
        await self._client.request("DELETE", "/profiles/tags", json=body)


@attrs.frozen(kw_only=True)
class OrganizationBody:
    """
    The body of ``POST /profiles`` (optional ids left ``None`` are not sent).
    """

    pass_phrase: str = attrs.field(repr=False)
    email: str
    trade_name: str
    mail_pass_phrase: bool
    legal_entity_type: uuid.UUID | None = None
    country: uuid.UUID | None = None


@attrs.frozen(kw_only=True)
class PassPhraseChangeBody:
    """
    The body of ``POST /profiles/{id}/chagePassPhrase``.
    """

    pass_phrase: str = attrs.field(repr=False)
    new_pass_phrase: str = attrs.field(repr=False)


@attrs.frozen(kw_only=True)
class TagBody:
    """
    The body of ``POST``/``DELETE /profiles/tags``.
    """

    owner_id: uuid.UUID
    target_id: uuid.UUID
    tag: str


def _tag_body(owner_id: uuid.UUID | str, target_id: uuid.UUID | str, tag: str) -> TagBody:
    return TagBody(
        owner_id=uuid_arg(owner_id, "owner_id"),
        target_id=uuid_arg(target_id, "target_id"),
        tag=non_empty(tag, "tag"),
    )


def _ooid(ooid: object) -> str:
    # The query takes part of an Only Once ID, so digits as text are as good as an int.
    if isinstance(ooid, bool) or not isinstance(ooid, (str, int)):
        raise TypeError(f"ooid must be a str or int, not {type(ooid).__name__}")
    return non_empty(str(ooid), "ooid")
