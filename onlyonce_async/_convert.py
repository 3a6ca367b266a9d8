"""
The one cattrs converter: camelCase on the wire, snake_case in Python.

Every model is a frozen attrs class; `make_converter` builds a converter whose hook
factories handle all of them (never per-model dict plumbing). A field whose wire name is not
its camelCase form says so with ``metadata={"wire": "onlyOnceId"}``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import re
import sys
import types
import typing
import uuid
from collections.abc import Callable, Iterator
from typing import Any, Final, TypeVar

import attrs
import cattrs
import httpx
from cattrs.cols import is_sequence, list_structure_factory
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ._enums import ApiEnum
from ._errors import DecodeError, api_down_error, is_api_down
from ._wire import FieldData

__all__ = [
    "WIRE",
    "converter",
    "decoding_with",
    "encode_value",
    "make_converter",
    "parse_datetime",
    "structure",
    "to_camel",
    "wire_keys",
    "wire_names",
]

T = TypeVar("T")

#: The metadata key naming a field's wire name when it is not the camelCase of its name.
WIRE = "wire"

_FRACTION = re.compile(r"^(?P<head>[^.]*T\d{2}:\d{2}(?::\d{2})?)(?:\.(?P<frac>\d+))?(?P<tz>.*)$")


#: Whether datetime.fromisoformat takes any ISO 8601 timestamp (1 to 9 fraction digits, Z).
_FROMISOFORMAT_TAKES_ALL: Final = sys.version_info >= (3, 11)


def to_camel(name: str) -> str:
    """``onlyonce_id`` -> ``onlyonceId``."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def parse_datetime(value: Any) -> dt.datetime:
    """
    A timestamp in any of the reference's forms.

    ``2016-06-09T04:10:16.787``, ``2016-07-20T19:35:40.3``, ``2016-06-12T23:59:59``, with or
    without a zone (``Z``, ``+02:00``); an ``int``/``float`` is taken as epoch milliseconds
    (the API's Java serialiser's default). Naive timestamps stay naive: the reference does not
    say which zone they are in.

    Raises:
        ValueError: Not a timestamp.
    """
    if isinstance(value, bool):
        raise TypeError(f"not a timestamp: {value!r}")
    if isinstance(value, (int, float)):
        try:
            return dt.datetime.fromtimestamp(value / 1000, tz=dt.timezone.utc)
        except (OverflowError, OSError) as exc:
            # Out of the platform's range: fromtimestamp says so with OSError/OverflowError.
            raise ValueError(f"timestamp out of range: {value!r}") from exc
    if not isinstance(value, str):
        raise TypeError(f"not a timestamp: {type(value).__name__}")
    if _FROMISOFORMAT_TAKES_ALL:
        # Python 3.11+ reads every form the reference uses as it is, ten times faster than
        # the normalising below (which stays for what it refuses, and for Python 3.10).
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            pass
    text = value.strip()
    match = _FRACTION.match(text)
    if match:
        # Python 3.10's fromisoformat takes only 3 or 6 fraction digits; normalise to 6.
        frac = (match["frac"] or "")[:6].ljust(6, "0") if match["frac"] else ""
        tz = match["tz"]
        if tz in ("Z", "z"):
            tz = "+00:00"
        text = match["head"] + (f".{frac}" if frac else "") + tz
    return dt.datetime.fromisoformat(text)


_new = object.__new__
_set = object.__setattr__
_UNKNOWN_SAFETY = uuid.SafeUUID.unknown


def _structure_uuid(value: Any, _: type) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str):
        raise TypeError(f"not a UUID: {type(value).__name__}")
    digits = value.replace("-", "")
    # The canonical 8-4-4-4-12 form (all the API sends) is built directly: uuid.UUID()
    # spends most of its time on prefixes and braces the API never writes. isascii and
    # isalnum keep out what int() would also take: signs, underscores, spaces, other digits.
    if (
        len(value) == 36
        and len(digits) == 32
        and value[8] == value[13] == value[18] == value[23] == "-"
        and digits.isascii()
        and digits.isalnum()
    ):
        made = _new(uuid.UUID)
        _set(made, "int", int(digits, 16))
        _set(made, "is_safe", _UNKNOWN_SAFETY)
        return made
    return uuid.UUID(value)


def _structure_enum(value: Any, cls: type[ApiEnum]) -> ApiEnum:
    if not isinstance(value, str):
        raise TypeError(f"not a {cls.__name__} string: {type(value).__name__}")
    # A documented value by a dictionary lookup; cls(value) only for aliases and the rest.
    member = cls._value2member_map_.get(value)
    if member is not None:
        return member  # type: ignore[return-value]
    try:
        return cls(value)
    except ValueError:
        return cls.unknown(value)


def _structure_enum_strictly(value: Any, cls: type[ApiEnum]) -> ApiEnum:
    if not isinstance(value, str):
        raise TypeError(f"not a {cls.__name__} string: {type(value).__name__}")
    return cls(value)


def _unstructure_enum(value: Any) -> Any:
    # A field typed as an enumeration may hold its documented value as a plain string (a
    # hand-built ProfileSettings; the endpoint checked the value): it is sent as it is.
    return value.value if isinstance(value, enum.Enum) else value


def _structure_field_data(value: Any, _: Any) -> FieldData:
    if value is None or isinstance(value, (str, dict)):
        return value
    raise TypeError(f"a field value is a string, an object or null, not {type(value).__name__}")


#: The types whose JSON value is the Python value itself (`_optional_factory`'s shortcut).
_PLAIN_JSON_TYPES: Final = (str, int, bool, float)


def _structure_datetime(value: Any, _: type) -> dt.datetime:
    if _FROMISOFORMAT_TAKES_ALL and type(value) is str:
        try:  # parse_datetime's first step, without the call: most fields of every model
            return dt.datetime.fromisoformat(value)
        except ValueError:
            pass
    return parse_datetime(value)


def _structure_str(value: Any, _: type) -> str:
    if isinstance(value, str):
        return value
    raise ValueError(f"expected a string, got {type(value).__name__}")


def _structure_int(value: Any, _: type) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ValueError(f"expected an integer, got {type(value).__name__}")


def _structure_float(value: Any, _: type) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise ValueError(f"expected a number, got {type(value).__name__}")


def _structure_bool(value: Any, _: type) -> bool:
    if isinstance(value, bool):
        return value
    raise ValueError(f"expected a boolean, got {type(value).__name__}")


def _strict_list_factory(
    cl: type[Any], conv: cattrs.BaseConverter
) -> Callable[[Any, type[Any]], Any]:
    # cattrs would happily iterate a string or a dict into a list; the API never means that.
    inner = list_structure_factory(cl, conv)

    def structure_list(value: Any, t: type[Any]) -> Any:
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"expected a list, got {type(value).__name__}")
        return inner(value, t)

    return structure_list


def _wire_name(field: attrs.Attribute[Any]) -> str:
    return str(field.metadata.get(WIRE, to_camel(field.name)))


def wire_keys(model: type[Any]) -> dict[str, str]:
    """
    Each field of a model and its wire name (the key the converter reads and writes).

    Args:
        model: An attrs model of the SDK.

    Returns:
        ``{field name: camelCase (or metadata["wire"]) name}``, in field order.
    """
    return {field.name: _wire_name(field) for field in attrs.fields(model)}


def wire_names(model: type[Any]) -> frozenset[str]:
    """
    The wire names of a model's fields (what the converter reads and writes).

    Args:
        model: An attrs model of the SDK.

    Returns:
        Each field's camelCase (or ``metadata["wire"]``) name.
    """
    return frozenset(wire_keys(model).values())


def _optional_inner(t: Any) -> Any:
    """``X`` of ``X | None`` (exactly one other member), else ``None``."""
    if typing.get_origin(t) not in (typing.Union, types.UnionType):
        return None
    members = [m for m in typing.get_args(t) if m is not type(None)]
    if len(members) != 1 or len(typing.get_args(t)) != 2:
        return None
    return members[0]


def _optional_factory(t: Any, conv: cattrs.BaseConverter) -> Callable[[Any, type[Any]], Any]:
    # cattrs' own Optional handler looks the inner hook up on every call (29 % of a page's
    # decode); the inner hook is looked up once here instead.
    inner_type = _optional_inner(t)
    inner = conv.get_structure_hook(inner_type)
    if inner_type in _PLAIN_JSON_TYPES:
        # A JSON value already of the exact type (or null) is the value itself: one call
        # per field instead of two (str, int and bool fields are most of every model).
        def structure_plain(value: Any, _: type[Any]) -> Any:
            if value is None or type(value) is inner_type:
                return value
            return inner(value, inner_type)

        return structure_plain

    def structure_optional(value: Any, _: type[Any]) -> Any:
        return None if value is None else inner(value, inner_type)

    return structure_optional


def _from_wire_model(t: Any) -> Any:
    """The class whose ``__from_wire__`` decodes ``t`` (``t``, or a generic's origin), or None."""
    origin = typing.get_origin(t) or t
    return origin if isinstance(origin, type) and hasattr(origin, "__from_wire__") else None


def _wire_hook_factory(t: Any, conv: cattrs.BaseConverter) -> Callable[[Any, type[Any]], Any]:
    from_wire = _from_wire_model(t).__from_wire__
    # A generic model (PageBody[Profile]) gets its type arguments after the converter.
    args = typing.get_args(t)

    def structure_wire(value: Any, _: type[Any]) -> Any:
        return from_wire(value, conv, *args)

    return structure_wire


def make_converter(*, strict: bool = False) -> cattrs.Converter:
    """
    A new, complete converter for the API: camelCase keys, UUIDs, timestamps, enums.

    Every hook the SDK needs is registered here, so this converter alone decodes every
    public model and encodes every request body. A model whose wire shape is not a plain
    object of its fields says so with a ``__from_wire__(value, converter)`` class method
    (a generic model's also gets its type arguments: ``(value, converter, *args)``).
    Structuring is strict about types (a string where an int belongs is an error, not a
    coercion).

    Args:
        strict: Also refuse unknown keys and unknown enumeration values (the end-to-end
            tests decode the sandbox's answers this way, so drift fails). By default
            unknown keys are ignored and unknown enum values become pseudo-members
            (see `ApiEnum`).

    Returns:
        The converter.
    """
    conv = cattrs.Converter(forbid_extra_keys=strict)
    conv.register_structure_hook(uuid.UUID, _structure_uuid)
    conv.register_unstructure_hook(uuid.UUID, str)
    conv.register_structure_hook(dt.datetime, _structure_datetime)
    conv.register_unstructure_hook(dt.datetime, lambda d: d.isoformat())
    conv.register_unstructure_hook(dt.date, lambda d: d.isoformat())
    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(float, _structure_float)
    conv.register_structure_hook(bool, _structure_bool)
    conv.register_structure_hook(FieldData, _structure_field_data)
    # By class: ApiEnum precedes str in every API enum's MRO, so this hook wins for them.
    conv.register_structure_hook(ApiEnum, _structure_enum_strictly if strict else _structure_enum)
    conv.register_structure_hook_factory(is_sequence, _strict_list_factory)
    conv.register_unstructure_hook(enum.Enum, lambda e: e.value)
    conv.register_unstructure_hook(ApiEnum, _unstructure_enum)

    def structure_factory(cls: type[Any]) -> Callable[[Any, type[Any]], Any]:
        overrides = {f.name: override(rename=_wire_name(f)) for f in attrs.fields(cls)}
        inner = make_dict_structure_fn(
            cls,
            conv,
            _cattrs_forbid_extra_keys=strict,
            **overrides,  # type: ignore[arg-type]
        )

        def structure_object(value: Any, t: type[Any]) -> Any:
            # A model whose fields are all optional would otherwise "decode" from a string.
            if not isinstance(value, dict):
                raise TypeError(f"expected an object, got {type(value).__name__}")
            return inner(value, t)

        return structure_object

    def unstructure_factory(cls: type[Any]) -> Callable[[Any], Any]:
        overrides = {
            f.name: override(rename=_wire_name(f), omit_if_default=True) for f in attrs.fields(cls)
        }
        return make_dict_unstructure_fn(cls, conv, **overrides)  # type: ignore[arg-type]

    conv.register_structure_hook_factory(attrs.has, structure_factory)
    conv.register_unstructure_hook_factory(attrs.has, unstructure_factory)
    # Registered last, so they take precedence over the general factories above.
    conv.register_structure_hook_factory(
        lambda t: _optional_inner(t) is not None, _optional_factory
    )
    conv.register_structure_hook_factory(
        lambda t: _from_wire_model(t) is not None, _wire_hook_factory
    )
    return conv


#: The converter every module of the SDK uses (lenient: DESIGN §2.5).
converter = make_converter()
_active = converter


@contextlib.contextmanager
def decoding_with(conv: cattrs.Converter) -> Iterator[None]:
    """
    Decode every response with ``conv`` until the block ends (the end-to-end tests use a
    strict converter this way).

    Args:
        conv: A converter from `make_converter`.
    """
    global _active
    previous, _active = _active, conv
    try:
        yield
    finally:
        _active = previous


def encode_value(value: Any) -> Any:
    """
    A query value or JSON scalar as the API expects it, by the converter's rules.

    UUIDs, datetimes and enumerations become strings, a request body (an attrs class) its
    camelCase object; booleans ``"true"``/``"false"`` in a
    query are the URL layer's concern. Anything else is returned unchanged.

    Args:
        value: The value to encode.

    Returns:
        Its wire form.
    """
    if isinstance(value, (uuid.UUID, dt.date, enum.Enum)) or attrs.has(type(value)):
        return converter.unstructure(value)
    return value


_STRUCTURE_ERRORS = (
    cattrs.BaseValidationError,
    ValueError,
    TypeError,
    KeyError,
    AttributeError,
    RecursionError,
    OverflowError,
)


def structure(data: Any, cl: type[T], *, response: httpx.Response | None = None) -> T:
    """
    ``converter.structure(data, cl)``, with any failure turned into `DecodeError`.

    A body that is not a ``cl`` but the API's report that it is down (``{"status": 500,
    "reason": "API DOWN"}``, which ``GET /heartbeat`` may send with a 2xx) raises
    `ApiDownError` instead.

    Raises:
        DecodeError: ``data`` is not of the documented shape.
        ApiDownError: ``data`` is the API's "API DOWN" report (with ``response`` only).
    """
    try:
        return _active.structure(data, cl)
    except _STRUCTURE_ERRORS as exc:
        if response is not None and is_api_down(data):
            raise api_down_error(response, data) from exc
        name = getattr(typing.get_origin(cl) or cl, "__name__", str(cl))
        raise DecodeError(
            f"response is not a valid {name}: {_summary(exc)}", response=response
        ) from exc


def _summary(exc: BaseException) -> str:
    if isinstance(exc, cattrs.BaseValidationError):
        leaves = list(exc.exceptions)[:3]
        return "; ".join(_summary(e) for e in leaves) or str(exc)
    text = str(exc) or type(exc).__name__
    return text[:200]
