"""
The pytest plugin, enabled the way users do it (one ``pytest_plugins`` line).
"""

from __future__ import annotations

import pytest


def test_plugin_fixtures(pytester: pytest.Pytester) -> None:
    """``onlyonce_sandbox`` and ``onlyonce_user`` work in a project that enables the plugin."""
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makeconftest('pytest_plugins = ["onlyonce_async.testing.pytest_plugin"]\n')
    pytester.makepyfile(
        """
        import anyio
        from onlyonce_async.testing import Sandbox, SandboxUser

        def test_fixtures(onlyonce_sandbox, onlyonce_user):
            assert isinstance(onlyonce_sandbox, Sandbox)
            assert isinstance(onlyonce_user, SandboxUser)

            async def main():
                async with onlyonce_sandbox.client() as client:
                    token = await client.post(
                        "signIn",
                        json={"username": onlyonce_user.email, "password": onlyonce_user.password},
                    )
                    assert token is None
                    return (await client.get("heartbeat"))["nodeName"]

            assert anyio.run(main).startswith("onlyonce-sandbox-")

        def test_fresh_sandbox_each_test(onlyonce_sandbox):
            assert onlyonce_sandbox.share_requests() == []
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_core_package_never_imports_testing() -> None:
    """Every core module imports without the testing extra's packages installed."""
    import subprocess
    import sys

    script = """
import importlib, pathlib, sys
for blocked in ("starlette", "uvicorn", "multipart", "python_multipart"):
    sys.modules[blocked] = None  # importing it now raises ImportError
import onlyonce_async
root = pathlib.Path(onlyonce_async.__file__).parent
for path in sorted(root.rglob("*.py")):
    parts = path.relative_to(root.parent).with_suffix("").parts
    if "testing" in parts or parts[-1] == "__main__":
        continue
    importlib.import_module(".".join(p for p in parts if p != "__init__"))
assert not any(name.startswith("onlyonce_async.testing") for name in sys.modules)
print("ok")
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
