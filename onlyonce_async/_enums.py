"""
The base of every enumeration the API uses: strict for arguments, lenient for responses.
"""

from __future__ import annotations

import enum
from typing import Any, TypeVar

__all__ = ["ApiEnum", "coerce_enum"]

E = TypeVar("E", bound="ApiEnum")


class ApiEnum(str, enum.Enum):
    """
    A string enumeration of the API.

    Members compare equal to their wire strings. When a response carries a value this
    version of the SDK does not know, decoding does not fail: it yields a *pseudo-member*
    whose ``value`` is the string received, whose ``name`` is ``"UNKNOWN"`` and whose
    `is_known` is ``False``. Pseudo-members are never accepted as arguments.
    """

    @classmethod
    def unknown(cls: type[E], value: str) -> E:
        """
        A pseudo-member standing for a ``value`` the API sent that this class does not list.

        Args:
            value: The value as the API sent it.
        """
        member = str.__new__(cls, value)
        member._name_ = "UNKNOWN"
        member._value_ = value
        return member

    @property
    def is_known(self) -> bool:
        """
        Whether this member is one the SDK knows (``False`` for a pseudo-member).
        """
        return self._name_ in type(self).__members__

    def __str__(self) -> str:
        return str(self.value)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}.{self._name_}: {self._value_!r}>"


def coerce_enum(cls: type[E], value: Any, *, name: str) -> E:
    """
    An argument given as a member or its documented string, checked strictly.

    Raises:
        TypeError: ``value`` is neither a member nor a string.
        ValueError: ``value`` is not one of ``cls``'s documented values.
    """
    if isinstance(value, cls):
        if not value.is_known:
            raise ValueError(f"{name}: {value.value!r} is not a known {cls.__name__}")
        return value
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a {cls.__name__} or str, not {type(value).__name__}")
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(m.value for m in cls)
        raise ValueError(f"{name} must be one of {allowed}; got {value!r}") from None
