"""
The JSON objects the sandbox answers with, keyed by the SDK's own models.

A `Shape` renders one model: the sandbox passes each member by the model's Python field
name, and the key written is the wire name the SDK's one converter reads for that field
(`wire_keys`). A field renamed, added or removed on either side makes the render fail
loudly instead of letting the sandbox and the SDK drift apart. The values stay the
sandbox's own (timestamps in the API's millisecond form, ``null`` members written out), so
the bytes on the wire are those the API reference shows.
"""

from __future__ import annotations

from typing import Any

from .._convert import wire_keys

__all__ = ["Shape"]


class Shape:
    """
    Renders an SDK model's JSON object from members named as the model's fields.

    Args:
        model: The SDK's attrs model of the object.
        partial: Whether a render may leave fields out (an object the API sends in
            several forms, such as an activity); by default every field is written.
    """

    __slots__ = ("_keys", "_model", "_partial")

    def __init__(self, model: type[Any], *, partial: bool = False) -> None:
        self._model = model
        self._keys = wire_keys(model)
        self._partial = partial

    def __repr__(self) -> str:
        return f"<Shape of {self._model.__name__}>"

    def key(self, name: str) -> str:
        """
        The wire name of one field.

        Args:
            name: The model's field name.

        Returns:
            The key it is written under.

        Raises:
            KeyError: The model has no such field.
        """
        return self._keys[name]

    def __call__(self, **members: Any) -> dict[str, Any]:
        """
        The JSON object: each member under its wire name, in the order given.

        Args:
            **members: The values, by the model's field names.

        Returns:
            The object.

        Raises:
            TypeError: A member the model does not have, or (unless ``partial``) a field
                left out.
        """
        keys = self._keys
        given = members.keys()
        if given != keys.keys() and not (self._partial and given <= keys.keys()):
            unknown = sorted(given - keys.keys())
            missing = [] if self._partial else sorted(keys.keys() - given)
            raise TypeError(
                f"the sandbox renders a {self._model.__name__} with members {unknown} the "
                f"SDK model lacks and without its fields {missing}"
            )
        return {keys[name]: value for name, value in members.items()}
