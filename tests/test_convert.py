"""
The converter: camelCase keys, timestamps in the reference's forms, UUIDs, enums, strictness.
"""

from __future__ import annotations

import datetime as dt
import json
import typing
import uuid
from typing import Any

import attrs
import cattrs
import pytest

import onlyonce_async as oo
from onlyonce_async._convert import (
    converter,
    make_converter,
    parse_datetime,
    structure,
    to_camel,
)
from onlyonce_async._enums import coerce_enum
from onlyonce_async._json import encode_json
from onlyonce_async._urls import clean_params


class Color(oo.ApiEnum):
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


#: Public attrs classes that are SDK-side results, not wire models.
_NOT_WIRE = {"BulkShareReport", "Page", "RetryPolicy", "ShareOutcome", "LimiterStats"}
# The typed events a client gives its listeners are made by the SDK, never decoded.
_NOT_WIRE |= {
    "AccessRenewed",
    "BulkProgress",
    "CallFinished",
    "CallStarted",
    "QuotaWaited",
    "RateLimited",
    "ReauthenticatedEvent",
    "ReconciliationLookup",
    "RequestFailed",
    "RequestSent",
    "ResponseReceived",
    "RetryScheduled",
    "ShareCompleted",
}
#: Wire samples for models whose shape is not an object of their fields.
_SHAPED = {"ConsolidatedEntry": {"3f2504e0-4f89-41d3-9a0c-0305e82c3301": {"a_field": "x"}}}


def _sample(tp: Any) -> Any:
    """A wire value of type ``tp`` with every field present."""
    if tp is type(None):
        return None
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is list:
        return [_sample(args[0])]
    if origin is dict:
        return {"a_field": "x"}
    if args:  # a union: the first non-None member
        return _sample(next(a for a in args if a is not type(None)))
    if isinstance(tp, type) and issubclass(tp, oo.ApiEnum):
        return next(iter(tp)).value
    if isinstance(tp, type) and attrs.has(tp):
        return _SHAPED.get(tp.__name__) or {
            str(f.metadata.get("wire", to_camel(f.name))): _sample(f.type)
            for f in attrs.fields(attrs.resolve_types(tp))
        }
    samples = {uuid.UUID: str(uuid.uuid4()), str: "x", int: 1, float: 1.5, bool: True}
    return samples.get(tp, "2016-06-09T04:10:16.787")


_MODELS = sorted(
    name
    for name in oo.__all__
    if isinstance(getattr(oo, name), type)
    and attrs.has(getattr(oo, name))
    and name not in _NOT_WIRE
)


@pytest.mark.parametrize("name", _MODELS)
@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
def test_a_fresh_converter_decodes_every_public_model(name: str, strict: bool) -> None:
    """A converter from make_converter() alone decodes each public model, strict or not."""
    model = getattr(oo, name)
    wire = _sample(model)
    decoded = make_converter(strict=strict).structure(wire, model)
    assert isinstance(decoded, model)
    if name not in _SHAPED:
        again = make_converter().unstructure(decoded)
        assert again.keys() == wire.keys()
        assert make_converter(strict=strict).structure(again, model) == decoded


def test_strict_converter_refuses_unknown_fields_and_enum_values() -> None:
    """The strict converter fails on drift the lenient default lets through."""
    strict, lenient = make_converter(strict=True), make_converter()
    extra = {"onlyonceId": 1, "surprise": True}
    assert lenient.structure(extra, Thing) == Thing(onlyonce_id=1)
    with pytest.raises(cattrs.BaseValidationError) as extra_key:
        strict.structure(extra, Thing)
    assert "surprise" in repr(extra_key.value.exceptions)
    assert not lenient.structure({"onlyonceId": 1, "color": "GREEN"}, Thing).color.is_known  # type: ignore[union-attr]
    with pytest.raises(cattrs.BaseValidationError) as unknown_value:
        strict.structure({"onlyonceId": 1, "color": "GREEN"}, Thing)
    assert "GREEN" in repr(unknown_value.value.exceptions)


@pytest.mark.parametrize(
    "text",
    [
        "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
        "3F2504E0-4F89-41D3-9A0C-0305E82C3301",
        "{3f2504e0-4f89-41d3-9a0c-0305e82c3301}",
        "3f2504e04f8941d39a0c0305e82c3301",
        "urn:uuid:3f2504e0-4f89-41d3-9a0c-0305e82c3301",
    ],
)
def test_uuid_fast_path_equals_uuid(text: str) -> None:
    """A decoded UUID is the same value, hash and text as uuid.UUID() gives."""
    decoded = structure(text, uuid.UUID)
    expected = uuid.UUID(text)
    assert (decoded, hash(decoded), str(decoded)) == (expected, hash(expected), str(expected))
    assert decoded.is_safe is uuid.SafeUUID.unknown


@pytest.mark.parametrize(
    "text",
    [
        "3f2504e0-4f89-41d3-9a0c-0305e82c330_",
        "3f2504e0-4f89-41d3-9a0c-0305e82c33+1",
        "3f2504e0-4f89-41d3-9a0c-0305e82c33 1",
        "3f2504e0-4f89-41d3-9a0c-0305e82c33g1",
        "3f2504e0-4f89-41d3-9a0c-0305e82c3-01",
    ],
)
def test_uuid_fast_path_refuses_what_uuid_refuses(text: str) -> None:
    """Signs, underscores, spaces, non-hex letters and misplaced dashes are decode errors."""
    with pytest.raises(oo.DecodeError):
        structure(text, uuid.UUID)


def test_optional_fields_decode_none_and_values() -> None:
    """A precompiled optional hook gives None for null and the inner type otherwise."""
    assert structure({"onlyonceId": 1, "ownerId": None}, Thing).owner_id is None
    owner = uuid.uuid4()
    assert structure({"onlyonceId": 1, "ownerId": str(owner)}, Thing).owner_id == owner
    with pytest.raises(oo.DecodeError):
        structure({"onlyonceId": 1, "ownerId": 5}, Thing)


@attrs.frozen
class Plain:
    count: int | None = None
    ratio: float | None = None
    flag: bool | None = None
    label: str | None = None
    when: dt.datetime | None = None


class Label(str):
    """A str subclass: a str value, though not exactly of type str."""


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ({}, Plain()),
        ({"count": None, "ratio": None, "flag": None, "label": None}, Plain()),
        ({"count": 3, "ratio": 0.5, "flag": False, "label": "x"}, Plain(3, 0.5, False, "x")),
        ({"ratio": 2}, Plain(ratio=2.0)),  # an integral JSON number in a float field
        ({"label": Label("y")}, Plain(label="y")),
        (
            {"when": "2016-07-20T19:35:40.3"},
            Plain(when=dt.datetime(2016, 7, 20, 19, 35, 40, 300000)),
        ),
    ],
)
def test_optional_plain_fields_take_their_values_as_they_are(
    wire: dict[str, Any], expected: Plain
) -> None:
    """Optional str, int, float, bool and timestamp fields decode null and exact values."""
    decoded = structure(wire, Plain)
    assert decoded == expected
    assert type(decoded.ratio) in (float, type(None))


@pytest.mark.parametrize(
    "wire",
    [{"count": True}, {"count": "3"}, {"count": 1.5}, {"flag": 1}, {"label": 5}, {"ratio": "1"}],
)
def test_optional_plain_fields_refuse_other_types(wire: dict[str, Any]) -> None:
    """A bool is not an int, a number not a string: the shortcut lets nothing else in."""
    with pytest.raises(oo.DecodeError):
        structure(wire, Plain)


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001"),
        (Color.RED, "RED"),
        (dt.datetime(2016, 6, 9, 4, 10, 16), "2016-06-09T04:10:16"),
        (dt.date(2016, 6, 9), "2016-06-09"),
    ],
)
def test_query_values_and_json_bodies_encode_alike(value: Any, wire: str) -> None:
    """A scalar is the same text in a query string and in a JSON body."""
    assert clean_params({"v": value}) == {"v": wire}
    assert encode_json({"v": value}) == json.dumps({"v": wire}, separators=(",", ":")).encode()


def test_json_body_nested_too_deeply_is_a_value_error_not_quoting_it() -> None:
    """A body JSON cannot encode within the recursion limit: ValueError, the body not quoted."""
    body: Any = "secret-password"
    for _ in range(100_000):
        body = [body]
    with pytest.raises(ValueError) as info:
        encode_json(body)
    assert "nested too deeply" in str(info.value)
    assert "secret-password" not in str(info.value) and info.value.__cause__ is None
