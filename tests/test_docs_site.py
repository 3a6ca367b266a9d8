"""
The documentation site's API reference covers the public API: every name a user can import
from ``onlyonce_async``, ``onlyonce_async.testing`` and ``onlyonce_async.redis`` has its
entry, and every entry names something that exists. (``nox -s docs`` builds the site.)
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

REFERENCE = Path(__file__).resolve().parent.parent / "docs" / "reference"
PUBLIC_MODULES = (
    "onlyonce_async",
    "onlyonce_async.testing",
    "onlyonce_async.redis",
    "onlyonce_async.otel",
)
_DIRECTIVE = re.compile(r"^:::\s+(?P<identifier>\S+)\s*$", re.MULTILINE)


def _documented() -> dict[str, Path]:
    """Each identifier rendered by a ``::: identifier`` line, and the page holding it."""
    found: dict[str, Path] = {}
    for page in sorted(REFERENCE.glob("*.md")):
        for match in _DIRECTIVE.finditer(page.read_text(encoding="utf-8")):
            found[match["identifier"]] = page
    return found


def _resolve(identifier: str) -> object:
    module_name, _, name = identifier.rpartition(".")
    return getattr(importlib.import_module(module_name), name)


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_every_public_name_has_a_reference_entry(module_name: str) -> None:
    """A name added to a public ``__all__`` needs a ``::: module.name`` line in docs/reference."""
    documented = _documented()
    # A class re-exported by a second module (redis's RateLimiterUnavailableError) is
    # documented once, under its first home.
    classes = {id(obj) for obj in map(_resolve, documented) if isinstance(obj, type)}
    module = importlib.import_module(module_name)
    missing = [
        name
        for name in module.__all__
        if f"{module_name}.{name}" not in documented
        and not (isinstance(getattr(module, name), type) and id(getattr(module, name)) in classes)
    ]
    assert missing == [], f"add '::: {module_name}.NAME' to a page in {REFERENCE}: {missing}"


def test_every_reference_entry_names_a_public_object() -> None:
    """Each ``::: module.name`` entry names a public module and a name in its ``__all__``."""
    wrong = []
    for identifier, page in _documented().items():
        module_name, _, name = identifier.rpartition(".")
        if module_name not in PUBLIC_MODULES:
            wrong.append((page.name, identifier))
            continue
        if name not in importlib.import_module(module_name).__all__:
            wrong.append((page.name, identifier))
    assert wrong == []


def test_the_reference_pages_exist() -> None:
    """The reference is where the tests above look (a moved folder must not pass vacuously)."""
    assert len(_documented()) >= 90
