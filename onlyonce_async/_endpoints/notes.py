"""
Notes one profile keeps about another: `Note` and the note methods of ``client.profiles``.
"""

from __future__ import annotations

import builtins
import uuid

import attrs

from .._args import non_empty, path, uuid_arg
from ._base import Namespace

__all__ = ["Note", "NotesAPI"]


@attrs.frozen(kw_only=True)
class Note:
    """
    A note about a profile, written by one of the caller's profiles.

    Attributes:
        id: The note's id.
        type: The note's kind (free text in the reference).
        text: The note itself.
        owner_id: The caller's profile that wrote it.
    """

    id: uuid.UUID
    type: str
    text: str
    owner_id: uuid.UUID


@attrs.frozen(kw_only=True)
class NoteBody:
    """
    The body of ``POST /profiles/{id}/notes``.
    """

    type: str
    text: str
    owner_id: uuid.UUID


class NotesAPI(Namespace):
    """
    ``client.profiles.notes``: the ``/profiles/{id}/notes`` operations.
    """

    __slots__ = ()

    async def add(
        self, profile_id: uuid.UUID | str, *, owner_id: uuid.UUID | str, type: str, text: str
    ) -> uuid.UUID:
        """
        Write a note about ``profile_id`` (``POST /profiles/{id}/notes``).

        Args:
            profile_id: The profile the note is about.
            owner_id: The caller's profile writing it.
            type: The note's kind.
            text: The note.

        Returns:
            The new note's id.

        Raises:
            ValueError, TypeError: A bad argument (nothing is sent).
            DecodeError: The answer is not a UUID string.
        """
        url = path("/profiles/{id}/notes", id=uuid_arg(profile_id, "profile_id"))
        body = NoteBody(
            type=non_empty(type, "type"),
            text=non_empty(text, "text"),
            owner_id=uuid_arg(owner_id, "owner_id"),
        )
        return await self._client.post(url, json=body, cast_to=uuid.UUID)

    async def list(
        self, profile_id: uuid.UUID | str, *, owner_id: uuid.UUID | str
    ) -> builtins.list[Note]:
        """
        The notes ``owner_id`` wrote about ``profile_id`` (``GET /profiles/{id}/notes``).

        Args:
            profile_id: The profile the notes are about.
            owner_id: The caller's profile that wrote them.

        Returns:
            The `Note` objects.

        Raises:
            ValueError, TypeError: A bad id (nothing is sent).
        """
        url = path("/profiles/{id}/notes", id=uuid_arg(profile_id, "profile_id"))
        params = {"ownerId": uuid_arg(owner_id, "owner_id")}
        return await self._client.get(url, params=params, cast_to=list[Note])

    async def update(self, profile_id: uuid.UUID | str, note: Note) -> None:
        """
        Replace a note's type and text (``PUT /profiles/{id}/notes``).

        Args:
            profile_id: The profile the note is about.
            note: The note, its ``id`` naming the one to replace
                (e.g. ``attrs.evolve(note, text="...")``).

        Raises:
            ValueError, TypeError: A bad id, or ``note`` is not a `Note` (nothing is sent).
        """
        if not isinstance(note, Note):
            raise TypeError(f"note must be a Note, not {type(note).__name__}")
        url = path("/profiles/{id}/notes", id=uuid_arg(profile_id, "profile_id"))
        await self._client.put(url, json=note)

    async def delete(self, profile_id: uuid.UUID | str, note_id: uuid.UUID | str) -> None:
        """
        Delete a note (``DELETE /profiles/{id}/notes/{noteId}``).

        Args:
            profile_id: The profile the note is about.
            note_id: The note (`Note.id`).

        Raises:
            ValueError, TypeError: A bad id (nothing is sent).
        """
        url = path(
            "/profiles/{id}/notes/{note}",
            id=uuid_arg(profile_id, "profile_id"),
            note=uuid_arg(note_id, "note_id"),
        )
        await self._client.delete(url)
