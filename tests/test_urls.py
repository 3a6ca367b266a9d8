"""
URL handling: request paths stay below the base path, control characters and user info
are refused before anything is sent, and no message quotes a URL's password.
"""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

import onlyonce_async as oo
from onlyonce_async._urls import Resolver, clean_params, resolve
from tests._support.helpers import Recorder, fast_client

pytestmark = pytest.mark.anyio

BASE = "https://api.onlyonce.com/v2/"


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
async def test_query_is_in_the_url_before_httpx_builds_the_request() -> None:
    """
    The query is written into the URL once: httpx never gets params to merge (a second
    parse of the whole URL); parameters that are all None leave no query at all.
    """
    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        return httpx.Response(200)

    spy = _ParamsSpy(transport=httpx.MockTransport(answer))
    async with spy, fast_client(http_client=spy) as client:
        await client.get("x", params={"a": None})
        await client.get("x", params={})
        await client.get("x", params={"a": 1, "b": [True, "c d"]})
        await client.get("x?z=0", params={"a": 1})  # a query of its own: merged
    assert spy.built == [None, None, None, None]
    base = str(client.base_url)
    assert sent == [f"{base}x", f"{base}x", f"{base}x?a=1&b=true&b=c+d", f"{base}x?z=0&a=1"]


_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(), st.uuids()
)


@given(
    path=st.sampled_from(["account", "profiles/7", "a/b/", "", "x%20y", "n.json"]),
    params=st.dictionaries(st.text(min_size=1), st.one_of(_VALUES, st.lists(_VALUES))),
)
def test_a_query_written_into_the_path_is_the_query_httpx_would_merge(
    path: str, params: dict[str, object]
) -> None:
    """The query the resolver writes into the path before parsing is exactly what httpx
    makes of the same parameters merged into the URL, for any keys and values."""
    base = httpx.URL(BASE)
    expected = resolve(base, BASE, path)
    cleaned = clean_params(params)
    if cleaned is not None:
        expected = expected.copy_merge_params(cleaned)
    resolver = Resolver(base)
    assert resolver(path, params) == expected
    assert resolver(path, params) == expected  # remembered: the same URL again


def test_a_resolver_forgets_the_oldest_paths_and_stays_right() -> None:
    """Past the paths it remembers, a resolver still resolves every path as resolve()."""
    base = httpx.URL(BASE)
    resolver = Resolver(base)
    paths = [f"profiles/{n}" for n in range(2_000)]
    for path in paths + paths[:10]:
        assert resolver(path) == resolve(base, BASE, path)
    with pytest.raises(ValueError, match="below base_url"):
        resolver("../x")
    with pytest.raises(ValueError, match="below base_url"):
        resolver("../x")  # a refused path is refused every time, never remembered
    ids = {"ids": [str(n) * 36 for n in range(100)]}  # a long query (resolved every time)
    assert resolver("profiles", ids) == resolve(base, BASE, "profiles").copy_merge_params(ids)
