"""
File upload (bytes, path, file object; streamed) and download (to memory, a path, a file).
"""

from __future__ import annotations

import gc
import io
import json
import os
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, Any, cast

import httpx
import pytest
import respx

from onlyonce_async import Client, FileInfo, NotFoundError, TransportError

from ._data import BASE_URL, FIELD, FILE, P1

INFO_BODY = {"id": FILE, "name": "x", "size": 3}
UPLOAD_PATH = f"/profiles/{P1}/files"
DOWNLOAD_PATH = f"/profiles/{P1}/files/{FILE}/download"
MIB = 1024 * 1024


class CountingReader(io.RawIOBase):
    """A binary file wrapper that records the largest single read()."""

    def __init__(self, inner: io.BufferedReader, name: str | None = None) -> None:
        self.inner = inner
        self.largest = 0
        self.total = 0
        if name is not None:
            self.name = name

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.inner.seek(offset, whence)

    def tell(self) -> int:
        return self.inner.tell()

    def read(self, size: int = -1) -> bytes:
        chunk = self.inner.read(size)
        self.largest = max(self.largest, len(chunk))
        self.total += len(chunk)
        return chunk

    def close(self) -> None:
        self.inner.close()
        super().close()


def parts(request: httpx.Request) -> dict[str, tuple[dict[str, str], bytes]]:
    """The multipart parts of a request: name -> (headers, body)."""
    boundary = request.headers["Content-Type"].split("boundary=")[1].encode()
    found: dict[str, tuple[dict[str, str], bytes]] = {}
    for chunk in request.content.split(b"--" + boundary)[1:-1]:
        head, _, body = chunk.strip(b"\r\n").partition(b"\r\n\r\n")
        headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n") if ": " in line)
        name = headers["Content-Disposition"].split('name="')[1].split('"')[0]
        found[name] = (headers, body)
    return found


def read_bytes(path: str) -> bytes:
    """The content of the file at ``path`` (a sync helper: tests may block)."""
    return Path(path).read_bytes()


def sized_file(path: Path, size: int) -> Path:
    """A sparse file of ``size`` zero bytes (cheap to create, however large)."""
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


@pytest.mark.anyio
async def test_upload_bytes(client: Client, mock_api: respx.MockRouter) -> None:
    """Bytes go in the file part with the given name and type; metadata is JSON."""
    route = mock_api.post(UPLOAD_PATH).respond(json=INFO_BODY)
    info = await client.files.upload(
        P1,
        b"abc",
        filename="a.txt",
        content_type="text/x-custom",
        description="d",
        field_definition_name="cv_field",
        parent_field_value_id=FIELD,
        avatar=True,
    )
    assert info == FileInfo(id=info.id, name="x", size=3)
    got = parts(route.calls.last.request)
    assert got["file"][1] == b"abc"
    assert 'filename="a.txt"' in got["file"][0]["Content-Disposition"]
    assert got["file"][0]["Content-Type"] == "text/x-custom"
    assert got["metadata"][0]["Content-Type"] == "application/json"
    assert json.loads(got["metadata"][1]) == {
        "fieldDefinitionName": "cv_field",
        "parentFieldValueId": FIELD,
        "avatar": True,
        "description": "d",
    }


@pytest.mark.anyio
async def test_upload_bytes_defaults(client: Client, mock_api: respx.MockRouter) -> None:
    """Without a name bytes are called "upload", typed octet-stream, metadata only avatar."""
    route = mock_api.post(UPLOAD_PATH).respond(json=INFO_BODY)
    await client.files.upload(P1, bytearray(b"\x00\x01"))
    got = parts(route.calls.last.request)
    assert 'filename="upload"' in got["file"][0]["Content-Disposition"]
    assert got["file"][0]["Content-Type"] == "application/octet-stream"
    assert json.loads(got["metadata"][1]) == {"avatar": False}


class StreamingRecorder(httpx.AsyncBaseTransport):
    """A transport that reads each request body as it streams, recording the chunk sizes."""

    def __init__(self) -> None:
        self.chunks: list[int] = []
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = b""
        async for chunk in cast(AsyncIterator[bytes], request.stream):
            self.chunks.append(len(chunk))
            body += chunk
        self.requests.append(
            httpx.Request(request.method, request.url, headers=request.headers, content=body)
        )
        return httpx.Response(200, json=INFO_BODY)


@pytest.mark.anyio
async def test_upload_path_streams_and_closes(tmp_path: Path) -> None:
    """A path is opened, streamed in bounded chunks, named after itself, and closed afterwards."""
    source = sized_file(tmp_path / "report.pdf", 3 * MIB)
    recorder = StreamingRecorder()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        async with Client(
            base_url=BASE_URL, rate_limiter=None, max_retries=0, transport=recorder
        ) as client:
            await client.files.upload(P1, source)
        gc.collect()  # an unclosed file would warn when collected
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
    (request,) = recorder.requests
    got = parts(request)
    assert 'filename="report.pdf"' in got["file"][0]["Content-Disposition"]
    assert got["file"][0]["Content-Type"] == "application/pdf"
    assert len(got["file"][1]) == 3 * MIB
    assert sum(recorder.chunks) > 3 * MIB  # the file and the multipart framing
    assert max(recorder.chunks) <= MIB  # never the whole file in one piece


@pytest.mark.anyio
async def test_upload_file_object(
    client: Client, mock_api: respx.MockRouter, tmp_path: Path
) -> None:
    """A binary file object is sent from its start under its own base name, and left open."""
    source = tmp_path / "photo.png"
    source.write_bytes(b"\x89PNG....")
    route = mock_api.post(UPLOAD_PATH).respond(json=INFO_BODY)
    with source.open("rb") as handle:
        handle.read(3)
        await client.files.upload(P1, handle, avatar=True)
        assert not handle.closed
    got = parts(route.calls.last.request)
    assert got["file"][1] == b"\x89PNG...."
    assert 'filename="photo.png"' in got["file"][0]["Content-Disposition"]
    assert got["file"][0]["Content-Type"] == "image/png"


@pytest.mark.anyio
async def test_upload_20_mib_is_streamed(
    client: Client, mock_api: respx.MockRouter, tmp_path: Path
) -> None:
    """A 20 MiB file object is read in bounded chunks, never whole."""
    source = sized_file(tmp_path / "big.bin", 20 * MIB)
    route = mock_api.post(UPLOAD_PATH).respond(json=INFO_BODY)
    with source.open("rb") as raw:
        reader = CountingReader(raw, name="big.bin")
        await client.files.upload(P1, cast("IO[bytes]", reader))
    assert reader.total == 20 * MIB
    assert 0 < reader.largest <= MIB
    assert route.called


@pytest.mark.anyio
@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(io.StringIO("text"), id="text-file"),
        pytest.param(12, id="int"),
        pytest.param(None, id="None"),
    ],
)
async def test_upload_refuses_what_is_not_a_file(
    bad: Any, client: Client, mock_api: respx.MockRouter
) -> None:
    """Text files and non-files raise TypeError before anything is sent."""
    with pytest.raises(TypeError):
        await client.files.upload(P1, bad)
    assert not mock_api.calls


@pytest.mark.anyio
async def test_upload_missing_path_sends_nothing(
    client: Client, mock_api: respx.MockRouter, tmp_path: Path
) -> None:
    """A path that does not exist raises OSError and sends nothing."""
    with pytest.raises(FileNotFoundError):
        await client.files.upload(P1, tmp_path / "missing.bin")
    assert not mock_api.calls


@pytest.mark.anyio
async def test_download_to_path(client: Client, mock_api: respx.MockRouter, tmp_path: Path) -> None:
    """download_to writes the whole body to the path, returns its size, leaves no temp file."""
    body = os.urandom(300_000)
    mock_api.get(DOWNLOAD_PATH).respond(content=body)
    target = tmp_path / "out.bin"
    target.write_bytes(b"old content")
    assert await client.files.download_to(P1, FILE, target) == len(body)
    assert target.read_bytes() == body
    assert os.listdir(tmp_path) == ["out.bin"]


@pytest.mark.anyio
async def test_download_to_str_path(
    client: Client, mock_api: respx.MockRouter, tmp_path: Path
) -> None:
    """A str destination works like a Path."""
    mock_api.get(DOWNLOAD_PATH).respond(content=b"hello")
    target = os.path.join(tmp_path, "hello.txt")
    assert await client.files.download_to(P1, FILE, target) == 5
    assert read_bytes(target) == b"hello"


@pytest.mark.anyio
async def test_download_to_file_object(client: Client, mock_api: respx.MockRouter) -> None:
    """download_to appends the body to a binary file object and returns the bytes written."""
    mock_api.get(DOWNLOAD_PATH).respond(content=b"0123456789")
    sink = io.BytesIO()
    sink.write(b">")
    assert await client.files.download_to(P1, FILE, sink) == 10
    assert sink.getvalue() == b">0123456789"


class BrokenStream(httpx.AsyncByteStream):
    """A body that fails after its first chunk, like a connection dropped mid-download."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b"partial data"
        raise httpx.ReadError("connection reset")


@pytest.mark.anyio
async def test_failed_download_leaves_no_partial_file(
    client: Client, mock_api: respx.MockRouter, tmp_path: Path
) -> None:
    """A download that fails midway leaves neither a partial file nor a temp file."""
    mock_api.get(DOWNLOAD_PATH).mock(return_value=httpx.Response(200, stream=BrokenStream()))
    with pytest.raises(TransportError):
        await client.files.download_to(P1, FILE, tmp_path / "out.bin")
    assert os.listdir(tmp_path) == []


@pytest.mark.anyio
async def test_failed_download_keeps_the_existing_file(
    client: Client, mock_api: respx.MockRouter, tmp_path: Path
) -> None:
    """A failed download leaves a file already at the destination untouched."""
    mock_api.get(DOWNLOAD_PATH).mock(return_value=httpx.Response(200, stream=BrokenStream()))
    target = tmp_path / "out.bin"
    target.write_bytes(b"keep me")
    with pytest.raises(TransportError):
        await client.files.download_to(P1, FILE, target)
    assert target.read_bytes() == b"keep me"
    assert os.listdir(tmp_path) == ["out.bin"]


@pytest.mark.anyio
async def test_download_error_status_creates_nothing(
    client: Client, mock_api: respx.MockRouter, tmp_path: Path
) -> None:
    """A 404 raises NotFoundError and creates no file."""
    mock_api.get(DOWNLOAD_PATH).respond(404, json={"message": "File not found"})
    with pytest.raises(NotFoundError):
        await client.files.download_to(P1, FILE, tmp_path / "out.bin")
    assert os.listdir(tmp_path) == []


@pytest.mark.anyio
async def test_download_to_refuses_a_text_file(client: Client, mock_api: respx.MockRouter) -> None:
    """A text-mode destination raises TypeError before anything is sent."""
    with pytest.raises(TypeError):
        await client.files.download_to(P1, FILE, io.StringIO())  # type: ignore[arg-type]
    assert not mock_api.calls
