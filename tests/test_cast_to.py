"""
Decoding in the request layer: ``request(..., cast_to=T)`` and the shortcuts that pass it.
"""

from __future__ import annotations

import uuid

import attrs
import httpx
import pytest

import onlyonce_async as oo

from .helpers import fast_client

pytestmark = pytest.mark.anyio

FILE_ID = uuid.UUID("6c0d1b1e-0000-4000-8000-000000000001")


@attrs.frozen(kw_only=True)
class Item:
    """A small model decoded by the tests."""

    item_id: uuid.UUID
    name: str


def _answer(response: httpx.Response) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: response)


async def test_cast_to_structures_the_body() -> None:
    """A body of the documented shape comes back as the model, camelCase keys mapped."""
    body = {"itemId": str(FILE_ID), "name": "a"}
    async with fast_client(transport=_answer(httpx.Response(200, json=body))) as client:
        item = await client.request("GET", "x", cast_to=Item)
    assert item == Item(item_id=FILE_ID, name="a")


@pytest.mark.parametrize("verb", ["get", "post", "put", "patch", "delete"])
async def test_every_shortcut_takes_cast_to(verb: str) -> None:
    """get/post/put/patch/delete all decode into cast_to."""
    body = [{"itemId": str(FILE_ID), "name": "a"}]
    async with fast_client(transport=_answer(httpx.Response(200, json=body))) as client:
        items = await getattr(client, verb)("x", cast_to=list[Item])
    assert items == [Item(item_id=FILE_ID, name="a")]


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b'{"itemId": 3}', id="wrong-shape"),
        pytest.param(b"not json", id="not-json"),
    ],
)
async def test_decode_error_carries_its_response(content: bytes) -> None:
    """A body that is not a valid cast_to raises DecodeError holding the response."""
    answer = httpx.Response(200, content=content)
    async with fast_client(transport=_answer(answer)) as client:
        with pytest.raises(oo.DecodeError) as caught:
            await client.get("x", cast_to=Item)
    assert caught.value.response is not None
    assert caught.value.response.status_code == 200
    assert caught.value.response.content == content


async def test_files_info_decode_error_has_the_response() -> None:
    """files.info decodes in the request layer: its DecodeError names the response."""
    answer = httpx.Response(200, json={"id": "not-a-uuid"})
    async with fast_client(transport=_answer(answer)) as client:
        with pytest.raises(oo.DecodeError) as caught:
            await client.files.info(FILE_ID)
    assert caught.value.response is not None
    assert caught.value.response.request.url.path.endswith(f"/files/{FILE_ID}/info")


async def test_without_cast_to_the_json_is_returned() -> None:
    """No cast_to: the JSON value as it came."""
    async with fast_client(transport=_answer(httpx.Response(200, json={"a": 1}))) as client:
        assert await client.get("x") == {"a": 1}
