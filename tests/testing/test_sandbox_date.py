"""
The sandbox's ``Date`` header: every response carries the sandbox clock's time.
"""

from __future__ import annotations

import httpx
import pytest

from onlyonce_async._httpdate import parse_http_date
from onlyonce_async.testing import BASE_URL, Sandbox

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("path", "faulty", "status"),
    [
        pytest.param("heartbeat", False, 200, id="ok"),
        pytest.param("account", False, 401, id="error"),
        pytest.param("no-such-route", False, 404, id="unrouted"),
        pytest.param("heartbeat", True, 503, id="injected-fault"),
    ],
)
async def test_date_header_from_the_injected_clock(path: str, faulty: bool, status: int) -> None:
    """Answers, errors and injected faults all carry one Date equal to the sandbox clock."""
    sandbox = Sandbox(rate_limit=None, clock=lambda: 1_234_567_890.5)
    if faulty:
        sandbox.faults(error_rate=1.0, statuses=[503])
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=BASE_URL) as http:
        response = await http.get(path)
    assert response.status_code == status
    (date,) = response.headers.get_list("date")
    assert parse_http_date(date) == 1_234_567_890


async def test_date_header_on_rate_limited_answers() -> None:
    """A 429 carries the Date too."""
    sandbox = Sandbox(rate_limit=(1, 60.0), clock=lambda: 1_234_567_890.0)
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=BASE_URL) as http:
        await http.get("heartbeat")
        response = await http.get("heartbeat")
    assert response.status_code == 429
    assert parse_http_date(response.headers["date"]) == 1_234_567_890
