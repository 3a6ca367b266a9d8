"""
AsyncPaginator: walking pages lazily and stopping on every documented signal.
"""

from __future__ import annotations

import attrs
import httpx
import pytest

import onlyonce_async as oo
from tests._support.helpers import fast_client

from .endpoints._data import P1, SHARE_REQUEST_BODY

pytestmark = pytest.mark.anyio


@attrs.frozen(kw_only=True)
class Item:
    n: int


def pages_transport(pages: list[object], seen: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        number = int(request.url.params["page"])
        body = pages[number] if number < len(pages) else {"last": True, "total": 0, "content": []}
        return httpx.Response(200, json=body)

    return httpx.MockTransport(handler)


def page(numbers: list[int], *, last: bool, total: int | None = None) -> dict[str, object]:
    return {"last": last, "total": total, "content": [{"n": n} for n in numbers]}


async def test_walks_every_page_until_last() -> None:
    """Items of all pages come in order; `last` stops the walk."""
    seen: list[httpx.Request] = []
    transport = pages_transport(
        [page([1, 2], last=False), page([3], last=True), page([9], last=True)], seen
    )
    async with fast_client(transport=transport) as client:
        paginator = oo.AsyncPaginator(
            client, "things", Item, params={"q": "x", "none": None}, page_size=2
        )
        assert [i.n async for i in paginator] == [1, 2, 3]
    assert [r.url.params["page"] for r in seen] == ["0", "1"]
    assert seen[0].url.params["size"] == "2" and seen[0].url.params["q"] == "x"
    assert "none" not in seen[0].url.params


async def test_stops_on_an_empty_page() -> None:
    """An empty page ends the walk even without `last`."""
    seen: list[httpx.Request] = []
    transport = pages_transport([page([1], last=False), page([], last=False)], seen)
    async with fast_client(transport=transport) as client:
        assert [i.n async for i in oo.AsyncPaginator(client, "t", Item)] == [1]
    assert len(seen) == 2


async def test_a_stale_total_drops_no_item() -> None:
    """Reaching the `total` a page states does not end the walk: only `last` or an empty
    page does, so items added meanwhile (a later page stating a larger total) all arrive."""
    seen: list[httpx.Request] = []
    transport = pages_transport(
        [page([1, 2], last=False, total=2), page([3], last=True, total=3)], seen
    )
    async with fast_client(transport=transport) as client:
        assert [i.n async for i in oo.AsyncPaginator(client, "t", Item)] == [1, 2, 3]
    assert len(seen) == 2
    seen.clear()
    transport = pages_transport([page([1, 2], last=False, total=2), page([], last=False)], seen)
    async with fast_client(transport=transport) as client:
        assert [i.n async for i in oo.AsyncPaginator(client, "t", Item)] == [1, 2]
    assert len(seen) == 2


async def test_pages_expose_metadata() -> None:
    """pages() yields Page objects with items, total, last and number."""
    seen: list[httpx.Request] = []
    transport = pages_transport(
        [page([1], last=False, total=2), page([2], last=True, total=2)], seen
    )
    async with fast_client(transport=transport) as client:
        pages = [p async for p in oo.AsyncPaginator(client, "t", Item).pages()]
    assert [(p.number, p.last, p.total, [i.n for i in p.items]) for p in pages] == [
        (0, False, 2, [1]),
        (1, True, 2, [2]),
    ]


async def test_bare_list_is_one_page() -> None:
    """A server answering a bare array gives one last page."""
    seen: list[httpx.Request] = []
    transport = pages_transport([[{"n": 5}]], seen)
    async with fast_client(transport=transport) as client:
        assert [i.n for i in await oo.AsyncPaginator(client, "t", Item).collect()] == [5]


@pytest.mark.parametrize(
    "body",
    [{"content": "x"}, {"last": True}, "text", {"content": [{"n": "one"}]}],
)
async def test_malformed_pages_are_decode_errors(body: object) -> None:
    """A body that is not a page of the item type raises DecodeError."""
    seen: list[httpx.Request] = []
    async with fast_client(transport=pages_transport([body], seen)) as client:
        with pytest.raises(oo.DecodeError):
            await oo.AsyncPaginator(client, "t", Item).collect()


def test_bad_page_size() -> None:
    """page_size must be an int from 1 to 100 (the API's largest page)."""
    client = oo.Client()
    oo.AsyncPaginator(client, "t", Item, page_size=100)
    for bad in (0, -1, True, 2.5, 101):
        with pytest.raises(ValueError):
            oo.AsyncPaginator(client, "t", Item, page_size=bad)  # type: ignore[arg-type]


async def test_a_repeated_page_is_a_decode_error_at_once() -> None:
    """A server answering every page with the same items and last=false costs two
    requests and a DecodeError, not MAX_PAGES requests."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=page([1, 2], last=False, total=1_000_000))

    async with fast_client(transport=httpx.MockTransport(handler)) as client:
        paginator = oo.AsyncPaginator(client, "t", Item)
        with pytest.raises(oo.DecodeError, match="repeats") as caught:
            await paginator.collect()
    assert len(seen) == 2
    # The error carries the repeating page's response, as every DecodeError does.
    assert caught.value.response is not None
    assert caught.value.response.request.url.params["page"] == "1"


async def test_a_page_after_the_total_was_reached_is_a_decode_error() -> None:
    """A non-empty page arriving when the total it states was already reached is a
    DecodeError at once."""
    seen: list[httpx.Request] = []
    transport = pages_transport(
        [page([1, 2], last=False, total=5), page([3, 4], last=False, total=2)], seen
    )
    async with fast_client(transport=transport) as client:
        with pytest.raises(oo.DecodeError, match="already seen") as caught:
            await oo.AsyncPaginator(client, "t", Item).collect()
    assert len(seen) == 2
    assert caught.value.response is not None
    assert caught.value.response.request.url.params["page"] == "1"


async def test_equal_items_on_the_last_page_are_fine() -> None:
    """A last page that happens to equal the previous one is not a repeat."""
    seen: list[httpx.Request] = []
    transport = pages_transport([page([1], last=False), page([1], last=True)], seen)
    async with fast_client(transport=transport) as client:
        assert [i.n async for i in oo.AsyncPaginator(client, "t", Item)] == [1, 1]


async def test_bulk_lookups_stop_on_a_repeated_page() -> None:
    """list_requests (the paginator bulk sharing looks recipients up with) stops on a
    repeated page with DecodeError after two requests."""
    body = {"last": False, "total": None, "content": [SHARE_REQUEST_BODY]}
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=body)

    async with fast_client(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(oo.DecodeError, match="repeats"):
            await client.network.list_requests(P1, type="OUTGOING").collect()
    assert len(seen) == 2
