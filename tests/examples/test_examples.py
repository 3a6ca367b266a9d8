"""
Every example runs: as a subprocess, against the embedded sandbox (no ONLYONCE_* set).

Examples are found by globbing, so a new one is run without touching this file. Some have
tests of their own: ``test_my_app.py`` is run by pytest here, ``web_service.py`` by
``test_web_service.py``, ``bulk_share.py`` and ``bulk_share_workers.py`` by
``test_bulk_share.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
#: Examples that are not scripts run to completion, each tested on its own.
OWN_TESTS = {"test_my_app.py", "web_service.py", "bulk_share.py", "bulk_share_workers.py"}
TIMEOUT = 60


def example_env() -> dict[str, str]:
    """The environment of an example run: the worktree's package, no Only Once settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONLYONCE_")}
    env.pop("REDIS_URL", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


SCRIPTS = [p for p in sorted(EXAMPLES.glob("*.py")) if p.name not in OWN_TESTS]


def test_examples_are_found() -> None:
    """The glob finds the scripts, and the specially tested examples exist."""
    assert {"quickstart.py", "custom_endpoint.py", "error_handling.py", "files.py"} <= {
        p.name for p in SCRIPTS
    }
    assert all((EXAMPLES / name).is_file() for name in OWN_TESTS)


@pytest.mark.parametrize("script", [pytest.param(p, id=p.name) for p in SCRIPTS])
def test_example_runs(script: Path) -> None:
    """The example exits 0 against the sandbox and prints what it does."""
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=ROOT,
        env=example_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip()


def test_example_docstrings() -> None:
    """Every example opens with a docstring saying how to run it."""
    for path in sorted(EXAMPLES.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert text.startswith('"""'), path.name
        docstring = text.split('"""', 2)[1]
        assert "Run" in docstring or "run" in docstring, path.name


def _run_my_app_tests(env: dict[str, str], *plugins: str) -> subprocess.CompletedProcess[str]:
    """The README's ``pytest examples/test_my_app.py``, from the repository root."""
    options = [arg for plugin in plugins for arg in ("-p", plugin)]
    return subprocess.run(
        [sys.executable, "-m", "pytest", *options, "examples/test_my_app.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def test_my_app_example_passes_with_only_what_the_readme_installs() -> None:
    """With only pytest and anyio's plugin (what ``pip install '.[testing]' pytest`` brings),
    the README's command passes: the repository's strict config, which names pytest-asyncio's
    options, does not apply to it."""
    # Plugin autoloading off, anyio's loaded by hand: exactly that user's plugins, whatever
    # else this environment holds (pytest-asyncio, hypothesis).
    env = example_env() | {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    result = _run_my_app_tests(env, "anyio", "no:cacheprovider")
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout and "Unknown config option" not in result.stderr


def test_my_app_example_passes_with_the_dev_plugins() -> None:
    """The same command passes in a development environment, every plugin loaded."""
    result = _run_my_app_tests(example_env(), "no:cacheprovider")
    assert result.returncode == 0, result.stdout + result.stderr
