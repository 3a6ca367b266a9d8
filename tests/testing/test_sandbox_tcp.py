"""
The sandbox served over TCP by uvicorn (asyncio only: uvicorn runs on asyncio).
"""

from __future__ import annotations

import anyio
import httpx
import pytest

from onlyonce_async.testing import Sandbox
from tests._support.backends import asyncio_backend  # noqa: F401 (uvicorn needs asyncio)

pytestmark = pytest.mark.anyio


async def test_serve_tcp_and_drop_after_commit() -> None:
    """Over TCP requests work, and a dropped request closes the connection with no
    response bytes after its change is committed."""
    sandbox = Sandbox(rate_limit=None)
    user = sandbox.create_user(email="u@example.com", password="p", pass_phrase="q")
    async with sandbox.serve_tcp() as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        assert base_url.endswith("/v2/")
        async with httpx.AsyncClient(base_url=base_url) as http:
            signed = await http.post("signIn", json={"username": user.email, "password": "p"})
            assert signed.status_code == 200
            headers = {"Authorization": signed.headers["authorization"]}
            sandbox.faults(drop_after_commit=1.0)
            with pytest.raises(httpx.TransportError):
                await http.post(
                    "profiles",
                    json={"passPhrase": "x", "email": "o@example.com", "tradeName": "Tcp Ltd"},
                    headers=headers,
                )
            port = int(base_url.rsplit(":", 1)[1].split("/")[0])
            async with await anyio.connect_tcp("127.0.0.1", port) as stream:
                await stream.send(b"GET /v2/heartbeat HTTP/1.1\r\nHost: x\r\n\r\n")
                received = b""
                with anyio.fail_after(30):  # hang guard
                    try:
                        while chunk := await stream.receive():
                            received += chunk
                    except (anyio.EndOfStream, anyio.BrokenResourceError, ConnectionError):
                        pass
                assert received == b""
            sandbox.faults()
            companies = await http.get("companies", params={"employerName": "tcp"})
            assert [c["name"] for c in companies.json()] == ["Tcp Ltd"]
    assert sandbox.stats.dropped == 2


async def test_date_header_follows_the_sandbox_clock_over_tcp() -> None:
    """Over TCP the only Date header is the sandbox clock's, not uvicorn's wall clock."""
    sandbox = Sandbox(rate_limit=None, clock=lambda: 1_000_000_000.0)
    async with sandbox.serve_tcp() as base_url, httpx.AsyncClient(base_url=base_url) as http:
        response = await http.get("heartbeat")
    assert response.headers.get_list("date") == ["Sun, 09 Sep 2001 01:46:40 GMT"]


@pytest.mark.parametrize("port", [65536, 99999, -1])
async def test_serve_tcp_refuses_a_port_out_of_range(port: int) -> None:
    """A port outside 0..65535 is a ValueError, with no socket left open (no OverflowError)."""
    with pytest.raises(ValueError, match="0 to 65535"):
        async with Sandbox(rate_limit=None).serve_tcp(port=port):
            pass  # pragma: no cover - never served
