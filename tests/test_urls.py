"""
URL handling: request paths stay below the base path, control characters and user info
are refused before anything is sent, and no message quotes a URL's password.
"""

from __future__ import annotations

import httpx
import pytest

import onlyonce_async as oo

from .helpers import fast_client

pytestmark = pytest.mark.anyio

BASE = "https://api.onlyonce.com/v2/"


class Recorder:
    """A transport that records requests and answers 200 ``{}``."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def transport(self) -> httpx.MockTransport:
        """The mock transport."""

        def handle(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            return httpx.Response(200, json={})

        return httpx.MockTransport(handle)


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("../x", id="dotdot"),
        pytest.param("a/../../x", id="nested-dotdot"),
        pytest.param("/../account", id="leading-slash-dotdot"),
        pytest.param("%2e%2e/x", id="encoded-dotdot"),
        pytest.param("a/%2E%2e/%2e%2E/x", id="encoded-mixed-case"),
    ],
)
async def test_paths_never_climb_above_the_base_path(path: str) -> None:
    """A path whose dot segments climb above base_url's path raises ValueError; nothing
    is sent."""
    rec = Recorder()
    async with fast_client(transport=rec.transport()) as client:
        with pytest.raises(ValueError, match="below base_url"):
            await client.request("GET", path)
    assert rec.requests == []


async def test_dot_segments_inside_the_base_path_are_fine() -> None:
    """``a/../b`` stays below the base path and is sent to ``/v2/b``."""
    rec = Recorder()
    async with fast_client(transport=rec.transport()) as client:
        await client.get("a/../b")
    assert rec.requests[0].url.path == "/v2/b"


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("x\ty", id="tab"),
        pytest.param("x\x00y", id="nul"),
        pytest.param("x\r\nHost: evil", id="crlf"),
        pytest.param("x\ny", id="lf"),
        pytest.param("x\x7fy", id="del"),
        pytest.param("https://api.onlyonce.com/v2/x\ty", id="absolute-with-tab"),
    ],
)
async def test_control_characters_in_a_path_are_value_errors(path: str) -> None:
    """A tab, NUL, CR/LF or DEL in a path raises ValueError (not httpx.InvalidURL), and
    nothing is sent."""
    rec = Recorder()
    async with fast_client(transport=rec.transport()) as client:
        with pytest.raises(ValueError, match="control characters"):
            await client.get(path)
    assert rec.requests == []


@pytest.mark.parametrize(
    "base_url",
    [
        "https://alice:S3cr3t-pw@api.onlyonce.com/v2/",
        "https://alice:S3cr3t-pw@localhost/v2/",
        "http://alice:S3cr3t-pw@evil.example/v2/",
        "ftp://alice:S3cr3t-pw@api.onlyonce.com/",
        "https://S3cr3t-pw@api.onlyonce.com/v2/",
    ],
)
def test_user_info_in_base_url_is_refused_without_quoting_it(base_url: str) -> None:
    """A base_url with user info is refused with a ValueError that names the problem and
    never shows the password."""
    with pytest.raises(ValueError, match="user info") as info:
        oo.Client(base_url=base_url)
    assert "S3cr3t" not in str(info.value) and "S3cr3t" not in repr(info.value)


@pytest.mark.parametrize(
    "base_url",
    ["not a url at all S3cr3t", "mailto:S3cr3t@x", "https://h:S3cr3t/v2/"],
)
def test_invalid_base_url_messages_quote_nothing(base_url: str) -> None:
    """An invalid base_url raises ValueError without echoing it (it may hold a secret)."""
    with pytest.raises(ValueError) as info:
        oo.Client(base_url=base_url)
    assert "S3cr3t" not in str(info.value)


async def test_user_info_in_an_absolute_request_url_is_refused() -> None:
    """An absolute same-origin URL with user info is refused before anything is sent."""
    rec = Recorder()
    async with fast_client(transport=rec.transport()) as client:
        with pytest.raises(ValueError, match="user info") as info:
            await client.get("https://bob:S3cr3t@api.onlyonce.com/v2/x")
    assert "S3cr3t" not in str(info.value)
    assert rec.requests == []


def test_user_info_in_with_credentials_base_url_is_refused() -> None:
    """BearerAuth.with_credentials(base_url=...) refuses user info without quoting it."""
    with pytest.raises(ValueError, match="user info") as info:
        oo.BearerAuth.with_credentials("a@example.com", "pw", base_url="https://u:S3cr3t@h/v2/")
    assert "S3cr3t" not in str(info.value)


class _ParamsSpy(httpx.AsyncClient):
    """An http_client that records the params each request is built with."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.built: list[object] = []

    def build_request(self, *args: object, **kwargs: object) -> httpx.Request:
        """Record ``params``, then build as httpx does."""
        self.built.append(kwargs.get("params"))
        return super().build_request(*args, **kwargs)  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_no_params_left_means_no_params_dict() -> None:
    """Query parameters that are all None reach httpx as None, not {} (no URL re-merge)."""
    spy = _ParamsSpy(transport=httpx.MockTransport(lambda request: httpx.Response(200)))
    async with spy, fast_client(http_client=spy) as client:
        await client.get("x", params={"a": None})
        await client.get("x", params={})
        await client.get("x", params={"a": 1})
    assert spy.built == [None, None, {"a": 1}]
