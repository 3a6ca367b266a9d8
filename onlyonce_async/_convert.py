"""
The one cattrs converter: camelCase on the wire, snake_case in Python.

Every model is a frozen attrs class; `make_converter` builds a converter whose hook
factories handle all of them (never per-model dict plumbing). A field whose wire name is not
its camelCase form says so with ``metadata={"wire": "onlyOnceId"}``.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import attrs
import cattrs
import httpx
from cattrs.cols import is_sequence, list_structure_factory
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ._enums import ApiEnum
from ._errors import DecodeError

__all__ = ["WIRE", "converter", "make_converter", "parse_datetime", "structure", "to_camel"]

T = TypeVar("T")

#: The metadata key naming a field's wire name when it is not the camelCase of its name.
WIRE = "wire"

_FRACTION = re.compile(r"^(?P<head>[^.]*T\d{2}:\d{2}(?::\d{2})?)(?:\.(?P<frac>\d+))?(?P<tz>.*)$")


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


def _structure_uuid(value: Any, _: type) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str):
        raise TypeError(f"not a UUID: {type(value).__name__}")
    return uuid.UUID(value)


def _structure_enum(value: Any, cls: type[ApiEnum]) -> ApiEnum:
    if not isinstance(value, str):
        raise TypeError(f"not a {cls.__name__} string: {type(value).__name__}")
    try:
        return cls(value)
    except ValueError:
        return cls.unknown(value)


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


def make_converter() -> cattrs.Converter:
    """
    A new converter configured for the API: camelCase keys, UUIDs, timestamps, enums.

    Structuring is strict about types (a string where an int belongs is an error, not a
    coercion) and ignores unknown keys; unknown enum values become pseudo-members
    (see `ApiEnum`).
    """
    conv = cattrs.Converter(forbid_extra_keys=False)
    conv.register_structure_hook(uuid.UUID, _structure_uuid)
    conv.register_unstructure_hook(uuid.UUID, str)
    conv.register_structure_hook(dt.datetime, lambda v, _: parse_datetime(v))
    conv.register_unstructure_hook(dt.datetime, lambda d: d.isoformat())
    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(float, _structure_float)
    conv.register_structure_hook(bool, _structure_bool)
    # By class: ApiEnum precedes str in every API enum's MRO, so this hook wins for them.
    conv.register_structure_hook(ApiEnum, _structure_enum)
    conv.register_structure_hook_factory(is_sequence, _strict_list_factory)
    conv.register_unstructure_hook(enum.Enum, lambda e: e.value)
    conv.register_unstructure_hook(ApiEnum, lambda e: e.value)

    def structure_factory(cls: type[Any]) -> Callable[[Any, type[Any]], Any]:
        overrides = {f.name: override(rename=_wire_name(f)) for f in attrs.fields(cls)}
        inner = make_dict_structure_fn(cls, conv, **overrides)  # type: ignore[arg-type]

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
    return conv


#: The converter every module of the SDK uses.
converter = make_converter()

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

    Raises:
        DecodeError: ``data`` is not of the documented shape.
    """
    try:
        return converter.structure(data, cl)
    except _STRUCTURE_ERRORS as exc:
        name = getattr(cl, "__name__", str(cl))
        raise DecodeError(
            f"response is not a valid {name}: {_summary(exc)}", response=response
        ) from exc


def _summary(exc: BaseException) -> str:
    if isinstance(exc, cattrs.BaseValidationError):
        leaves = list(exc.exceptions)[:3]
        return "; ".join(_summary(e) for e in leaves) or str(exc)
    text = str(exc) or type(exc).__name__
    return text[:200]
