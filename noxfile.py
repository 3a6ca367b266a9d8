"""
Every developer task: ``nox -s tests``, ``lint``, ``typecheck``, ``demo``, ``bench``, ``docs``.

pyproject.toml is the single source of truth for dependencies; nox only installs from it.
"""

from __future__ import annotations

import os
import shutil

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True
nox.options.default_venv_backend = "venv"

DEV = nox.project.dependency_groups(nox.project.load_toml("pyproject.toml"), "dev")
DOCS = nox.project.dependency_groups(nox.project.load_toml("pyproject.toml"), "docs")


def _install(
    session: nox.Session, extras: str = "redis,testing,progress", dev: bool = True
) -> None:
    session.install("-e", f".[{extras}]", *(DEV if dev else ()))


def _ensure_redis_server(session: nox.Session) -> None:
    """The Redis limiter tests start a real redis-server; install it when we can."""
    if shutil.which("redis-server"):
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        session.run("apt-get", "update", "-qq", external=True)
        session.run("apt-get", "install", "-y", "-qq", "redis-server", external=True)
    else:
        session.warn(
            "redis-server is not installed and cannot be installed automatically here; "
            "the Redis limiter tests will fail until it is (e.g. apt-get install redis-server)"
        )


@nox.session
def tests(session: nox.Session) -> None:
    """Run the whole test suite (asyncio and trio)."""
    _ensure_redis_server(session)
    _install(session)
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint and formatting."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package and the tests."""
    _install(session)
    session.run("mypy")


@nox.session
def demo(session: nox.Session) -> None:
    """The main job: bulk card sharing against the embedded sandbox."""
    _install(session, "testing,progress", dev=False)
    session.run("python", "examples/bulk_share.py", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks: ratios side by side in one run, printed as tables."""
    _install(session)
    session.run("python", "-m", "benchmarks", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site into site/ (strict: any warning fails the build)."""
    # mkdocstrings reads the package's source statically: only the docs tools are needed.
    session.install(*DOCS)
    session.run("mkdocs", "build", "--strict", env={"NO_MKDOCS_2_WARNING": "1"})
