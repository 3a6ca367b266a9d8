"""
Fixtures for the endpoint tests: a client of a mocked API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import respx

from onlyonce_async import Client

from ._data import BASE_URL


@pytest.fixture
def mock_api() -> Iterator[respx.MockRouter]:
    """A respx router for the test API; every request must match a route."""
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        yield router


@pytest.fixture
async def client(mock_api: respx.MockRouter) -> AsyncIterator[Client]:
    """A client of the mocked API, without rate limiting or retries."""
    async with Client(base_url=BASE_URL, rate_limiter=None, max_retries=0) as c:
        yield c
