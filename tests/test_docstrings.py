"""
The public API documents its parameters: every public method with parameters has an
``Args:`` section naming each of them, so ``help()`` and the API reference explain them.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import anyio
import attrs
import httpx
import pytest

from onlyonce_async import Client

PUBLIC_MODULES = ("onlyonce_async", "onlyonce_async.testing", "onlyonce_async.redis")

_SECTION = re.compile(r"^(?P<indent>\s*)(?P<name>[A-Z][A-Za-z ]*):\s*$")
_ENTRY = re.compile(r"^\s*\**(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*(\([^)]*\))?:")


def _section(doc: str | None, title: str) -> set[str] | None:
    """The names documented in a Google-style section, or None without that section."""
    lines = inspect.cleandoc(doc or "").splitlines()
    for i, line in enumerate(lines):
        match = _SECTION.match(line)
        if not match or match["name"] != title:
            continue
        indent = len(match["indent"])
        names: set[str] = set()
        entry_indent: int | None = None
        for body in lines[i + 1 :]:
            if not body.strip():
                continue
            depth = len(body) - len(body.lstrip())
            if depth <= indent:
                break
            if entry_indent is None:
                entry_indent = depth
            if depth == entry_indent and (entry := _ENTRY.match(body)):
                names.add(entry["name"])
        return names
    return None


def _parameters(function: Callable[..., Any]) -> list[str]:
    signature = inspect.signature(function)
    return [name for name in signature.parameters if name not in ("self", "cls")]


def _own_function(cls: type, name: str) -> Callable[..., Any] | None:
    """The plain function behind ``cls.name`` as the package defines it, else None."""
    for klass in cls.__mro__:
        if not klass.__module__.startswith("onlyonce_async"):
            continue
        if name in vars(klass):
            raw = vars(klass)[name]
            if isinstance(raw, (staticmethod, classmethod)):
                raw = raw.__func__
            return raw if inspect.isfunction(raw) else None
    return None


def _public_classes_and_functions() -> Iterator[tuple[str, Any]]:
    for module_name in PUBLIC_MODULES:
        module: ModuleType = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if (inspect.isclass(obj) or inspect.isfunction(obj)) and obj.__module__.startswith(
                "onlyonce_async"
            ):
                yield name, obj


def _namespace_classes() -> set[type]:
    """The classes behind ``client.<namespace>`` (``client.profiles``, ...)."""
    client = Client(transport=httpx.MockTransport(lambda request: httpx.Response(500)))
    try:
        return {
            type(value)
            for name, value in vars(client).items()
            if not name.startswith("_") and type(value).__module__.startswith("onlyonce_async")
        }
    finally:
        anyio.run(client.aclose)


def _protocol_args(protocol: type, cls: type, name: str) -> set[str]:
    """
    The Args of ``protocol.name`` when ``cls`` implements ``protocol`` (it has every member):
    an implementation of a public protocol is documented by the protocol, as in the reference.
    """
    members = [m for m in vars(protocol) if not m.startswith("_")]
    if cls is protocol or name not in members or not all(hasattr(cls, m) for m in members):
        return set()
    return _section(getattr(protocol, name).__doc__, "Args") or set()


def _undocumented() -> dict[str, list[str]]:
    """Each public callable with parameters its docstring does not name, by qualified name."""
    missing: dict[str, list[str]] = {}
    classes: dict[str, type] = {}
    for name, obj in _public_classes_and_functions():
        if inspect.isfunction(obj):
            documented = _section(obj.__doc__, "Args") or set()
            if gaps := [p for p in _parameters(obj) if p not in documented]:
                missing[name] = gaps
        else:
            classes[obj.__qualname__] = obj
    for cls in _namespace_classes():
        classes.setdefault(cls.__qualname__, cls)
    protocols = [cls for cls in classes.values() if getattr(cls, "_is_protocol", False)]
    for qualname, cls in classes.items():
        if issubclass(cls, BaseException):
            continue  # raised by the SDK, not built by callers; documented by Attributes:
        if attrs.has(cls):
            # The constructor's parameters are the fields (by their aliases), documented as
            # Attributes (an inherited field where its class documents it).
            fields = [
                field.alias
                for field in attrs.fields(cls)
                if field.init and not field.alias.startswith("_")  # private: the SDK's own
            ]
            documented = set().union(
                *(_section(k.__doc__, "Attributes") or set() for k in cls.__mro__ if attrs.has(k))
            )
            if gaps := [f for f in fields if f not in documented]:
                missing[qualname] = gaps
        elif not getattr(cls, "_is_protocol", False):  # a Protocol has no constructor
            init = _own_function(cls, "__init__")
            if init is not None and _parameters(init):
                documented = (_section(cls.__doc__, "Args") or set()) | (
                    _section(init.__doc__, "Args") or set()
                )
                if gaps := [p for p in _parameters(init) if p not in documented]:
                    missing[qualname] = gaps
        for attribute in dir(cls):
            if attribute.startswith("_"):
                continue
            function = _own_function(cls, attribute)
            if function is None or not _parameters(function):
                continue
            documented = (_section(function.__doc__, "Args") or set()).union(
                *(_protocol_args(protocol, cls, attribute) for protocol in protocols)
            )
            if gaps := [p for p in _parameters(function) if p not in documented]:
                missing[f"{qualname}.{attribute}"] = gaps
    return missing


def test_every_public_method_documents_its_parameters() -> None:
    """A public method, function or constructor with parameters names each under Args:."""
    missing = _undocumented()
    assert missing == {}, f"document these parameters in an Args: section: {missing}"


def test_the_check_sees_a_missing_args_section() -> None:
    """The check reports a method without Args:, and one whose Args: skips a parameter."""

    def none(a: int) -> None:
        """Summary only."""

    def partial(a: int, *, b: int, **options: Any) -> None:
        """
        Summary.

        Args:
            a: The first.
                A continuation line that looks like b: is not an entry.
            **options: More.
        """

    assert _section(none.__doc__, "Args") is None
    documented = _section(partial.__doc__, "Args") or set()
    assert [p for p in _parameters(partial) if p not in documented] == ["b"]


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("onlyonce_async.redis", id="redis"),
        pytest.param("onlyonce_async.testing", id="testing"),
        pytest.param("onlyonce_async", id="package"),
    ],
)
def test_module_docstrings_stay_short(name: str) -> None:
    """Rationale lives in the docs site: a public module's docstring is a short summary."""
    doc = importlib.import_module(name).__doc__ or ""
    assert len(inspect.cleandoc(doc).splitlines()) <= 15
