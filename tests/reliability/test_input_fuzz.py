"""
Input fuzzing: hostile path arguments never reach the wire, for every method taking one.

The method table is the hand-written one of tests/endpoints/test_hostile_ids.py; this adds
hypothesis-generated text (traversal, query and fragment marks, percent escapes, unicode,
NUL, CRLF, white space, very long strings) on top of its fixed list.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onlyonce_async import Client

from ..endpoints._data import BASE_URL, P1
from ..endpoints.test_hostile_ids import CALLS, HOSTILE_VALUES, Call

pytestmark = pytest.mark.anyio

#: Examples per (method, parameter) and backend: 44 x 2 x 25 = 2,200 in all.
EXAMPLES_PER_CALL = 25

FRAGMENTS = [
    "../",
    "..",
    "/",
    "?",
    "#",
    "%2e%2e",
    "%2F",
    "\x00",
    "\r\n",
    " ",
    "\t",
    "\u2028",
    "\u202e",
    "ｆｕｌｌ",
    "☃",
    "\ud7ff",
    "7" * 5_000,
]


def _is_canonical_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text.lower()
    except ValueError:
        return False


HOSTILE_TEXT = st.one_of(
    st.builds(
        lambda head, fragment, tail: head + fragment + tail,
        st.sampled_from(["", P1, P1.upper(), "profiles"]),
        st.sampled_from(FRAGMENTS),
        st.text(max_size=40),
    ),
    st.text(max_size=60).filter(lambda t: not _is_canonical_uuid(t)),
    st.sampled_from(HOSTILE_VALUES),
    st.binary(max_size=16),
    st.integers(),
)


@pytest.mark.parametrize("call", CALLS)
@settings(
    max_examples=EXAMPLES_PER_CALL,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(hostile=HOSTILE_TEXT)
async def test_generated_hostile_id_is_refused_before_sending(call: Call, hostile: Any) -> None:
    """A generated hostile id raises ValueError or TypeError and nothing is sent."""
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={})

    client = Client(
        base_url=BASE_URL, transport=httpx.MockTransport(answer), rate_limiter=None, max_retries=0
    )
    async with client:
        with pytest.raises((ValueError, TypeError)):
            await call(client, hostile)
    assert sent == [], f"{hostile!r:.60} was sent"
