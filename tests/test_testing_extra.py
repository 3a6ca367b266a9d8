"""
Without the ``testing`` extra, the sandbox and the examples say which extra to install.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HINT = "pip install 'onlyonce-async[testing]'"


def _run_without(module: str, code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter where ``module`` cannot be imported."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    # A None entry in sys.modules makes the import fail as if the module were not installed.
    prologue = f"import sys; sys.modules[{module!r}] = None\n"
    return subprocess.run(
        [sys.executable, "-c", prologue + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("missing", ["starlette", "uvicorn"])
@pytest.mark.parametrize(
    "code",
    [
        pytest.param("import onlyonce_async.testing", id="import"),
        pytest.param("import onlyonce_async.testing.pytest_plugin", id="pytest-plugin"),
        pytest.param(
            "import runpy; runpy.run_path('examples/quickstart.py', run_name='__main__')",
            id="example",
        ),
    ],
)
def test_missing_extra_names_the_extra(missing: str, code: str) -> None:
    """The error's last line names the missing package and the extra that brings it."""
    result = _run_without(missing, code)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ModuleNotFoundError: onlyonce_async.testing needs the 'testing'")
    assert f"({missing} is not installed)" in last and HINT in last


def test_the_sdk_itself_needs_no_extra() -> None:
    """The SDK, a client and its calls import without the testing extra."""
    result = _run_without("starlette", "import onlyonce_async; onlyonce_async.Client")
    assert result.returncode == 0, result.stderr
