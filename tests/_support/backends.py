"""
Which anyio backends a test runs on.

Every ``@pytest.mark.anyio`` test runs on asyncio and trio (the ``anyio_backend`` fixture in
`tests._support.fixtures`). A test that needs asyncio (uvicorn, redis-py's asyncio client)
says so: a class or a test with `asyncio_only`, a whole module by importing
`asyncio_backend`.
"""

from __future__ import annotations

import pytest

__all__ = ["BACKENDS", "asyncio_backend", "asyncio_only"]

#: The backends of every async test: (name, options) as anyio's pytest plugin takes them.
BACKENDS = [
    pytest.param(("asyncio", {}), id="asyncio"),
    pytest.param(("trio", {}), id="trio"),
]

#: Run on asyncio only (parametrises ``anyio_backend`` directly, replacing the fixture's
#: two backends).
asyncio_only = pytest.mark.parametrize("anyio_backend", [pytest.param("asyncio", id="asyncio")])


@pytest.fixture(name="anyio_backend")
def asyncio_backend() -> str:
    """
    asyncio only, for a whole module: ``from tests._support.backends import asyncio_backend``.

    The import overrides ``anyio_backend`` in that module (pytest registers a fixture under
    its declared name); a test may still parametrise ``anyio_backend`` itself.
    """
    return "asyncio"
