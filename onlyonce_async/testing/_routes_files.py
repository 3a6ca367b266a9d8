"""
File routes: multipart upload, info, download and delete.
"""

from __future__ import annotations

import urllib.parse

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .._wire import ActivityType
from ._context import Context, empty, json_response
from ._errors import ApiError, access_denied, not_found, validation_error
from ._records import FieldValue, StoredFile
from ._validate import Fields, loads, path_uuid

__all__ = ["FileRoutes", "too_large"]


def too_large(limit: int) -> ApiError:
    """413 for a body over ``limit`` bytes."""
    return ApiError(413, {"message": f"Payload too large (limit {limit} bytes)"})


def _disposition(name: str) -> str:
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "'").replace("\\", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{urllib.parse.quote(name)}"


class FileRoutes:
    """The file area of seed 002."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def routes(self) -> list[BaseRoute]:
        """The area's routes."""
        return [
            Route("/files/{fileId}/info", self.info, methods=["GET"]),
            Route("/profiles/{id}/files", self.upload, methods=["POST"]),
            Route("/profiles/{id}/files/{fileId}/download", self.download, methods=["GET"]),
            Route("/profiles/{id}/files/{fileId}", self.delete, methods=["DELETE"]),
        ]

    async def upload(self, request: Request) -> Response:
        """POST /profiles/{id}/files: multipart ``file`` + ``metadata`` (JSON)."""
        profile_id = path_uuid(request.path_params, "id")
        account = self._ctx.account(request)
        self._ctx.store.own_profile(account, profile_id)
        try:
            form = await request.form(max_files=2, max_fields=8)
        except (MultiPartException, HTTPException):
            raise validation_error({"body": ["must be valid multipart/form-data"]}) from None
        try:
            upload = form.get("file")
            raw_metadata = form.get("metadata")
            if isinstance(raw_metadata, UploadFile):
                raw_metadata = (await raw_metadata.read()).decode("utf-8", "replace")
            content = await upload.read() if isinstance(upload, UploadFile) else b""
        finally:
            await form.close()
        errors: dict[str, list[str]] = {}
        if not isinstance(upload, UploadFile):
            errors["file"] = ["is required (a file part)"]
        # Everything after this line runs without awaiting, so the checks below still hold
        # when the state changes.
        try:
            metadata = loads(raw_metadata) if raw_metadata is not None else None
        except (ValueError, RecursionError):
            metadata = "invalid"
        if metadata is None:
            errors["metadata"] = ["is required (a JSON part)"]
        elif not isinstance(metadata, dict):
            errors["metadata"] = ["must be a JSON object"]
        fields = Fields(metadata if metadata is not None else {}, errors, "metadata.")
        definition = fields.text("fieldDefinitionName", required=False)
        parent_id = fields.uuid("parentFieldValueId", required=False)
        avatar = fields.boolean("avatar", required=metadata is not None)
        description = fields.text("description", required=False, empty=True)
        if errors:
            raise validation_error(errors)
        if len(content) > self._ctx.max_upload_bytes:
            raise too_large(self._ctx.max_upload_bytes)
        store = self._ctx.store
        profile = (
            store.unlocked_profile(account, profile_id)
            if definition is not None
            else store.own_profile(account, profile_id)
        )
        if parent_id is not None and parent_id not in profile.datastore:
            raise validation_error({"metadata.parentFieldValueId": ["is not a datastore field"]})
        filename = upload.filename if isinstance(upload, UploadFile) else None
        content_type = upload.content_type if isinstance(upload, UploadFile) else None
        stored = StoredFile(
            store.new_id(),
            profile.id,
            filename or "file",
            content_type or "application/octet-stream",
            content,
            description,
        )
        store.files[stored.id] = stored
        profile.files[stored.id] = None
        if avatar:
            profile.avatar_id = stored.id
        if definition is not None:
            field = FieldValue(store.new_id(), definition, {"id": str(stored.id)}, parent_id)
            profile.datastore[field.id] = field
            profile.modified = store.now()
            store.log_profile(
                ActivityType.PDS_MUTATIONS,
                entity="DataStore",
                action="UPLOAD_FILE",
                source=profile.id,
                target=profile.id,
                subject=field.id,
                data_set="dataStore",
                fields=[definition],
            )
        return json_response(stored.info())

    async def info(self, request: Request) -> Response:
        """GET /files/{fileId}/info."""
        file_id = path_uuid(request.path_params, "fileId")
        account = self._ctx.account(request)
        store = self._ctx.store
        stored = store.files.get(file_id)
        if stored is None:
            raise not_found("File", file_id)
        if store.profiles[stored.profile_id].account_id != account.id:
            raise access_denied("The file belongs to another account")
        return json_response(stored.info())

    async def download(self, request: Request) -> Response:
        """GET /profiles/{id}/files/{fileId}/download: the bytes."""
        profile_id = path_uuid(request.path_params, "id")
        file_id = path_uuid(request.path_params, "fileId")
        account = self._ctx.account(request)
        profile = self._ctx.store.unlocked_profile(account, profile_id)
        stored = self._ctx.store.files.get(file_id) if file_id in profile.files else None
        if stored is None:
            raise not_found("File", file_id)
        return Response(
            stored.content,
            media_type="application/octet-stream",
            headers={"Content-Disposition": _disposition(stored.name)},
        )

    async def delete(self, request: Request) -> Response:
        """DELETE /profiles/{id}/files/{fileId}."""
        profile_id = path_uuid(request.path_params, "id")
        file_id = path_uuid(request.path_params, "fileId")
        account = self._ctx.account(request)
        profile = self._ctx.store.own_profile(account, profile_id)
        if file_id not in profile.files:
            raise not_found("File", file_id)
        del profile.files[file_id]
        del self._ctx.store.files[file_id]
        if profile.avatar_id == file_id:
            profile.avatar_id = None
        return empty()
