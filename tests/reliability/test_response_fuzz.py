"""
Response fuzzing: whatever a server answers, every typed method raises only `OnlyOnceError`.

Each of the 49 methods (the wire table of tests/endpoints/test_wire.py, plus upload) is
called against a mock transport answering a fuzzed status, headers and body: mutations of
the method's valid response (missing fields, wrong types, unknown enum values), invalid
JSON, HTML, huge numbers, deep nesting, huge strings, junk ``Retry-After`` and ``Date``.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onlyonce_async import Client, OnlyOnceError
from tests._support.helpers import FAST_RETRIES

from ..endpoints._data import BASE_URL, P1
from ..endpoints.test_wire import CASES, Case

pytestmark = pytest.mark.anyio

#: Examples per method and backend: 49 methods x 2 backends x 20 = 1,960 in all.
EXAMPLES_PER_METHOD = 20

Call = Callable[[Client], Awaitable[Any]]
TABLE: list[Any] = [
    pytest.param(case.call, case, id=p.id) for p in CASES if isinstance(case := p.values[0], Case)
]
TABLE.append(
    pytest.param(
        lambda c: c.files.upload(P1, b"%PDF", filename="cv.pdf"),
        Case(lambda c: c.files.upload(P1, b"%PDF"), "POST", f"/v2/profiles/{P1}/files"),
        id="files.upload",
    )
)

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(["UNKNOWN_ENUM", "PERSONAL", "", "not-a-uuid", "2016-13-45T99:99"])
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=12,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a node of a JSON value (the root included)."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


#: One mutation: which node (an index taken modulo the node count), delete it (when it
#: is a key of an object) or replace it with the junk value.
Mutation = tuple[int, bool, Any]
MUTATIONS = st.lists(
    st.tuples(st.integers(0, 10_000), st.booleans(), JSON_VALUES), min_size=1, max_size=3
)


def mutate(valid: Any, mutations: list[Mutation]) -> Any:
    """The valid body with a few nodes replaced by junk or removed."""
    body = json.loads(json.dumps(valid))
    for index, delete, junk in mutations:
        paths = _paths(body)
        path = paths[index % len(paths)]
        if not path:
            body = junk
            continue
        parent = body
        for step in path[:-1]:
            parent = parent[step]
        if isinstance(parent, dict) and delete:
            del parent[path[-1]]
        else:
            parent[path[-1]] = junk
    return body


def _raw(text: str) -> st.SearchStrategy[bytes]:
    return st.just(text.encode())


#: Bodies that are garbage whatever the method: invalid JSON, HTML, huge, deep, wrong.
GARBAGE = st.one_of(
    _raw(""),
    _raw("{"),
    _raw("<html><body>502 Bad Gateway</body></html>"),
    _raw("1" + "0" * 400),
    _raw('{"content": [], "total": ' + "9" * 400 + ', "last": true}'),
    _raw("1e400"),
    _raw("[" * 100_000 + "]" * 100_000),
    _raw('{"a":' * 5_000 + "1" + "}" * 5_000),
    _raw(json.dumps({"message": "x" * 1_000_000})),
    _raw('"' + "y" * 1_000_000 + '"'),
    _raw("NaN"),
    st.just(b"\xff\xfe\x00garbage"),
    st.binary(max_size=40),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
)
#: A body: a mutation list (applied to the method's valid response) or garbage bytes.
BODIES = st.one_of(MUTATIONS, MUTATIONS, GARBAGE)


def body_for(case: Case, drawn: list[Mutation] | bytes) -> bytes:
    """The bytes to answer: the drawn garbage, or the case's valid response mutated."""
    if isinstance(drawn, bytes):
        return drawn
    if case.raw_response is not None or case.response is None:
        return json.dumps(drawn[0][2]).encode()
    return json.dumps(mutate(case.response, drawn)).encode()


RETRY_AFTER = st.one_of(
    st.sampled_from(
        [
            "0",
            "0.001",
            "-5",
            "61",
            "1e9",
            "1e400",
            "inf",
            "-inf",
            "nan",
            "soon",
            "",
            "  ",
            "Wed, 21 Oct 2015 07:28:00 GMT",
            "Fri, 31 Dec 9999 23:59:59 GMT",
            "Mon, 99 Foo",
        ]
    ),
    st.text(max_size=12),
)
DATE = st.one_of(
    st.sampled_from(["Wed, 21 Oct 2015 07:28:00 GMT", "yesterday", "", "Thu, 01 Jan 1970"]),
    st.text(max_size=12),
)
STATUSES = st.one_of(
    st.sampled_from([200, 201, 204, 400, 401, 403, 404, 413, 422, 429, 500, 502, 503, 504]),
    st.integers(min_value=200, max_value=599),
)
CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "text/html",
        "application/octet-stream",
        "application/json; charset=latin-1",
    ]
)


def _header_safe(value: str) -> str:
    # httpx refuses header values it cannot encode; those never come off a real socket.
    return "".join(ch for ch in value if 0x20 <= ord(ch) < 0x7F)


@st.composite
def responses(draw: st.DrawFn) -> tuple[int, dict[str, str], list[Mutation] | bytes]:
    """A fuzzed (status, headers, body) where the body may be mutations to apply."""
    status = draw(STATUSES)
    headers = {"Content-Type": draw(CONTENT_TYPES)}
    if draw(st.booleans()):
        headers["Retry-After"] = _header_safe(draw(RETRY_AFTER))
    if draw(st.booleans()):
        headers["Date"] = _header_safe(draw(DATE))
    if draw(st.booleans()):
        headers["Authorization"] = _header_safe(draw(st.text(max_size=30)))
    return status, headers, draw(BODIES)


def _retry_after_is_short(headers: dict[str, str]) -> bool:
    value = headers.get("Retry-After", "").strip()
    try:
        seconds = float(value)
    except ValueError:
        return True  # a date or junk: past dates are 0, future ones > 60 s raise at once
    return not 0.05 < seconds <= 60


@pytest.mark.parametrize(("call", "case"), TABLE)
@settings(
    max_examples=EXAMPLES_PER_METHOD,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(response=responses())
async def test_fuzzed_response_raises_only_onlyonce_errors(
    call: Call, case: Case, response: tuple[int, dict[str, str], list[Mutation] | bytes]
) -> None:
    """A fuzzed answer gives a result or an OnlyOnceError, never another exception."""
    status, headers, drawn = response
    headers = dict(headers)
    body = body_for(case, drawn)
    if not _retry_after_is_short(headers):
        headers["Retry-After"] = "0"  # a honoured wait of seconds would only slow the test
    sent = 0

    def answer(request: httpx.Request) -> httpx.Response:
        nonlocal sent
        sent += 1
        if sent > 1 and request.url.params.get("page") not in (None, "0"):
            # A page that never says "last" would be followed up to MAX_PAGES.
            return httpx.Response(200, json={"content": [], "last": True})
        return httpx.Response(status, headers=headers, content=body)

    client = Client(
        base_url=BASE_URL,
        transport=httpx.MockTransport(answer),
        rate_limiter=None,
        max_retries=2,
        retry_policy=FAST_RETRIES,
    )
    async with client:
        with anyio.fail_after(30):
            with contextlib.suppress(OnlyOnceError):
                await call(client)
    assert sent >= 1
