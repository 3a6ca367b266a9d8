"""
The public namespace: ``onlyonce_async.__all__`` is sorted, complete, and keeps DESIGN.md §2.
"""

from __future__ import annotations

import ast
import enum
import importlib
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import onlyonce_async

ROOT = Path(__file__).resolve().parents[1]

# DESIGN.md §2.1-§2.5 names. ShareOutcome and BulkShareReport (§2.5) belong to bulk sharing
# and SignedJWTAuth (§2.4) to signed-JWT auth, both delivered separately; the test below
# adds them once they exist.
DESIGNED = {
    # §2.1
    "Client",
    # §2.2
    "OnlyOnceError",
    "TransportError",
    "RequestTimeout",
    "DecodeError",
    "APIError",
    "BadRequestError",
    "AuthenticationError",
    "RegistrationFailedError",
    "UnauthorizedError",
    "AuthenticationFailedError",
    "WrongSecretKeyError",
    "WrongRequestStatusError",
    "WrongRequestOwnerError",
    "EncryptionError",
    "ForbiddenError",
    "AccessDeniedError",
    "NotFoundError",
    "ValidationError",
    "RateLimitError",
    "ServerError",
    "ApiDownError",
    "ERROR_CODES",
    "InvalidApiKeyError",
    "InvalidTokenError",
    "MissingApiKeyError",
    "MissingTokenError",
    "TokenNotVerifiedError",
    "ClientNotFoundError",
    "UserNotAccessibleError",
    "ProjectAccessError",
    "IPNotAllowedError",
    # §2.3
    "RateLimiter",
    "SlidingWindowRateLimiter",
    # §2.4
    "BearerAuth",
    # §2.5 models, paging and the enums their fields use
    "Account",
    "Profile",
    "Tag",
    "Note",
    "ProfileSettings",
    "Activity",
    "Company",
    "FieldValue",
    "Card",
    "ShareRequest",
    "DictionaryEntry",
    "ConsolidatedEntry",
    "Heartbeat",
    "FileInfo",
    "Page",
    "AsyncPaginator",
    "ProfileType",
    "ProfileScope",
    "CardScope",
    "DataSetType",
    "RequestType",
    "RequestStatus",
    "SortDirection",
    "ActivityScope",
    "ActivityType",
    "AvatarVisibility",
    "EmailNotificationType",
    "CommunicationChannel",
    "AccountLevel",
}
ARRIVING_SEPARATELY = {"SignedJWTAuth", "ShareOutcome", "BulkShareReport"}


def _ruff_key(name: str) -> tuple[int, str]:
    # RUF022's isort-style order: SCREAMING_CASE, then CamelCase, then the rest.
    if re.fullmatch(r"[A-Z0-9_]+", name) and len(name) > 1:
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


def test_all_is_sorted() -> None:
    """__all__ is in RUF022 order, without duplicates."""
    names = list(onlyonce_async.__all__)
    assert names == sorted(names, key=_ruff_key)
    assert len(names) == len(set(names))


def test_all_is_complete() -> None:
    """Every public name of the package is in __all__, and every name in __all__ exists."""
    for name in onlyonce_async.__all__:
        getattr(onlyonce_async, name)  # imports the lazily loaded ones
    public = {
        name
        for name, value in vars(onlyonce_async).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert public | {"__version__"} == set(onlyonce_async.__all__)


def test_designed_names_are_exported() -> None:
    """Every name DESIGN.md §2 promises (and that exists on this branch) is exported."""
    arrived = {name for name in ARRIVING_SEPARATELY if hasattr(onlyonce_async, name)}
    assert (DESIGNED | arrived) <= set(onlyonce_async.__all__)


def test_every_enum_is_an_api_enum() -> None:
    """Every exported enumeration of the API subclasses ApiEnum (lenient decoding)."""
    enums = [
        getattr(onlyonce_async, name)
        for name in onlyonce_async.__all__
        if isinstance(getattr(onlyonce_async, name), type)
        and issubclass(getattr(onlyonce_async, name), enum.Enum)
        and name != "ApiEnum"
    ]
    assert len(enums) >= 13
    assert all(issubclass(cls, onlyonce_async.ApiEnum) for cls in enums)


def _type_checking_imports() -> dict[str, str]:
    """Name → module of the imports type checkers see in ``onlyonce_async/__init__.py``."""
    assert onlyonce_async.__file__ is not None
    tree = ast.parse(Path(onlyonce_async.__file__).read_text(encoding="utf-8"))
    (block,) = [
        node
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "typing.TYPE_CHECKING"
    ]
    return {
        alias.name: "." * node.level + (node.module or "")
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }


def test_lazy_table_matches_what_type_checkers_see() -> None:
    """Each lazily imported name is the object the TYPE_CHECKING imports name (same name,
    same module), and those names with __version__ are __all__."""
    seen = _type_checking_imports()
    for name, module in seen.items():
        source = importlib.import_module(module, onlyonce_async.__name__)
        assert getattr(onlyonce_async, name) is getattr(source, name), name
    assert set(seen) | {"__version__"} == set(onlyonce_async.__all__)


def _modules_after(code: str) -> set[str]:
    """The modules loaded by ``code`` in a fresh interpreter running this repository."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys; print(' '.join(sys.modules))"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return set(result.stdout.split())


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("import onlyonce_async", id="import"),
        pytest.param("from onlyonce_async import Client, BearerAuth", id="client"),
        pytest.param("import onlyonce_async._cli", id="cli"),
    ],
)
def test_pyjwt_and_cryptography_load_only_for_signed_jwt(code: str) -> None:
    """Importing the SDK (or its command line) loads neither PyJWT nor cryptography; they
    load when SignedJWTAuth is first used."""
    loaded = _modules_after(code)
    assert "onlyonce_async" in loaded
    assert not {m.split(".")[0] for m in loaded} & {"jwt", "cryptography"}
    assert {"jwt", "cryptography"} <= _modules_after(
        "import onlyonce_async; onlyonce_async.SignedJWTAuth"
    )


def test_unknown_attribute_raises_attribute_error() -> None:
    """A name the package does not have raises AttributeError, as for any module."""
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        onlyonce_async.Nope  # noqa: B018


def test_the_command_line_parses_before_loading_the_sdk() -> None:
    """`onlyonce --version` and `--help` need only the parser: httpx, the client and the
    endpoint models load once a command runs."""
    loaded = _modules_after("import onlyonce_async._cli")
    assert "httpx" not in loaded and "onlyonce_async._client" not in loaded
