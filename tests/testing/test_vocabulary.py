"""
One wire vocabulary: neither the sandbox nor the SDK spells an enumeration value itself.

Every wire value of an enumeration is written once, in ``onlyonce_async/_wire.py``; the
sandbox's validators, state and renderers and the SDK's endpoints use its members. A string
literal equal to one of those values anywhere else is a second spelling that could drift.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import onlyonce_async
from onlyonce_async._wire import ENUMERATIONS, PROFILE_SCOPE_ALIASES

PACKAGE = Path(onlyonce_async.__file__).parent
#: Every wire value of every enumeration, and the reference's misspellings the API accepts.
WIRE_VALUES = frozenset(
    member.value for enumeration in ENUMERATIONS for member in enumeration
) | frozenset(PROFILE_SCOPE_ALIASES)


def _spelled_values(path: Path) -> list[str]:
    """Each string literal of a module that is an enumeration's wire value, with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{path.name}:{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value in WIRE_VALUES
    ]


@pytest.mark.parametrize(
    "module",
    sorted(p for p in PACKAGE.rglob("*.py") if p.name != "_wire.py"),
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_no_enumeration_value_is_spelled_outside_the_vocabulary(module: Path) -> None:
    """No module but _wire.py writes an enumeration value as a string literal."""
    assert _spelled_values(module) == []


def test_the_check_sees_a_spelled_value(tmp_path: Path) -> None:
    """The scan finds a literal status, channel and alias (so the test above can fail)."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        'if status == "ACCEPTED":\n    field = "communication_email1_field"\n'
        'aliases = {"CONNETIONS": "CONNECTIONS"}\n',
        encoding="utf-8",
    )
    assert _spelled_values(probe) == [
        "probe.py:1: 'ACCEPTED'",
        "probe.py:2: 'communication_email1_field'",
        "probe.py:3: 'CONNETIONS'",
        "probe.py:3: 'CONNECTIONS'",
    ]
