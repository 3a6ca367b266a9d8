"""
What one profile keeps about others: bookmarks, tags and notes.
"""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ._context import Context, empty, endpoint, json_response
from ._errors import access_denied, not_found
from ._records import Note, Profile
from ._validate import Fields, path_uuid, present

__all__ = ["RelationRoutes"]

_MAX_TAG = 100


class RelationRoutes:
    """Bookmarks, tags and notes of seed 002."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def routes(self) -> list[BaseRoute]:
        """The area's routes."""
        return [
            Route("/profiles/tags", self.add_tag, methods=["POST"]),
            Route("/profiles/tags", self.remove_tag, methods=["DELETE"]),
            Route("/profiles/{id}/bookmarks", self.add_bookmark, methods=["POST"]),
            Route("/profiles/{id}/bookmarks/{profileId}", self.remove_bookmark, methods=["DELETE"]),
            Route("/profiles/{id}/notes", self.add_note, methods=["POST"]),
            Route("/profiles/{id}/notes", self.list_notes, methods=["GET"]),
            Route("/profiles/{id}/notes", self.update_note, methods=["PUT"]),
            Route("/profiles/{id}/notes/{noteId}", self.delete_note, methods=["DELETE"]),
        ]

    async def add_bookmark(self, request: Request) -> Response:
        """POST /profiles/{id}/bookmarks ``{"id"}``."""
        profile_id = path_uuid(request.path_params, "id")
        account = self._ctx.account(request)
        fields = Fields(self._ctx.json(request))
        target_id = fields.uuid("id")
        fields.check()
        store = self._ctx.store
        profile = store.own_profile(account, profile_id)
        target = store.profile(present(target_id))
        profile.bookmarks[target.id] = None
        return empty()

    async def remove_bookmark(self, request: Request) -> Response:
        """
        DELETE /profiles/{id}/bookmarks/{profileId}: removing a bookmark that is not there is
        a no-op (so a retried removal still succeeds); an unknown profile is 404.
        """
        profile_id = path_uuid(request.path_params, "id")
        target_id = path_uuid(request.path_params, "profileId")
        account = self._ctx.account(request)
        store = self._ctx.store
        profile = store.own_profile(account, profile_id)
        target = store.profile(target_id)
        profile.bookmarks.pop(target.id, None)
        return empty()

    def _tag_body(self, request: Request) -> tuple[Profile, uuid.UUID, str]:
        account = self._ctx.account(request)
        fields = Fields(self._ctx.json(request))
        owner_id = fields.uuid("ownerId")
        target_id = fields.uuid("targetId")
        tag = fields.text("tag")
        if tag is not None and len(tag) > _MAX_TAG:
            fields.add("tag", f"must be at most {_MAX_TAG} characters")
        fields.check()
        store = self._ctx.store
        owner = store.own_profile(account, present(owner_id))
        target = store.profile(present(target_id))
        return owner, target.id, present(tag)

    async def add_tag(self, request: Request) -> Response:
        """POST /profiles/tags ``{"ownerId", "targetId", "tag"}`` (adding twice is a no-op)."""
        owner, target_id, tag = self._tag_body(request)
        tags = owner.tags.setdefault(target_id, [])
        if tag not in tags:
            tags.append(tag)
        return empty()

    async def remove_tag(self, request: Request) -> Response:
        """
        DELETE /profiles/tags with a JSON body: removing a tag that is not there is a no-op
        (so a retried removal still succeeds); an unknown profile is 404.
        """
        owner, target_id, tag = self._tag_body(request)
        tags = owner.tags.get(target_id, [])
        if tag in tags:
            tags.remove(tag)
        if not tags:
            owner.tags.pop(target_id, None)
        return empty()

    def _note_fields(self, fields: Fields) -> tuple[str | None, str | None]:
        return fields.text("type"), fields.text("text", empty=True)

    async def add_note(self, request: Request) -> Response:
        """POST /profiles/{id}/notes: 200 with the new note's id as a JSON string."""
        about_id = path_uuid(request.path_params, "id")
        account = self._ctx.account(request)
        fields = Fields(self._ctx.json(request))
        kind, text = self._note_fields(fields)
        owner_id = fields.uuid("ownerId")
        fields.check()
        store = self._ctx.store
        store.profile(about_id)
        owner = store.own_profile(account, present(owner_id))
        note = Note(store.new_id(), about_id, owner.id, present(kind), present(text))
        store.notes[note.id] = note
        return json_response(str(note.id))

    @endpoint(query=("ownerId",))
    async def list_notes(self, request: Request) -> Response:
        """GET /profiles/{id}/notes?ownerId=."""
        about_id = path_uuid(request.path_params, "id")
        query = self._ctx.query(request)
        owner_id = query.uuid("ownerId", required=True)
        query.check()
        account = self._ctx.account(request)
        store = self._ctx.store
        store.profile(about_id)
        store.own_profile(account, present(owner_id))
        notes = [
            n.to_wire()
            for n in store.notes.values()
            if n.about_id == about_id and n.owner_id == owner_id
        ]
        return json_response(notes)

    def _note(self, request: Request, note_id: uuid.UUID | None) -> Note:
        about_id = path_uuid(request.path_params, "id")
        account = self._ctx.account(request)
        store = self._ctx.store
        store.profile(about_id)
        note = None if note_id is None else store.notes.get(note_id)
        if note is None or note.about_id != about_id:
            raise not_found("Note", str(note_id))
        if store.profiles[note.owner_id].account_id != account.id:
            raise access_denied("The note belongs to another account")
        return note

    async def update_note(self, request: Request) -> Response:
        """PUT /profiles/{id}/notes with the whole Note."""
        fields = Fields(self._ctx.json(request))
        note_id = fields.uuid("id")
        kind, text = self._note_fields(fields)
        owner_id = fields.uuid("ownerId")
        fields.check()
        note = self._note(request, note_id)
        if owner_id != note.owner_id:
            raise access_denied("A note cannot change its owner")
        note.type, note.text = present(kind), present(text)
        return empty()

    async def delete_note(self, request: Request) -> Response:
        """DELETE /profiles/{id}/notes/{noteId}."""
        note = self._note(request, path_uuid(request.path_params, "noteId"))
        del self._ctx.store.notes[note.id]
        return empty()
