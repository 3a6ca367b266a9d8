"""
Decoding in the request layer: ``request(..., cast_to=T)`` and the shortcuts that pass it.
"""

from __future__ import annotations

import uuid

import attrs
import httpx
import pytest

import onlyonce_async as oo
from onlyonce_async._convert import decoding_with, make_converter
from tests._support.helpers import fast_client

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


API_DOWN = {"status": 500, "reason": "API DOWN"}


async def test_heartbeat_decodes_in_the_request_layer() -> None:
    """A heartbeat of the wrong shape raises DecodeError holding its response."""
    answer = httpx.Response(200, json={"nodeName": 5})
    async with fast_client(transport=_answer(answer)) as client:
        with pytest.raises(oo.DecodeError) as caught:
            await client.heartbeat()
    assert caught.value.response is not None
    assert caught.value.response.request.url.path.endswith("/heartbeat")


@pytest.mark.parametrize("status", [200, 500])
async def test_heartbeat_api_down_carries_its_response(status: int) -> None:
    """The API DOWN body is ApiDownError, with its status and response, on a 2xx or a 5xx."""
    answer = httpx.Response(status, json=API_DOWN)
    async with fast_client(transport=_answer(answer), max_retries=0) as client:
        with pytest.raises(oo.ApiDownError) as caught:
            await client.heartbeat()
    assert caught.value.status_code == status
    assert caught.value.message is None  # the body has no "message"
    assert str(caught.value) == f"API DOWN (HTTP {status})"
    assert caught.value.response is not None
    assert caught.value.response.content == answer.content


async def test_api_down_on_a_2xx_is_api_down_for_any_model() -> None:
    """Decoding the API DOWN body into any model raises ApiDownError, not DecodeError."""
    async with fast_client(transport=_answer(httpx.Response(200, json=API_DOWN))) as client:
        with pytest.raises(oo.ApiDownError):
            await client.get("x", cast_to=Item)
        with pytest.raises(oo.ApiDownError):
            await client.account.get()
        # Without cast_to the body is returned as it came: nothing decides it is an error.
        assert await client.get("x") == API_DOWN


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"content": "nope"}, id="not-a-page"),
        pytest.param({"content": [{"itemId": "x", "name": "a"}], "last": True}, id="bad-item"),
        pytest.param([{"itemId": 1}], id="bad-item-in-array"),
    ],
)
async def test_page_decode_error_carries_its_response(body: object) -> None:
    """A page decodes in the request layer: its DecodeError holds the page's response."""
    async with fast_client(transport=_answer(httpx.Response(200, json=body))) as client:
        paginator = oo.AsyncPaginator(client, "items", Item)
        with pytest.raises(oo.DecodeError) as caught:
            await paginator.fetch_page(3)
    assert caught.value.response is not None
    assert caught.value.response.request.url.params["page"] == "3"


async def test_page_decodes_a_page_object_and_a_bare_array() -> None:
    """Both page shapes decode into Page, with the page's number."""
    item = {"itemId": str(FILE_ID), "name": "a"}
    bodies = [
        httpx.Response(200, json={"content": [item], "total": 7, "last": False}),
        httpx.Response(200, json=[item, item]),
    ]
    answers = iter(bodies)
    transport = httpx.MockTransport(lambda request: next(answers))
    async with fast_client(transport=transport) as client:
        paginator = oo.AsyncPaginator(client, "items", Item)
        first = await paginator.fetch_page(1)
        second = await paginator.fetch_page(2)
    decoded = Item(item_id=FILE_ID, name="a")
    assert first == oo.Page(items=[decoded], total=7, last=False, number=1)
    assert second == oo.Page(items=[decoded, decoded], total=2, last=True, number=2)


async def test_strict_decoding_refuses_an_unknown_page_member() -> None:
    """A strict converter (the end-to-end tests') refuses a page member it does not know."""
    body = {"content": [], "total": 0, "last": True, "totalPages": 0}
    async with fast_client(transport=_answer(httpx.Response(200, json=body))) as client:
        paginator = oo.AsyncPaginator(client, "items", Item)
        assert (await paginator.fetch_page(0)).items == []
        with decoding_with(make_converter(strict=True)), pytest.raises(oo.DecodeError) as caught:
            await paginator.fetch_page(0)
    assert "totalPages" in str(caught.value)
