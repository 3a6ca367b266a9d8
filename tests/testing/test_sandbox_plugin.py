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
    """The core SDK modules do not import the testing extra."""
    import pathlib

    package = pathlib.Path(__file__).parents[2] / "onlyonce_async"
    for module in package.rglob("*.py"):
        if "testing" in module.relative_to(package).parts:
            continue
        imports = [
            line
            for line in module.read_text(encoding="utf-8").splitlines()
            if line.lstrip().startswith(("import ", "from ")) and "testing" in line
        ]
        assert imports == [], module
