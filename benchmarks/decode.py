"""
Decode cost per `Profile`: the SDK's converter beside a hand-written constructor (the floor).

One typed page of 20 profiles, every optional field present (a realistic ``GET /profiles``
page), decoded by ``structure(..., list[Profile])`` and by a constructor written out by hand
for exactly this model. Interleaved rounds, medians, microseconds per profile.
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from typing import Any

from onlyonce_async import Profile, ProfileType
from onlyonce_async._convert import parse_datetime, structure

from ._report import table

_ROUNDS = 5 if os.environ.get("ONLYONCE_BENCH_QUICK") else 25
_REPEAT = 200


def _page() -> list[dict[str, Any]]:
    return [
        {
            "id": str(uuid.uuid4()),
            "onlyonceId": 1000 + i,
            "type": "PERSONAL",
            "publicCardId": str(uuid.uuid4()),
            "viewsCount": i,
            "incomingSharesCount": 2,
            "outgoingSharesCount": 3,
            "name": f"Person {i}",
            "avatarId": str(uuid.uuid4()),
            "createdDate": "2016-06-09T04:10:16.787",
            "connectedDate": None,
            "lastModifyDate": "2016-07-20T19:35:40.3",
            "flexWorkerInfo": None,
            "bookmarked": False,
            "connected": True,
            "tags": [],
        }
        for i in range(20)
    ]


def _optional_uuid(value: Any) -> uuid.UUID | None:
    return None if value is None else uuid.UUID(value)


def _optional_time(value: Any) -> Any:
    return None if value is None else parse_datetime(value)


def _by_hand(item: dict[str, Any]) -> Profile:
    """The floor: no type checks beyond what the constructors do themselves."""
    return Profile(
        id=uuid.UUID(item["id"]),
        onlyonce_id=item["onlyonceId"],
        type=ProfileType(item["type"]),
        public_card_id=_optional_uuid(item.get("publicCardId")),
        views_count=item.get("viewsCount"),
        incoming_shares_count=item.get("incomingSharesCount"),
        outgoing_shares_count=item.get("outgoingSharesCount"),
        name=item.get("name"),
        avatar_id=_optional_uuid(item.get("avatarId")),
        created_date=_optional_time(item.get("createdDate")),
        connected_date=_optional_time(item.get("connectedDate")),
        last_modify_date=_optional_time(item.get("lastModifyDate")),
        flex_worker_info=None,
        bookmarked=item.get("bookmarked"),
        connected=item.get("connected"),
        tags=[],
    )


def _per_profile(decode: Any, page: list[dict[str, Any]]) -> float:
    start = time.perf_counter()
    for _ in range(_REPEAT):
        decode(page)
    return (time.perf_counter() - start) / (_REPEAT * len(page)) * 1e6


async def main() -> str:
    """Run the interleaved rounds and return the table."""
    page = _page()
    assert structure(page, list[Profile]) == [_by_hand(item) for item in page]
    sdk: list[float] = []
    hand: list[float] = []
    for _ in range(_ROUNDS):
        sdk.append(_per_profile(lambda p: structure(p, list[Profile]), page))
        hand.append(_per_profile(lambda p: [_by_hand(item) for item in p], page))
    sdk_us, hand_us = statistics.median(sdk), statistics.median(hand)
    return table(
        f"Decode cost per Profile (page of 20, {_ROUNDS} interleaved rounds, medians)",
        ["decoder", "µs / Profile", "× hand-written"],
        [
            ["SDK converter (structure)", sdk_us, sdk_us / hand_us],
            ["hand-written constructor", hand_us, 1.0],
        ],
    )
