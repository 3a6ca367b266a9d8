"""
Paginated list endpoints: `Page` and `AsyncPaginator`.

The API pages with ``page`` (0-based) and ``size`` query parameters and answers
``{"last": bool, "total": int, "content": [...]}``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

import attrs
import cattrs
import httpx

from . import _wire
from ._convert import wire_names
from ._errors import DecodeError
from ._json import decode_body

if TYPE_CHECKING:
    from ._client import Client

__all__ = ["AsyncPaginator", "Page"]

T = TypeVar("T")

#: A server that never says ``last`` cannot make a paginator run forever.
MAX_PAGES = 100_000
#: The largest ``size`` the API accepts (it answers 422 beyond).
MAX_PAGE_SIZE = _wire.MAX_PAGE_SIZE


@attrs.frozen(kw_only=True)
class Page(Generic[T]):
    """
    One page of a paginated list.

    Attributes:
        items: The page's items, decoded.
        total: The total number of items across all pages, when the API says.
        last: Whether this is the last page.
        number: The page's 0-based number.
    """

    items: list[T]
    total: int | None
    last: bool
    number: int


@attrs.frozen(kw_only=True)
class PageBody(Generic[T]):
    """
    A page's body as the API sends it, decoded by the request layer (``cast_to``).

    ``{"last": bool, "total": int, "content": [...]}``; some deployments answer a bare array
    instead, read as one last page holding everything. A ``total`` or ``last`` of another
    type reads as unknown (``None``) and not last. A strict converter (the end-to-end
    tests') also refuses any other member, as it does for every model.

    Attributes:
        content: The items, decoded.
        total: ``total``, when it is an int.
        last: ``last``, when it is a bool (else ``False``).
    """

    content: list[T]
    total: int | None
    last: bool

    @classmethod
    def __from_wire__(cls, value: Any, conv: cattrs.Converter, item_type: type[T]) -> PageBody[T]:
        """
        Decode a page of ``item_type`` (the converter calls this for ``PageBody[item_type]``).

        Args:
            value: The decoded JSON.
            conv: The converter decoding it.
            item_type: The model of each item.

        Returns:
            The page body.

        Raises:
            TypeError: Not a page (an object with a ``content`` array, or an array).
            ValueError: A member other than ``content``, ``total`` and ``last``, with a
                strict converter.
        """
        if isinstance(value, list):
            items = conv.structure(value, list[item_type])  # type: ignore[valid-type]
            return cls(content=items, total=len(items), last=True)
        if not isinstance(value, dict) or not isinstance(value.get("content"), list):
            raise TypeError(f"expected a paginated response, got {type(value).__name__}")
        if conv.forbid_extra_keys and not value.keys() <= _PAGE_MEMBERS:
            raise ValueError(f"unknown page members: {sorted(value.keys() - _PAGE_MEMBERS)}")
        last = value.get("last")
        total = value.get("total")
        return cls(
            content=conv.structure(value["content"], list[item_type]),  # type: ignore[valid-type]
            total=total if isinstance(total, int) and not isinstance(total, bool) else None,
            last=last if isinstance(last, bool) else False,
        )


#: The members of a page object.
_PAGE_MEMBERS: Final = wire_names(PageBody)


class AsyncPaginator(Generic[T]):
    """
    Walks a paginated list endpoint lazily, one request per page.

    ``async for item in paginator`` yields every item of every page; `pages` yields
    `Page` objects. Each iteration starts again from the first page. Iteration stops on
    ``"last": true`` or an empty page (``total`` ends nothing: a stale one would drop items).
    A server that does not move on raises `DecodeError` at once rather than spend the quota
    on it: a page that repeats the previous one's items without ``"last": true``, or a
    non-empty page after ``total`` (as that page states it) was already reached. Its
    ``response`` is that page's.
    """

    def __init__(
        self,
        client: Client,
        path: str,
        item_type: type[T],
        *,
        params: Mapping[str, Any] | None = None,
        page_size: int | None = None,
    ) -> None:
        """
        The typed list methods return one; build your own only for a paginated endpoint
        the typed methods do not cover.

        Args:
            client: The `Client` that sends each page's request.
            path: The endpoint, relative to the client's ``base_url``.
            item_type: The model each item of ``content`` is decoded into.
            params: Query parameters sent with every page (``page`` and ``size`` are added).
            page_size: Items per request, 1 to 100 (the server's default, 20, when ``None``).

        Raises:
            ValueError: ``page_size`` is not an int from 1 to 100.
        """
        if page_size is not None and (
            isinstance(page_size, bool)
            or not isinstance(page_size, int)
            or not 1 <= page_size <= MAX_PAGE_SIZE
        ):
            raise ValueError(
                f"page_size must be an int from 1 to {MAX_PAGE_SIZE}, not {page_size!r}"
            )
        self._client = client
        self._path = path
        self._item_type = item_type
        self._body_type: type[PageBody[T]] = PageBody[item_type]  # type: ignore[valid-type]
        self._params = {k: v for k, v in (params or {}).items() if v is not None}
        self._page_size = page_size

    def __repr__(self) -> str:
        return f"<AsyncPaginator {self._path} of {getattr(self._item_type, '__name__', '?')}>"

    async def fetch_page(self, number: int) -> Page[T]:
        """
        Fetch one page by its 0-based number.

        Args:
            number: The page's 0-based number.

        Returns:
            The `Page` (its ``items`` decoded into the paginator's item type).

        Raises:
            DecodeError: The body is not a page of ``T``.
            OnlyOnceError: Any error the request raised.
        """
        page, _ = await self._fetch(number)
        return page

    async def _fetch(self, number: int) -> tuple[Page[T], httpx.Response]:
        """The page and the response it came in (a page iterator's errors carry it)."""
        params: dict[str, Any] = {**self._params, "page": number}
        if self._page_size is not None:
            params["size"] = self._page_size
        # What Client.get does with cast_to, keeping the response.
        response = await self._client._send_within_deadline("GET", self._path, {"params": params})
        body: PageBody[T] = decode_body(response, self._body_type)
        return Page(items=body.content, total=body.total, last=body.last, number=number), response

    def pages(self) -> AsyncIterator[Page[T]]:
        """
        Iterate over every page in order, starting at page 0.
        """
        return _PageIterator(self)

    def __aiter__(self) -> AsyncIterator[T]:
        return _ItemIterator(_PageIterator(self))

    async def collect(self) -> list[T]:
        """
        Every item of every page, in a list.
        """
        return [item async for item in self]


class _PageIterator(AsyncIterator[Page[T]]):
    # Plain iterator objects rather than async generators: breaking out of an
    # ``async for`` leaves nothing to finalise (no ResourceWarning on trio, no
    # aclose() needed).

    def __init__(self, paginator: AsyncPaginator[T]) -> None:
        self._paginator = paginator
        self._number = 0
        self._seen = 0
        self._done = False
        self._previous: list[T] | None = None

    async def __anext__(self) -> Page[T]:
        if self._done or self._number >= MAX_PAGES:
            raise StopAsyncIteration
        page, response = await self._paginator._fetch(self._number)
        self._check_progress(page, response)
        self._previous = page.items
        self._number += 1
        self._seen += len(page.items)
        self._done = page.last or not page.items
        return page

    def _check_progress(self, page: Page[T], response: httpx.Response) -> None:
        """Refuse a page that cannot be new: the walk would otherwise run to MAX_PAGES."""
        if not page.items:
            return
        if not page.last and page.items == self._previous:
            self._done = True
            raise DecodeError(
                f"page {page.number} repeats the items of page {page.number - 1} without "
                "being the last: the server is not paginating",
                response=response,
            )
        if page.total is not None and self._seen >= page.total:
            self._done = True
            raise DecodeError(
                f"page {page.number} brings items after all {page.total} items "
                f"(the total it states) were already seen",
                response=response,
            )


class _ItemIterator(AsyncIterator[T]):
    def __init__(self, pages: _PageIterator[T]) -> None:
        self._pages = pages
        self._items: list[T] = []
        self._index = 0

    async def __anext__(self) -> T:
        while self._index >= len(self._items):
            self._items = (await self._pages.__anext__()).items
            self._index = 0
        item = self._items[self._index]
        self._index += 1
        return item
