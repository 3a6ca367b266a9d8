"""
Profile routes: list and search, get, create and delete organizations, access,
pass phrase, settings.
"""

from __future__ import annotations

from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .._convert import wire_keys
from .._endpoints.settings import ProfileSettings
from .._wire import (
    PROFILE_SCOPE_ALIASES,
    AvatarVisibility,
    CommunicationChannel,
    ProfileScope,
    ProfileType,
    SortDirection,
    values,
)
from ._context import Context, empty, endpoint, json_response
from ._dictionaries import entry_by_id
from ._errors import access_denied, status_error
from ._records import CHANNELS, NOTIFICATION_TYPES, SETTINGS, FieldValue, Profile
from ._render import PROFILE_FIELDS, profile_json, sort_key
from ._validate import Fields, paginate, path_uuid, present

__all__ = ["ProfileRoutes"]

SCOPES: Final = values(ProfileScope)
_VISIBILITY: Final = values(AvatarVisibility)
#: The wire name of each setting (the SDK's ProfileSettings decides them).
_SETTING_KEYS: Final = wire_keys(ProfileSettings)
_SETTING_FLAGS: Final = ("searchable_by_name", "broadcast_data_changes", "visible_externally")
#: The scopes that list workers (no sandbox profile is one: nothing sets flexWorkerInfo).
_WORKER_SCOPES: Final = (ProfileScope.FLEX_WORKERS, ProfileScope.REGULAR_WORKERS)


class ProfileRoutes:
    """The profile area of seed 002 (bookmarks, tags and notes live in `RelationRoutes`)."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def routes(self) -> list[BaseRoute]:
        """The area's routes (``/profiles/tags`` is registered before ``/profiles/{id}``)."""
        return [
            Route("/profiles", self.list_profiles, methods=["GET"]),
            Route("/profiles", self.create_organization, methods=["POST"]),
            Route("/profiles/{id}", self.get_profile, methods=["GET"]),
            Route("/profiles/{id}", self.delete_profile, methods=["DELETE"]),
            Route("/profiles/{id}/access", self.enable_access, methods=["POST"]),
            Route("/profiles/{id}/chagePassPhrase", self.change_pass_phrase, methods=["POST"]),
            Route("/profiles/{id}/changePassPhrase", self.change_pass_phrase, methods=["POST"]),
            Route("/profiles/{id}/settings", self.get_settings, methods=["GET"]),
            Route("/profiles/{id}/settings", self.put_settings, methods=["PUT"]),
        ]

    @endpoint(
        query=(
            "ooId",
            "name",
            "type",
            "scope",
            "profileId",
            "sortField",
            "sortDirection",
            "page",
            "size",
        ),
        arrays=("tags", "categories"),
    )
    async def list_profiles(self, request: Request) -> Response:
        """GET /profiles (paginated)."""
        account = self._ctx.account(request)
        query = self._ctx.query(request)
        ooid = query.text("ooId")
        name = query.text("name")
        kind = query.choice("type", values(ProfileType))
        scope = query.choice("scope", SCOPES, aliases=PROFILE_SCOPE_ALIASES)
        profile_id = query.uuid("profileId")
        if (
            scope not in (None, ProfileScope.MINE)
            and profile_id is None
            and "profileId" not in query.errors
        ):
            query.add("profileId", "is required when scope is set and not MINE")
        tags = set(query.many("tags"))
        categories = query.many("categories")
        sort_field = query.choice("sortField", PROFILE_FIELDS) or "name"
        direction = query.choice("sortDirection", values(SortDirection)) or SortDirection.ASC
        page, size = query.page()
        query.check()
        store = self._ctx.store
        viewer = (
            store.own_profile(account, profile_id)
            if profile_id is not None
            else store.profiles[account.personal_profile_id]
        )
        if scope == ProfileScope.MINE:
            found = [store.profiles[p] for p in account.profile_ids]
        elif scope == ProfileScope.BOOKMARKS:
            found = [store.profiles[p] for p in viewer.bookmarks if p in store.profiles]
        elif scope == ProfileScope.CONNECTIONS:
            found = [store.profiles[p] for p in store.connections.get(viewer.id, {})]
        elif scope in _WORKER_SCOPES:
            found = []  # no profile carries flexWorkerInfo: the API offers no way to set it
        else:
            found = list(store.profiles.values())
        # searchableByName: false keeps a profile out of other accounts' directory search
        # (no scope: by name, by ooId or unfiltered, or listing everybody would find it);
        # the caller's own lists (bookmarks, connections) still show it.
        hide_unsearchable = scope is None
        found = [
            p
            for p in found
            if (ooid is None or ooid in str(p.onlyonce_id))
            and (name is None or name.casefold() in p.name.casefold())
            and (kind is None or p.type == kind)
            and (not tags or tags & set(viewer.tags.get(p.id, [])))
            and not (categories and scope in _WORKER_SCOPES)
            and not (
                hide_unsearchable
                and not p.settings[_SETTING_KEYS["searchable_by_name"]]
                and p.account_id != account.id
            )
        ]
        shown = [
            profile_json(store, p, viewer.id, own_tags=scope == ProfileScope.MINE) for p in found
        ]
        shown.sort(
            key=lambda item: sort_key(item[sort_field]), reverse=direction == SortDirection.DESC
        )
        return json_response(paginate(shown, page, size))

    @endpoint(query=("currentProfileId",))
    async def get_profile(self, request: Request) -> Response:
        """GET /profiles/{id}; another account's view counts in ``viewsCount``."""
        account = self._ctx.account(request)
        query = self._ctx.query(request)
        current_id = query.uuid("currentProfileId")
        profile_id = path_uuid(request.path_params, "id")
        query.check()
        store = self._ctx.store
        profile = store.profile(profile_id)
        viewer = (
            store.own_profile(account, current_id)
            if current_id is not None
            else store.profiles[account.personal_profile_id]
        )
        if profile.account_id != account.id:
            profile.views += 1
        return json_response(profile_json(store, profile, viewer.id))

    async def create_organization(self, request: Request) -> Response:
        """POST /profiles: 200 empty; ``tradeName`` must be unique."""
        account = self._ctx.account(request)
        fields = Fields(self._ctx.json(request))
        pass_phrase = fields.text("passPhrase")
        email = fields.text("email")
        trade_name = fields.text("tradeName")
        for name, dictionary in (
            ("legalEntityType", "legal_entity_type_field"),
            ("country", "country_field"),
        ):
            entry_id = fields.uuid(name, required=False)
            if entry_id is not None and entry_by_id(dictionary, entry_id) is None:
                fields.add(name, f"must be an id from the {dictionary} dictionary")
        fields.boolean("mailPassPhrase")
        store = self._ctx.store
        if trade_name is not None and any(
            (p.trade_name or "").casefold() == trade_name.strip().casefold()
            for p in store.profiles.values()
        ):
            fields.add("tradeName", "is already taken")
        fields.check()
        email = present(email)
        profile = store.create_profile(
            account,
            ProfileType.ORGANIZATION,
            present(trade_name).strip(),
            present(pass_phrase),
            email=email,
        )
        for definition, value in (
            ("trade_name_field", profile.name),
            (CommunicationChannel.EMAIL1.value, email),
        ):
            field = FieldValue(store.new_id(), definition, value)
            profile.datastore[field.id] = field
        store.cards[profile.public_card_id].fields = list(profile.datastore)[:1]
        self._ctx.log_account(request, account, "CREATE_PROFILE")
        return empty()

    async def delete_profile(self, request: Request) -> Response:
        """DELETE /profiles/{id}: only the caller's ORGANIZATION profiles."""
        profile_id = path_uuid(request.path_params, "id")
        account = self._ctx.account(request)
        profile = self._ctx.store.own_profile(account, profile_id)
        if profile.type != ProfileType.ORGANIZATION:
            raise access_denied("Only organization profiles can be deleted")
        self._ctx.store.delete_profile(profile.id)
        return empty()

    def _owned(self, request: Request) -> tuple[Profile, Any]:
        profile_id = path_uuid(request.path_params, "id")
        account = self._ctx.account(request)
        return self._ctx.store.own_profile(account, profile_id), account

    async def enable_access(self, request: Request) -> Response:
        """POST /profiles/{id}/access with the ``Secret-Key`` header."""
        profile, account = self._owned(request)
        if _secret_key(request) != profile.pass_phrase:
            raise status_error(401, "wrong-secret-key", "Wrong secret key")
        self._ctx.store.grant_access(account, profile)
        return empty()

    async def change_pass_phrase(self, request: Request) -> Response:
        """POST /profiles/{id}/chagePassPhrase (sic)."""
        profile, _ = self._owned(request)
        fields = Fields(self._ctx.json(request))
        old = fields.text("passPhrase")
        new = fields.text("newPassPhrase")
        fields.check()
        if old != profile.pass_phrase or new is None:
            raise status_error(401, "wrong-secret-key", "Wrong secret key")
        profile.pass_phrase = new
        return empty()

    async def get_settings(self, request: Request) -> Response:
        """GET /profiles/{id}/settings."""
        profile, _ = self._owned(request)
        settings = profile.settings
        return json_response(
            {k: list(v) if isinstance(v, list) else v for k, v in settings.items()}
        )

    async def put_settings(self, request: Request) -> Response:
        """PUT /profiles/{id}/settings with the whole settings object."""
        profile, _ = self._owned(request)
        fields = Fields(self._ctx.json(request))
        key = _SETTING_KEYS
        flags = {name: fields.boolean(key[name], required=True) for name in _SETTING_FLAGS}
        visibility = fields.choice(key["avatar_visibility"], _VISIBILITY)
        notifications = _names(fields, key["email_notification_types"], NOTIFICATION_TYPES)
        channels = _names(fields, key["communication_channels_order"], CHANNELS)
        fields.check()
        profile.settings = SETTINGS(
            **flags,
            avatar_visibility=visibility,
            email_notification_types=notifications,
            communication_channels_order=channels,
        )
        profile.modified = self._ctx.store.now()
        return empty()


def _names(fields: Fields, name: str, allowed: tuple[str, ...]) -> list[str]:
    values = fields.items(name)
    if values is None:
        return []
    if any(not isinstance(v, str) or v not in allowed for v in values):
        fields.add(name, f"each must be one of {', '.join(allowed)}")
    elif len(set(values)) != len(values):
        fields.add(name, "must not repeat a value")
    return [v for v in values if isinstance(v, str)]


def _secret_key(request: Request) -> str | None:
    """
    The ``Secret-Key`` header as the SDK sends it: the pass phrase's UTF-8 bytes.

    Starlette decodes header bytes as Latin-1; undo that and read UTF-8. Bytes that are not
    UTF-8 match no pass phrase.
    """
    value = request.headers.get("secret-key")
    if value is None:
        return None
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return None
