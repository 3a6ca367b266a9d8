"""
The noxfile: the Python matrix comes from the classifiers, and tools from the dev group.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nox

import noxfile

ROOT = Path(__file__).resolve().parents[1]


def test_matrix_is_the_classifiers_versions() -> None:
    """The tests sessions cover exactly the Python versions the classifiers name."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    versions = re.findall(r'"Programming Language :: Python :: (3\.\d+)"', text)
    assert versions == noxfile.PYTHONS
    assert "{}.{}".format(*sys.version_info) in versions


def test_interpreter_detection() -> None:
    """The running Python counts as installed; a version nobody has does not, so missing
    ones are skipped here (the running one is in the matrix) instead of failing."""
    assert noxfile._installed("{}.{}".format(*sys.version_info))
    assert not noxfile._installed("2.1")
    assert nox.options.error_on_missing_interpreters is False


def test_tools_come_from_the_dev_group() -> None:
    """ruff, mypy and coverage are installed as the dev dependency group pins them."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    group = text[text.index("[dependency-groups]") :]
    for name in ("ruff", "mypy", "coverage"):
        assert f'"{noxfile._dev(name)}"' in group
        assert noxfile._dev(name).startswith(name)
