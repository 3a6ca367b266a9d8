"""
Support routes: dictionaries, companies, the consolidated network view, activities and
the heartbeat.
"""

from __future__ import annotations

import uuid
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .._endpoints.companies import Company
from .._endpoints.support import Heartbeat
from .._wire import ActivityScope, ActivityType, ProfileType, values
from ._context import Context, endpoint, json_response
from ._dictionaries import DICTIONARIES, entry_by_id
from ._errors import not_found
from ._records import FieldValue, timestamp
from ._shape import Shape
from ._state import ACTIVITY
from ._validate import paginate, present

__all__ = ["SupportRoutes"]

ACTIVITY_SCOPES: Final = values(ActivityScope)
_COMPANY: Final = Shape(Company)
_HEARTBEAT: Final = Shape(Heartbeat)
#: The members of a stored activity the scopes filter on.
_KIND, _SOURCE, _TARGET = (ACTIVITY.key(n) for n in ("activity_type", "source_id", "target_id"))


def _plain(field: FieldValue) -> str | None:
    """A field's value as text (dictionary references become their label)."""
    if isinstance(field.value, dict):
        entry_id = uuid.UUID(field.value["id"])
        entry = entry_by_id(field.definition_name, entry_id)
        return entry.value if entry is not None else field.value["id"]
    return field.value


class SupportRoutes:
    """The support area of seed 002 (files live in `FileRoutes`)."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self.node_name = f"onlyonce-sandbox-{ctx.store.new_id().hex}"

    def routes(self) -> list[BaseRoute]:
        """The area's routes."""
        return [
            Route("/dictionaries", self.dictionaries, methods=["GET"]),
            Route("/companies", self.companies, methods=["GET"]),
            Route("/consolidated", self.consolidated, methods=["GET"]),
            Route("/activities", self.activities, methods=["GET"]),
            Route("/heartbeat", self.heartbeat, methods=["GET"]),
        ]

    @endpoint(public=True, query=("fieldDefinitionName",))
    async def dictionaries(self, request: Request) -> Response:
        """GET /dictionaries?fieldDefinitionName= (no auth); unknown name: 404."""
        query = self._ctx.query(request)
        name = query.text("fieldDefinitionName", required=True)
        query.check()
        entries = DICTIONARIES.get(name or "")
        if entries is None:
            raise not_found("Dictionary", name)
        return json_response([e.to_wire() for e in entries])

    @endpoint(public=True, query=("employerName",))
    async def companies(self, request: Request) -> Response:
        """GET /companies?employerName= (no auth): organizations whose name contains it."""
        query = self._ctx.query(request)
        employer = query.text("employerName", required=True)
        query.check()
        wanted = (employer or "").casefold()
        return json_response(
            [
                _COMPANY(onlyonce_id=p.onlyonce_id, name=p.name)
                for p in self._ctx.store.profiles.values()
                if p.type == ProfileType.ORGANIZATION and wanted in p.name.casefold()
            ]
        )

    @endpoint(query=("profileId", "page", "size"), arrays=("fieldNames",))
    async def consolidated(self, request: Request) -> Response:
        """GET /consolidated?profileId=&fieldNames=...: what each connection shared (paginated)."""
        account = self._ctx.account(request)
        query = self._ctx.query(request)
        profile_id = query.uuid("profileId", required=True)
        names = list(dict.fromkeys(query.many("fieldNames")))
        page, size = query.page()
        query.check()
        store = self._ctx.store
        profile = store.unlocked_profile(account, present(profile_id))
        connections = sorted(store.connections.get(profile.id, {}).items(), key=lambda kv: kv[1])
        received = store.accepted_cards(profile.id)
        content: list[dict[str, Any]] = []
        for other_id, _ in connections:
            other = store.profiles[other_id]
            visible: dict[str, str | None] = {}
            for card in received:
                if card.owner_id != other_id:
                    continue
                for field_id in card.fields:
                    field = other.datastore.get(field_id)
                    if field is not None:
                        visible.setdefault(field.definition_name, _plain(field))
            content.append({str(other_id): {name: visible.get(name) for name in names}})
        return json_response(paginate(content, page, size))

    @endpoint(query=("scope", "profileId", "page", "size"))
    async def activities(self, request: Request) -> Response:
        """GET /activities?scope=&profileId= (newest first, paginated)."""
        account = self._ctx.account(request)
        query = self._ctx.query(request)
        scope = query.choice("scope", ACTIVITY_SCOPES)
        profile_id = query.uuid("profileId")
        if (
            scope != ActivityScope.ACCOUNT
            and profile_id is None
            and "profileId" not in query.errors
        ):
            query.add("profileId", "is required unless scope is ACCOUNT")
        page, size = query.page()
        query.check()
        pid = None
        if profile_id is not None:
            pid = str(self._ctx.store.own_profile(account, profile_id).id)
        found = []
        for item in account.activities:
            kind = item[_KIND]
            if scope == ActivityScope.ACCOUNT:
                keep = kind == ActivityType.ACCOUNT
            elif scope == ActivityScope.PDS_MUTATIONS:
                keep = kind == ActivityType.PDS_MUTATIONS and item[_SOURCE] == pid
            elif scope == ActivityScope.NETWORK_UPDATES:
                keep = kind == ActivityType.NETWORK_UPDATES and pid in (
                    item[_SOURCE],
                    item[_TARGET],
                )
            else:
                keep = kind != ActivityType.ACCOUNT and pid in (item[_SOURCE], item[_TARGET])
            if keep:
                found.append(item)
        return json_response(paginate(found, page, size))

    @endpoint(public=True)
    async def heartbeat(self, request: Request) -> Response:
        """GET /heartbeat (no auth)."""
        return json_response(
            _HEARTBEAT(node_name=self.node_name, since=timestamp(self._ctx.store.started))
        )
