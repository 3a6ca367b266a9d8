"""
Reading a response body the SDK decodes for itself, never past a size cap.

A 0.5 MiB gzip body can inflate to 512 MiB; httpx's decoders inflate each network chunk
whole. `read_body` inflates gzip and deflate itself with a bound on the output of every
step (``zlib``'s ``max_length``), so no more than the cap (plus one byte, to notice) is
ever held, and it stops reading the network there. Other encodings (br, zstd, when their
libraries are installed) go through httpx's decoders, checked after each chunk.

The cap travels with the request (`MAX_RESPONSE_SIZE_EXTENSION`) so that auth flows
reading a sign-in or a 401 body honour the client's setting too. Streamed bodies
(``Client.stream``, file downloads) are not read here and are not capped.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from typing import Final

import httpx

from ._errors import ResponseTooLargeError

__all__ = ["DEFAULT_MAX_RESPONSE_SIZE", "MAX_RESPONSE_SIZE_EXTENSION", "read_body"]

#: The default cap on a decoded (inflated) response body: 16 MiB, far above any JSON body
#: the API sends (a page of 100 profiles is tens of KiB).
DEFAULT_MAX_RESPONSE_SIZE: Final = 16 * 1024 * 1024
#: The request extension in which a `Client` tells readers its ``max_response_size``.
MAX_RESPONSE_SIZE_EXTENSION: Final = "onlyonce_async.max_response_size"

_GZIP_WBITS: Final = zlib.MAX_WBITS | 16
#: The codings inflated here, step by bounded step.
_OURS: Final = frozenset({"gzip", "x-gzip", "deflate"})


class _Inflater:
    """One gzip or deflate layer, inflating at most a given number of bytes per step."""

    def __init__(self, encoding: str) -> None:
        self._gzip = encoding in ("gzip", "x-gzip")
        self._zlib = zlib.decompressobj(_GZIP_WBITS if self._gzip else zlib.MAX_WBITS)
        self._started = False

    def inflate(self, data: bytes, budget: int) -> bytes:
        """
        Inflate ``data``, returning at most ``budget`` bytes.

        Raises:
            httpx.DecodingError: Not valid gzip/deflate data.
        """
        try:
            out = self._zlib.decompress(data, budget)
        except zlib.error as exc:
            if self._gzip or self._started:
                raise httpx.DecodingError(f"invalid compressed body: {exc}") from None
            # "deflate" is sent both with and without the zlib wrapper (httpx accepts both).
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            return self.inflate(data, budget)
        self._started = True
        return out


def _encodings(headers: httpx.Headers) -> list[str]:
    """The body's content codings, identity left out."""
    return [
        value.strip().lower()
        for value in headers.get("content-encoding", "").split(",")
        if value.strip() and value.strip().lower() != "identity"
    ]


def _source(response: httpx.Response) -> tuple[AsyncIterator[bytes], _Inflater | None]:
    """Where `read_body` reads from, and the inflater it applies (``None``: none needed)."""
    encodings = _encodings(response.headers)
    inflater = _Inflater(encodings[0]) if len(encodings) == 1 and encodings[0] in _OURS else None
    if encodings and inflater is None:
        # br, zstd or stacked codings: httpx's decoders, checked chunk by chunk.
        return response.aiter_bytes(), None
    if isinstance(response.stream, httpx.AsyncByteStream):
        # The raw body, one level below aiter_raw: closing this iterator ourselves leaves no
        # generator for the garbage collector to finalise (trio warns about those).
        return response.stream.__aiter__(), inflater
    # A sync stream on an async client is httpx's own error.
    raise TypeError("read_body needs an async response stream")  # pragma: no cover


async def read_body(response: httpx.Response) -> bytes:
    """
    Read ``response``'s body (decoded) into ``response.content``, at most the cap.

    The cap is the request's `MAX_RESPONSE_SIZE_EXTENSION` (`DEFAULT_MAX_RESPONSE_SIZE`
    when absent, none when ``None``). A body already read is returned as is.

    Returns:
        The body.

    Raises:
        ResponseTooLargeError: The decoded body is larger than the cap; the response is
            closed without reading further.
        httpx.StreamError, httpx.DecodingError, httpx.TransportError: As httpx reads.
    """
    try:
        return response.content
    except httpx.ResponseNotRead:
        pass
    limit = response.request.extensions.get(MAX_RESPONSE_SIZE_EXTENSION, DEFAULT_MAX_RESPONSE_SIZE)
    if limit is None:
        return await response.aread()
    chunks: list[bytes] = []
    size = 0
    source, inflater = _source(response)
    try:
        async for raw in source:
            chunk = raw if inflater is None else inflater.inflate(raw, limit - size + 1)
            size += len(chunk)
            if size > limit:
                raise _too_large(response, limit)
            chunks.append(chunk)
    finally:
        close = getattr(source, "aclose", None)
        if close is not None:
            await close()
        await response.aclose()
    content = b"".join(chunks)
    # What aread() would have stored: the decoded body, readable as .content/.json().
    response._content = content
    # And the stream it was read from let go: httpx's points back at the response, a
    # reference cycle that only the garbage collector would free (with every object the
    # response holds), so a busy client would set off collections that cost every task.
    response.stream = httpx.ByteStream(content)
    return content


def _too_large(response: httpx.Response, limit: int) -> ResponseTooLargeError:
    return ResponseTooLargeError(
        f"response body larger than max_response_size ({limit} bytes decoded); "
        "reading stopped there",
        response=response,
        limit=limit,
    )
