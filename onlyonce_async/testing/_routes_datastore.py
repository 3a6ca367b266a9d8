"""
Datastore routes: read, add, save and delete a profile's field values.
"""

from __future__ import annotations

from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .._wire import ActivityType
from ._context import Context, empty, json_response
from ._dictionaries import DICTIONARIES, entry_by_id
from ._errors import not_found, validation_error
from ._records import FieldValue, Profile
from ._validate import MAX_TEXT, Fields, body_array, parse_uuid, path_uuid

__all__ = ["DatastoreRoutes"]

#: Field values one profile may hold (bounds memory).
MAX_FIELDS: Final = 10_000


def _value(fields: Fields, definition: str | None) -> str | dict[str, str] | None:
    """Validate a FieldValue ``value``: text, or ``{"id": uuid}`` (a dictionary entry)."""
    value = fields.data.get("value")
    if value is None:
        if fields.ok:
            fields.add("value", "is required")
        return None
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            fields.add("value", f"must be at most {MAX_TEXT} characters")
            return None
        return value
    entry_id = parse_uuid(value.get("id")) if isinstance(value, dict) and len(value) == 1 else None
    if entry_id is None:
        fields.add("value", 'must be a string or {"id": uuid}')
        return None
    if definition in DICTIONARIES and entry_by_id(definition, entry_id) is None:
        fields.add("value", f"must be an id from the {definition} dictionary")
        return None
    return {"id": str(entry_id)}


class DatastoreRoutes:
    """The datastore area of seed 002."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def routes(self) -> list[BaseRoute]:
        """The area's routes."""
        return [
            Route("/profiles/{id}/dataStore", self.get_datastore, methods=["GET"]),
            Route("/profiles/{id}/dataStore/addFields", self.add_fields, methods=["POST"]),
            Route("/profiles/{id}/dataStore/saveFields", self.save_fields, methods=["POST"]),
            Route(
                "/profiles/{id}/dataStore/fields/{fieldId}", self.delete_field, methods=["DELETE"]
            ),
        ]

    def _unlocked(self, request: Request) -> Profile:
        profile_id = path_uuid(request.path_params, "id")
        account = self._ctx.account(request)
        return self._ctx.store.unlocked_profile(account, profile_id)

    async def get_datastore(self, request: Request) -> Response:
        """GET /profiles/{id}/dataStore: an array of FieldValues."""
        profile = self._unlocked(request)
        return json_response([f.to_wire() for f in profile.datastore.values()])

    def _parse(self, request: Request, profile: Profile, *, with_ids: bool) -> list[dict[str, Any]]:
        errors: dict[str, list[str]] = {}
        parsed = []
        for fields in body_array(self._ctx.json(request), errors):
            if not fields.ok:
                continue
            field_id = fields.uuid("id", required=False) if with_ids else None
            if field_id is not None and field_id not in profile.datastore:
                fields.add("id", "is not a field of this datastore")
            definition = fields.text("definitionName")
            value = _value(fields, definition)
            parent_id = fields.uuid("parentValueId", required=False)
            if parent_id is not None and parent_id not in profile.datastore:
                fields.add("parentValueId", "is not a field of this datastore")
            parsed.append(
                {"id": field_id, "definition": definition, "value": value, "parent": parent_id}
            )
        new = sum(item["id"] is None for item in parsed)
        if len(profile.datastore) + new > MAX_FIELDS:
            errors.setdefault("body", []).append(f"a datastore holds at most {MAX_FIELDS} fields")
        if errors:
            raise validation_error(errors)
        return parsed

    def _apply(
        self, profile: Profile, parsed: list[dict[str, Any]], action: str
    ) -> list[FieldValue]:
        store = self._ctx.store
        changed = []
        for item in parsed:
            field = profile.datastore.get(item["id"]) if item["id"] else None
            if field is None:
                field = FieldValue(
                    store.new_id(), item["definition"], item["value"], item["parent"]
                )
                profile.datastore[field.id] = field
            else:
                field.definition_name = item["definition"]
                field.value = item["value"]
                field.parent_id = item["parent"]
            changed.append(field)
        if changed:
            profile.modified = store.now()
            store.log_profile(
                ActivityType.PDS_MUTATIONS,
                entity="DataStore",
                action=action,
                source=profile.id,
                target=profile.id,
                subject=changed[0].id,
                data_set="dataStore",
                fields=[f.definition_name for f in changed],
            )
        return changed

    async def add_fields(self, request: Request) -> Response:
        """POST .../dataStore/addFields: the created FieldValues."""
        profile = self._unlocked(request)
        created = self._apply(profile, self._parse(request, profile, with_ids=False), "ADD_FIELDS")
        return json_response([f.to_wire() for f in created])

    async def save_fields(self, request: Request) -> Response:
        """POST .../dataStore/saveFields: update (with ``id``) or create; the whole datastore."""
        profile = self._unlocked(request)
        self._apply(profile, self._parse(request, profile, with_ids=True), "SAVE_FIELDS")
        return json_response([f.to_wire() for f in profile.datastore.values()])

    async def delete_field(self, request: Request) -> Response:
        """DELETE .../dataStore/fields/{fieldId}: the field, its children, and card entries."""
        profile_id = path_uuid(request.path_params, "id")
        field_id = path_uuid(request.path_params, "fieldId")
        account = self._ctx.account(request)
        store = self._ctx.store
        profile = store.own_profile(account, profile_id)
        if field_id not in profile.datastore:
            raise not_found("Field value", field_id)
        doomed = {field_id}
        grew = True
        while grew:
            children = {f.id for f in profile.datastore.values() if f.parent_id in doomed} - doomed
            grew = bool(children)
            doomed |= children
        names = [profile.datastore[f].definition_name for f in doomed]
        for doomed_id in doomed:
            del profile.datastore[doomed_id]
        for card in profile.cards.values():
            card.fields = [f for f in card.fields if f not in doomed]
        profile.modified = store.now()
        store.log_profile(
            ActivityType.PDS_MUTATIONS,
            entity="DataStore",
            action="DELETE_FIELD",
            source=profile.id,
            target=profile.id,
            subject=field_id,
            data_set="dataStore",
            fields=names,
        )
        return empty()
