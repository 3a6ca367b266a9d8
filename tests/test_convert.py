"""
The converter: camelCase keys, timestamps in the reference's forms, UUIDs, enums, strictness.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import attrs
import pytest

import onlyonce_async as oo
from onlyonce_async._convert import converter, parse_datetime, structure, to_camel
from onlyonce_async._enums import ApiEnum, coerce_enum


class Color(ApiEnum):
    RED = "RED"
    BLUE = "BLUE"


@attrs.frozen(kw_only=True)
class Thing:
    onlyonce_id: int
    created_date: dt.datetime | None = None
    owner_id: uuid.UUID | None = None
    color: Color | None = None
    colors: list[Color] = attrs.field(factory=list)
    only_once_id: int | None = attrs.field(default=None, metadata={"wire": "onlyOnceId"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2016-06-09T04:10:16.787", dt.datetime(2016, 6, 9, 4, 10, 16, 787000)),
        ("2016-07-20T19:35:40.3", dt.datetime(2016, 7, 20, 19, 35, 40, 300000)),
        ("2016-06-12T23:59:59", dt.datetime(2016, 6, 12, 23, 59, 59)),
        ("2016-06-12T23:59:59.1234567", dt.datetime(2016, 6, 12, 23, 59, 59, 123456)),
        ("2016-06-12T23:59:59Z", dt.datetime(2016, 6, 12, 23, 59, 59, tzinfo=dt.timezone.utc)),
        (
            "2016-06-12T23:59:59.5+02:00",
            dt.datetime(2016, 6, 12, 23, 59, 59, 500000, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        ),
    ],
)
def test_timestamps_in_every_form(text: str, expected: dt.datetime) -> None:
    """Every timestamp form of the reference parses, with any number of fraction digits."""
    assert parse_datetime(text) == expected


def test_epoch_millis() -> None:
    """A number is read as epoch milliseconds in UTC."""
    assert parse_datetime(0) == dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("bad", ["yesterday", "", True, None, [1], 1e20, 10**30, float("inf")])
def test_bad_timestamps(bad: Any) -> None:
    """Junk is refused with ValueError or TypeError, which structure() turns into DecodeError."""
    with pytest.raises((ValueError, TypeError)):
        parse_datetime(bad)
    with pytest.raises(oo.DecodeError):
        structure(bad, dt.datetime)


def test_camel_case() -> None:
    """snake_case names map to the API's camelCase."""
    assert to_camel("onlyonce_id") == "onlyonceId"
    assert to_camel("parent_value_id") == "parentValueId"
    assert to_camel("name") == "name"


def test_round_trip() -> None:
    """Structure and unstructure use wire names, UUID and enum strings."""
    owner = uuid.uuid4()
    wire = {
        "onlyonceId": 7,
        "createdDate": "2016-06-09T04:10:16.787",
        "ownerId": str(owner),
        "color": "RED",
        "colors": ["BLUE"],
        "onlyOnceId": 9,
        "extra": {"ignored": True},
    }
    thing = structure(wire, Thing)
    assert thing.onlyonce_id == 7 and thing.only_once_id == 9
    assert thing.owner_id == owner and thing.color is Color.RED
    out = converter.unstructure(thing)
    assert out["ownerId"] == str(owner) and out["color"] == "RED" and out["onlyOnceId"] == 9


def test_unknown_enum_value_is_visible_not_fatal() -> None:
    """An enum value this SDK does not know decodes to a pseudo-member."""
    thing = structure({"onlyonceId": 1, "color": "GREEN", "colors": ["RED", "PINK"]}, Thing)
    assert thing.color is not None
    assert thing.color.value == "GREEN" and not thing.color.is_known
    assert isinstance(thing.color, Color)
    assert [c.is_known for c in thing.colors] == [True, False]
    assert Color.RED.is_known


@pytest.mark.parametrize(
    "wire",
    [
        pytest.param({"onlyonceId": "7"}, id="string-for-int"),
        pytest.param({"onlyonceId": True}, id="bool-for-int"),
        pytest.param({"onlyonceId": 1, "ownerId": "nope"}, id="bad-uuid"),
        pytest.param({"onlyonceId": 1, "color": 3}, id="int-for-enum"),
        pytest.param({"onlyonceId": 1, "colors": "RED"}, id="string-for-list"),
        pytest.param({"onlyonceId": 1, "createdDate": "soon"}, id="bad-date"),
        pytest.param({}, id="missing-required"),
        pytest.param([], id="list-for-object"),
        pytest.param(None, id="null"),
    ],
)
def test_wrong_shapes_are_decode_errors(wire: Any) -> None:
    """Any shape mismatch raises DecodeError and nothing else."""
    with pytest.raises(oo.DecodeError):
        structure(wire, Thing)


def test_coerce_enum_is_strict() -> None:
    """Arguments accept a member or its string, and nothing unknown."""
    assert coerce_enum(Color, "RED", name="c") is Color.RED
    assert coerce_enum(Color, Color.BLUE, name="c") is Color.BLUE
    with pytest.raises(ValueError, match="RED"):
        coerce_enum(Color, "GREEN", name="c")
    with pytest.raises(TypeError):
        coerce_enum(Color, 1, name="c")
    with pytest.raises(ValueError):
        coerce_enum(Color, Color.unknown("GREEN"), name="c")
