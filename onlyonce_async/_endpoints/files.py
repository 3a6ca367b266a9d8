"""
Files stored for a profile: `FileInfo` and ``client.files`` (upload, download, info, delete).

Uploads and ``download_to`` stream: a file given as a path or a file object is sent in
chunks, and ``download_to`` writes the body as it arrives, so memory stays constant
whatever the file's size.
"""

from __future__ import annotations

import contextlib
import io
import mimetypes
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import IO, TYPE_CHECKING, Any, TypeAlias

import anyio
import anyio.to_thread
import attrs

from .._args import flag, optional_str, path, uuid_arg
from .._json import encode_json
from ._base import Namespace

if TYPE_CHECKING:
    from .._client import Client

__all__ = ["FileInfo", "FilesAPI", "UploadSource"]

#: What ``files.upload`` takes: the content itself, a path to a file, or a binary file object.
UploadSource: TypeAlias = bytes | bytearray | memoryview | str | os.PathLike[str] | IO[bytes]

_DEFAULT_NAME = "upload"


@attrs.frozen(kw_only=True)
class FileInfo:
    """
    A stored file's metadata (``GET /files/{id}/info``).

    Attributes:
        id: The file's id.
        name: Its file name.
        size: Its size in bytes.
        description: The description given on upload.
    """

    id: uuid.UUID
    name: str
    size: int
    description: str | None = None


@attrs.frozen(kw_only=True)
class UploadMetadata:
    """
    The JSON ``metadata`` part of ``POST /profiles/{id}/files`` (unset fields are left out;
    ``avatar`` is always sent).
    """

    field_definition_name: str | None = None
    parent_field_value_id: uuid.UUID | None = None
    avatar: bool
    description: str | None = None


class FilesAPI(Namespace):
    """
    ``client.files``: files of a profile.
    """

    __slots__ = ()

    async def info(self, file_id: uuid.UUID | str) -> FileInfo:
        """
        Get a file's metadata (``GET /files/{fileMetadataId}/info``).

        Args:
            file_id: The file (`FileInfo.id`).

        Returns:
            The `FileInfo`.

        Raises:
            ValueError, TypeError: A bad id (nothing is sent).
            NotFoundError: No such file.
        """
        url = path("/files/{file}/info", file=uuid_arg(file_id, "file_id"))
        return await self._client.get(url, cast_to=FileInfo)

    async def download(self, profile_id: uuid.UUID | str, file_id: uuid.UUID | str) -> bytes:
        """
        Download a file into memory (``GET /profiles/{id}/files/{fileId}/download``; access
        required). Use `download_to` for large files.

        Args:
            profile_id: The profile the file belongs to.
            file_id: The file (`FileInfo.id`).

        Returns:
            The file's bytes.

        Raises:
            ValueError, TypeError: A bad id (nothing is sent).
            WrongSecretKeyError: Access to the profile is not enabled.
        """
        # Streamed, so the client's max_response_size (a cap for JSON bodies) does not apply.
        async with self._client.stream("GET", _download_path(profile_id, file_id)) as response:
            return await response.aread()

    async def download_to(
        self,
        profile_id: uuid.UUID | str,
        file_id: uuid.UUID | str,
        destination: str | os.PathLike[str] | IO[bytes],
    ) -> int:
        """
        Stream a file into ``destination`` in constant memory (the download operation).

        A path is written through a temporary file beside it, renamed into place only once
        the whole body has arrived: a failed download leaves no partial file and an existing
        file untouched. A binary file object is written from its current position (what was
        written before a failure stays written).

        Args:
            profile_id: The profile owning the file.
            file_id: The file.
            destination: A path, or a binary file object open for writing.

        Returns:
            The number of bytes written.

        Raises:
            ValueError, TypeError: A bad id or destination (nothing is sent).
            OSError: The destination cannot be written.
            WrongSecretKeyError: Access to the profile is not enabled.
        """
        url = _download_path(profile_id, file_id)
        if isinstance(destination, (str, os.PathLike)):
            return await _download_to_path(self._client, url, os.fspath(destination))
        sink: Any = destination  # checked at run time: the annotation is what callers may pass
        if isinstance(sink, io.TextIOBase) or not callable(getattr(sink, "write", None)):
            raise TypeError("destination must be a path or a binary file object")

        async def write(chunk: bytes) -> object:
            return sink.write(chunk)

        return await _copy(self._client, url, write)

    async def upload(
        self,
        profile_id: uuid.UUID | str,
        file: UploadSource,
        *,
        filename: str | None = None,
        content_type: str | None = None,
        description: str | None = None,
        field_definition_name: str | None = None,
        parent_field_value_id: uuid.UUID | str | None = None,
        avatar: bool = False,
    ) -> FileInfo:
        """
        Upload a file (``POST /profiles/{id}/files``, multipart ``file`` + JSON ``metadata``).

        Args:
            profile_id: The profile to store it for.
            file: The content as bytes, a path (``str`` or ``os.PathLike``; opened and closed
                here), or a binary file object (sent from its start; seekable if the upload
                may be retried after a 429 or 503). Paths and file objects are streamed.
            filename: The name sent; default: the path's or file object's base name, else
                ``"upload"``.
            content_type: The file part's type; default: guessed from the name, else
                ``application/octet-stream``.
            description: A description stored with the file.
            field_definition_name: Store it as this datastore field (access required).
            parent_field_value_id: The datastore group the field belongs to.
            avatar: Whether it is the profile's avatar.

        Returns:
            The stored file's `FileInfo`.

        Raises:
            ValueError, TypeError: A bad argument (nothing is sent).
            OSError: A path that cannot be opened.
            PayloadTooLargeError: The file is larger than the server accepts.
        """
        url = path("/profiles/{id}/files", id=uuid_arg(profile_id, "profile_id"))
        parent = parent_field_value_id
        metadata = UploadMetadata(
            field_definition_name=optional_str(field_definition_name, "field_definition_name"),
            parent_field_value_id=None if parent is None else uuid_arg(parent, "parent"),
            avatar=flag(avatar, "avatar"),
            description=None if description is None else _str(description, "description"),
        )
        metadata_part = encode_json(metadata)
        async with _opened(file) as (content, default_name):
            name = _str(filename, "filename") if filename is not None else default_name
            ctype = optional_str(content_type, "content_type") or _guess_type(name)
            files = {
                "file": (name, content, ctype),
                "metadata": (None, metadata_part, "application/json"),
            }
            return await self._client.post(url, files=files, cast_to=FileInfo)

    async def delete(self, profile_id: uuid.UUID | str, file_id: uuid.UUID | str) -> None:
        """
        Delete a file (``DELETE /profiles/{id}/files/{fileMetadataId}``).

        Args:
            profile_id: The profile the file belongs to.
            file_id: The file (`FileInfo.id`).

        Raises:
            ValueError, TypeError: A bad id (nothing is sent).
        """
        url = path(
            "/profiles/{id}/files/{file}",
            id=uuid_arg(profile_id, "profile_id"),
            file=uuid_arg(file_id, "file_id"),
        )
        await self._client.delete(url)


def _download_path(profile_id: uuid.UUID | str, file_id: uuid.UUID | str) -> str:
    return path(
        "/profiles/{id}/files/{file}/download",
        id=uuid_arg(profile_id, "profile_id"),
        file=uuid_arg(file_id, "file_id"),
    )


def _str(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    return value


def _guess_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


@contextlib.asynccontextmanager
async def _opened(file: Any) -> AsyncIterator[tuple[bytes | IO[bytes], str]]:
    """The upload's content (bytes or an open binary file) and its default file name."""
    if isinstance(file, (bytes, bytearray, memoryview)):
        yield bytes(file), _DEFAULT_NAME
    elif isinstance(file, (str, os.PathLike)):
        handle = (await anyio.open_file(file, "rb")).wrapped  # opened in a worker thread
        try:
            yield handle, os.path.basename(os.fspath(handle.name)) or _DEFAULT_NAME
        finally:
            handle.close()
    elif callable(getattr(file, "read", None)) and not isinstance(file, io.TextIOBase):
        name = getattr(file, "name", None)
        yield file, (os.path.basename(name) if isinstance(name, str) else "") or _DEFAULT_NAME
    else:
        raise TypeError(
            f"file must be bytes, a path or a binary file object, not {type(file).__name__}"
        )


async def _copy(client: Client, url: str, write: Callable[[bytes], Awaitable[object]]) -> int:
    written = 0
    async with client.stream("GET", url) as response:
        async for chunk in response.aiter_bytes():
            await write(chunk)
            written += len(chunk)
    return written


def _partial_beside(target: str) -> tuple[int, str]:
    # Beside the target, so the final os.replace is a rename within one file system.
    directory, base = os.path.split(os.path.abspath(target))
    return tempfile.mkstemp(prefix=f".{base}.", suffix=".part", dir=directory)


async def _download_to_path(client: Client, url: str, target: str) -> int:
    fd, partial = await anyio.to_thread.run_sync(_partial_beside, target)
    try:
        async with anyio.wrap_file(os.fdopen(fd, "wb")) as handle:
            written = await _copy(client, url, handle.write)
        os.replace(partial, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise
    return written
