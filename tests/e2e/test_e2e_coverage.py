"""
Every public typed method has an end-to-end test: a method added without one fails here.
"""

from __future__ import annotations

import inspect
import pathlib
import re

from onlyonce_async import Client
from onlyonce_async._client import NAMESPACES

HERE = pathlib.Path(__file__).parent
CLIENT_METHODS = ("consolidated", "heartbeat")


def _public_methods() -> list[str]:
    names = [f"client.{name}" for name in CLIENT_METHODS]
    for namespace in NAMESPACES:
        area = type(getattr(Client(), namespace))
        for name, _ in inspect.getmembers(area, inspect.isfunction):
            if not name.startswith("_"):
                names.append(f"{namespace}.{name}")
    return names


def _e2e_sources() -> str:
    return "\n".join(
        path.read_text(encoding="utf-8")
        for path in sorted(HERE.glob("test_e2e_*.py"))
        if path.name != pathlib.Path(__file__).name
    )


def _missing(qualified_names: list[str], sources: str) -> list[str]:
    missing = []
    for qualified in qualified_names:
        namespace, name = qualified.split(".")
        pattern = rf"\.{name}\(" if namespace == "client" else rf"\.{namespace}\.{name}\b"
        if not re.search(pattern, sources):
            missing.append(qualified)
    return missing


def test_every_typed_method_is_called_in_an_e2e_test() -> None:
    """Each namespace method (and client.consolidated/heartbeat) is called in tests/e2e."""
    assert _missing(_public_methods(), _e2e_sources()) == []


def test_the_textual_check_catches_a_missing_method() -> None:
    """A method only named as a prefix of another (share vs share_many) counts as missing."""
    sources = "await client.network.share_many(x)\nawait client.heartbeat()"
    assert _missing(["network.share", "network.share_many", "client.heartbeat"], sources) == [
        "network.share"
    ]


def test_the_method_list_is_complete() -> None:
    """The collected list holds every namespace and the client-level methods (no silent gap)."""
    names = _public_methods()
    assert {n.split(".")[0] for n in names} == {"client", *NAMESPACES}
    assert all(callable(getattr(Client, name)) for name in CLIENT_METHODS)
    assert len(names) >= 49
