"""
Shared fixtures: every async test runs on asyncio and on trio (anyio's pytest plugin).
"""

from __future__ import annotations

import pytest

# pytester runs the sandbox's pytest plugin the way users enable it (tests/testing).
pytest_plugins = ["pytester"]


@pytest.fixture(
    params=[
        pytest.param(("asyncio", {}), id="asyncio"),
        pytest.param(("trio", {}), id="trio"),
    ]
)
def anyio_backend(request: pytest.FixtureRequest) -> tuple[str, dict[str, object]]:
    """Run each ``@pytest.mark.anyio`` test once per backend."""
    return request.param  # type: ignore[no-any-return]
