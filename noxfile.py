"""
Every developer task: ``nox -s tests``, ``lint``, ``typecheck``, ``demo``, ``bench``, ``docs``.

pyproject.toml is the single source of truth for dependencies and for the Python versions
(its classifiers); nox only installs from it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True
nox.options.default_venv_backend = "venv"

PYPROJECT = nox.project.load_toml("pyproject.toml")
DEV = nox.project.dependency_groups(PYPROJECT, "dev")
DOCS = nox.project.dependency_groups(PYPROJECT, "docs")
#: Every Python the classifiers name: the ``tests`` matrix.
PYTHONS = nox.project.python_versions(PYPROJECT)


def _installed(version: str) -> bool:
    """
    Whether an interpreter for ``version`` runs: the one running nox, or pythonX.Y on PATH.

    Running it matters: PATH may hold a shim (pyenv's) for a version that is not active.
    """
    if version == "{}.{}".format(*sys.version_info):
        return True
    path = shutil.which(f"python{version}")
    if path is None:
        return False
    probe = subprocess.run([path, "-c", "pass"], capture_output=True, check=False)  # noqa: S603
    return probe.returncode == 0


# Versions that are not installed are skipped (CI with only 3.11 runs 3.11), unless none is:
# then they are errors, so that `nox -s tests` cannot succeed having run nothing.
nox.options.error_on_missing_interpreters = not any(_installed(v) for v in PYTHONS)


def _dev(name: str) -> str:
    """The requirement for ``name`` as the dev dependency group pins it."""
    (requirement,) = [r for r in DEV if re.match(rf"{re.escape(name)}(?![\w.-])", r)]
    return requirement


def _install(
    session: nox.Session, extras: str = "redis,testing,progress,otel", dev: bool = True
) -> None:
    session.install("-e", f".[{extras}]", *(DEV if dev else ()))


def _ensure_redis_server(session: nox.Session) -> None:
    """
    The Redis limiter tests start a real redis-server on loopback: use the one on PATH, or
    install it with apt-get when running as root; otherwise say how.
    """
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


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """
    Run the whole test suite (asyncio and trio) under coverage, on every Python installed.

    The matrix is the classifiers' versions; the coverage session combines and reports.
    """
    _ensure_redis_server(session)
    _install(session)
    session.run("python", "-m", "coverage", "run", "-m", "pytest", *session.posargs)
    session.notify("coverage")


@nox.session
def coverage(session: nox.Session) -> None:
    """Combine the tests sessions' coverage data and report it."""
    session.install(_dev("coverage"))
    session.run("coverage", "combine")
    session.run("coverage", "report")


@nox.session
def lint(session: nox.Session) -> None:
    """ruff, as the dev dependency group pins it: lint and formatting."""
    session.install(_dev("ruff"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package and the tests (mypy from the dev dependency group)."""
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
