"""
The response size cap: a body may not inflate past ``max_response_size``, reading stops
there with a typed error, and streamed bodies are not capped.
"""

from __future__ import annotations

import gc
import gzip
import weakref
import zlib
from collections.abc import AsyncIterator

import anyio
import httpx
import pytest

import onlyonce_async as oo
from tests._support.helpers import fast_client

from .endpoints._data import FILE, P1

pytestmark = pytest.mark.anyio

CAP = 4096
BLOCK = 64 * 1024
#: Inflated size of the bomb: 64 MiB of zeros, about 64 KiB on the wire.
BLOCKS = 1024


class Bomb(httpx.AsyncByteStream):
    """A compressed body of zeros, produced lazily; counts the chunks it handed out."""

    def __init__(self, encoding: str, blocks: int = BLOCKS) -> None:
        self.encoding = encoding
        self.blocks = blocks
        self.chunks_sent = 0
        wbits = {"gzip": 31, "deflate": 15, "identity": 0}[encoding]
        self._compressor = zlib.compressobj(wbits=wbits) if wbits else None

    def __aiter__(self) -> AsyncIterator[bytes]:
        # An iterator object, not an async generator: like a socket, nothing to finalise
        # when the reader stops early.
        return self

    async def __anext__(self) -> bytes:
        if self.chunks_sent >= self.blocks:
            raise StopAsyncIteration
        await anyio.lowlevel.checkpoint()
        block = b"\0" * BLOCK
        if self._compressor is not None:
            block = self._compressor.compress(block) + self._compressor.flush(zlib.Z_SYNC_FLUSH)
        self.chunks_sent += 1
        return block


class BombServer:
    """Answers every request with a fresh bomb; keeps them to count what was read."""

    def __init__(self, status: int, encoding: str, blocks: int = BLOCKS) -> None:
        self.status = status
        self.encoding = encoding
        self.blocks = blocks
        self.bombs: list[Bomb] = []

    def transport(self) -> httpx.MockTransport:
        """The mock transport."""

        async def handle(request: httpx.Request) -> httpx.Response:
            bomb = Bomb(self.encoding, self.blocks)
            self.bombs.append(bomb)
            headers = {"Content-Type": "application/json"}
            if self.encoding != "identity":
                headers["Content-Encoding"] = self.encoding
            return httpx.Response(self.status, headers=headers, stream=bomb)

        return httpx.MockTransport(handle)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "identity"])
@pytest.mark.parametrize("status", [200, 502])
async def test_a_body_inflating_past_the_cap_is_a_typed_error(status: int, encoding: str) -> None:
    """A 64 MiB gzip bomb (on a 200 or a retryable 502 to a GET) raises
    ResponseTooLargeError after at most two chunks, and is not retried."""
    server = BombServer(status, encoding)
    async with fast_client(
        transport=server.transport(), max_response_size=CAP, max_retries=3
    ) as client:
        with anyio.fail_after(60), pytest.raises(oo.ResponseTooLargeError) as info:
            await client.get("x")
    assert isinstance(info.value, oo.DecodeError) and info.value.limit == CAP
    assert len(server.bombs) == 1
    assert server.bombs[0].chunks_sent <= 2


async def test_a_sign_in_answer_is_capped_too() -> None:
    """A bomb answering the auth flow's own /signIn is cut off the same way."""
    server = BombServer(401, "gzip")
    auth = oo.BearerAuth.with_credentials("a@example.com", "pw")
    async with fast_client(
        transport=server.transport(), auth=auth, max_response_size=CAP
    ) as client:
        with anyio.fail_after(60), pytest.raises(oo.ResponseTooLargeError):
            await client.get("x")
    assert server.bombs[0].chunks_sent <= 2


async def test_bodies_under_the_cap_decode_as_before() -> None:
    """A gzip JSON body under the cap decodes normally."""
    body = b'{"ok": true, "pad": "' + b"x" * 1000 + b'"}'

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
            stream=httpx.ByteStream(gzip.compress(body)),
        )

    async with fast_client(transport=httpx.MockTransport(handle), max_response_size=CAP) as c:
        assert (await c.get("x"))["ok"] is True


async def test_streamed_downloads_are_not_capped() -> None:
    """client.stream and files.download read bodies far larger than the cap."""
    server = BombServer(200, "gzip", blocks=4)
    async with fast_client(transport=server.transport(), max_response_size=CAP) as client:
        async with client.stream("GET", "x") as response:
            total = 0
            async for chunk in response.aiter_bytes():
                total += len(chunk)
        assert total == 4 * BLOCK
        data = await client.files.download(P1, FILE)
    assert data == b"\0" * (4 * BLOCK)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "16"])
def test_bad_max_response_size_is_refused(bad: object) -> None:
    """max_response_size must be a positive int (or None)."""
    with pytest.raises(ValueError, match="max_response_size"):
        oo.Client(max_response_size=bad)  # type: ignore[arg-type]


async def test_a_read_response_is_freed_without_the_garbage_collector() -> None:
    """
    A response the SDK read holds no reference cycle (httpx's stream points back at it),
    so a busy client frees each one at once instead of setting off collections.
    """
    async with fast_client(
        transport=httpx.MockTransport(
            lambda request: httpx.Response(200, stream=Bomb("identity", blocks=1))
        )
    ) as client:
        await client.request_raw("GET", "/warm-up")
        gc.disable()
        try:
            response = await client.request_raw("GET", "/profiles")
            assert response.content == bytes(BLOCK)
            assert response.elapsed.total_seconds() >= 0  # the stream was closed first
            freed = weakref.ref(response)
            del response
            assert freed() is None
        finally:
            gc.enable()
