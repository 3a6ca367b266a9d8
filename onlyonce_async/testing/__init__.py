"""
`onlyonce_async.testing`: a stateful in-memory Only Once API v2 server (extra ``testing``).

    sandbox = Sandbox()
    user = sandbox.create_user(email="a@example.com", password="pw", pass_phrase="pp")
    async with sandbox.client() as client:
        ...

It implements every operation of the API reference with its validation, errors and
limits, the JWT-API signed-token checks as the reference verifier makes them, a rate limit
per verified identity and seeded faults.
"""

try:  # the 'testing' extra: say which extra to install rather than which module is missing
    import starlette  # noqa: F401
    import uvicorn  # noqa: F401
except ModuleNotFoundError as exc:
    raise ModuleNotFoundError(
        f"onlyonce_async.testing needs the 'testing' extra ({exc.name} is not installed): "
        "pip install 'onlyonce-async[testing]'",
        name=exc.name,
    ) from None

from ._dictionaries import DictionaryEntry
from ._limits import SandboxStats
from ._records import ShareRequestRecord
from ._sandbox import BASE_URL, Sandbox, SandboxUser
from ._transport import SandboxTransport

__all__ = [
    "BASE_URL",
    "DictionaryEntry",
    "Sandbox",
    "SandboxStats",
    "SandboxTransport",
    "SandboxUser",
    "ShareRequestRecord",
]
