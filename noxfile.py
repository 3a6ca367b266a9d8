"""
Every developer task: ``nox -s tests``, ``lint``, ``typecheck``, ``demo``, ``bench``.

pyproject.toml is the single source of truth for dependencies; nox only installs from it.
"""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True
nox.options.default_venv_backend = "venv"

PYTHON = ["3.11"]
DEV = nox.project.dependency_groups(nox.project.load_toml("pyproject.toml"), "dev")


def _install(session: nox.Session, extras: str = "redis,testing,progress") -> None:
    session.install("-e", f".[{extras}]", *DEV)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run the whole test suite (asyncio and trio)."""
    _install(session)
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff: lint and formatting."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package and the tests."""
    _install(session)
    session.run("mypy")


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """The main job: bulk card sharing against the embedded sandbox."""
    _install(session, "testing,progress")
    session.run("python", "examples/bulk_share.py", *session.posargs)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks: ratios side by side in one run, printed as tables."""
    _install(session)
    session.run("python", "-m", "benchmarks", *session.posargs)
