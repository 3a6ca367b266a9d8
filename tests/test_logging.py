"""
httpx's and httpcore's records are redacted during SDK calls only, and the application's
logging configuration is left as it was.
"""

from __future__ import annotations

import logging

import httpx
import pytest

import onlyonce_async as oo
from tests._support.helpers import fast_client

pytestmark = pytest.mark.anyio

TOKEN = "tok-S3cr3tT0ken"
LINE = (
    "receive_response_headers.complete return_value=(b'HTTP/1.1', 200, b'OK', "
    f"[(b'authorization', b'Bearer {TOKEN}'), (b'API-Key', b'{TOKEN}')])"
)


async def test_third_party_records_are_redacted_during_sdk_calls_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A header line httpcore logs while an SDK call runs loses its secrets; the same line
    logged by the application's own code outside any SDK call is left untouched."""
    caplog.set_level(logging.DEBUG)
    httpcore_logger = logging.getLogger("httpcore.http11")

    def handle(request: httpx.Request) -> httpx.Response:
        httpcore_logger.debug(LINE)  # what httpcore writes when it reads the headers
        logging.getLogger("httpx").info("Authorization: Bearer %s", TOKEN)
        return httpx.Response(200, json={})

    async with fast_client(transport=httpx.MockTransport(handle)) as client:
        await client.get("x")
    inside = [r.getMessage() for r in caplog.records if r.name in ("httpcore.http11", "httpx")]
    assert sum("[redacted]" in m for m in inside) == 2
    assert all(TOKEN not in m for m in inside)
    caplog.clear()
    httpcore_logger.debug(LINE)
    assert [r.getMessage() for r in caplog.records] == [LINE]


def test_logging_configuration_is_not_changed() -> None:
    """Creating a client changes no level, handler or propagation of any logger."""
    names = ("httpx", "httpcore", "httpcore.http11", "httpcore.connection")
    before = {n: (logging.getLogger(n).level, list(logging.getLogger(n).handlers)) for n in names}
    propagate = {n: logging.getLogger(n).propagate for n in names}
    oo.Client()
    after = {n: (logging.getLogger(n).level, list(logging.getLogger(n).handlers)) for n in names}
    assert after == before
    assert {n: logging.getLogger(n).propagate for n in names} == propagate
