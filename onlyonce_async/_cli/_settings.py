"""
The command line's configuration: read from environment variables only.

Credentials never come from arguments: arguments show up in process lists and shell
history. The variables are listed in `ENVIRONMENT_HELP` (shown by ``onlyonce --help``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import attrs
import httpx

from .._args import header_token, pass_phrase_arg, password_arg
from .._auth import BearerAuth
from .._client import DEFAULT_BASE_URL, Client
from .._jwt import SignedJWTAuth

__all__ = ["ENVIRONMENT_HELP", "ClientFactory", "Settings", "UsageError", "build_client"]

ENVIRONMENT_HELP = f"""\
environment variables (credentials are read from here only, never from arguments):
  ONLYONCE_BASE_URL              API root (default {DEFAULT_BASE_URL})
  ONLYONCE_TOKEN                 a bearer token, or
  ONLYONCE_USERNAME, ONLYONCE_PASSWORD
                                 sign in with these (and again when the token expires), or
  ONLYONCE_API_KEY, ONLYONCE_PRIVATE_KEY
                                 signed-JWT auth: the API key and the path of the RSA
                                 private key (PEM); optional ONLYONCE_PRIVATE_KEY_PASSWORD,
                                 ONLYONCE_USER (integer user id), ONLYONCE_PROJECT
  ONLYONCE_PASS_PHRASE           a profile's pass phrase, for "Access Required" endpoints

exit status: 0 success; 1 the API answered with an error (share: a recipient failed);
2 usage error (bad arguments, input file or environment); 3 network error;
4 a response that could not be decoded.
"""


class UsageError(Exception):
    """Bad arguments, input files or environment: reported as one line, exit status 2."""


@attrs.frozen(kw_only=True)
class Settings:
    """
    What the environment configures.

    Attributes:
        base_url: The API root.
        auth: The auth built from the credentials, or ``None`` when none are set.
        pass_phrase: ``ONLYONCE_PASS_PHRASE``, or ``None``.
    """

    base_url: str
    auth: httpx.Auth | None = attrs.field(repr=False)
    pass_phrase: str | None = attrs.field(repr=False)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """
        Read the settings from ``environ`` (empty values count as unset).

        Raises:
            UsageError: Incomplete or conflicting credentials, or an unreadable key.
        """
        env = {k: v for k, v in environ.items() if k.startswith("ONLYONCE_") and v}
        pass_phrase = env.get("ONLYONCE_PASS_PHRASE")
        try:
            # The SDK's own checks; their messages name the setting, never its value.
            if pass_phrase is not None:
                pass_phrase_arg(pass_phrase, "ONLYONCE_PASS_PHRASE")
            auth = _auth_from(env)
        except (ValueError, TypeError) as exc:
            raise UsageError(str(exc)) from None
        return cls(
            base_url=env.get("ONLYONCE_BASE_URL", DEFAULT_BASE_URL),
            auth=auth,
            pass_phrase=pass_phrase,
        )


def _auth_from(env: Mapping[str, str]) -> httpx.Auth | None:
    token = env.get("ONLYONCE_TOKEN")
    username, password = env.get("ONLYONCE_USERNAME"), env.get("ONLYONCE_PASSWORD")
    api_key, key_path = env.get("ONLYONCE_API_KEY"), env.get("ONLYONCE_PRIVATE_KEY")
    chosen = [
        name
        for name, given in (
            ("ONLYONCE_TOKEN", token),
            ("ONLYONCE_USERNAME/ONLYONCE_PASSWORD", username or password),
            ("ONLYONCE_API_KEY/ONLYONCE_PRIVATE_KEY", api_key or key_path),
        )
        if given
    ]
    if len(chosen) > 1:
        raise UsageError(f"set only one kind of credentials, not {' and '.join(chosen)}")
    if token:
        header_token(token, "ONLYONCE_TOKEN")
        return BearerAuth(token)
    if username or password:
        if not (username and password):
            raise UsageError("set both ONLYONCE_USERNAME and ONLYONCE_PASSWORD")
        password_arg(username, "ONLYONCE_USERNAME")
        password_arg(password, "ONLYONCE_PASSWORD")
        return BearerAuth.with_credentials(username, password)
    if api_key or key_path:
        if not (api_key and key_path):
            raise UsageError("set both ONLYONCE_API_KEY and ONLYONCE_PRIVATE_KEY (a PEM file)")
        return _signed_jwt(env, api_key, Path(key_path))
    return None


def _signed_jwt(env: Mapping[str, str], api_key: str, key_path: Path) -> SignedJWTAuth:
    user = env.get("ONLYONCE_USER")
    if user is not None and not user.isdigit():
        raise UsageError("ONLYONCE_USER must be the integer user id")
    if not key_path.is_file():
        raise UsageError(f"ONLYONCE_PRIVATE_KEY: no such file: {key_path}")
    header_token(api_key, "ONLYONCE_API_KEY")
    try:
        return SignedJWTAuth(
            api_key,
            key_path,
            user=None if user is None else int(user),
            project=env.get("ONLYONCE_PROJECT"),
            password=env.get("ONLYONCE_PRIVATE_KEY_PASSWORD"),
        )
    except (OSError, ValueError, TypeError) as exc:
        # The SDK's messages never contain the key or its password.
        raise UsageError(f"ONLYONCE_PRIVATE_KEY: {exc}") from None


#: Builds the `Client` a command uses from the settings (the test hook of `main`).
ClientFactory = Callable[[Settings], Client]


def build_client(
    settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
) -> Client:
    """
    The `Client` the command line uses: the settings' base URL and auth, default limits.

    Args:
        settings: From `Settings.from_environ`.
        transport: An httpx transport (tests wire the sandbox in-process with
            ``functools.partial(build_client, transport=sandbox.transport())``).

    Raises:
        UsageError: The base URL is refused (not absolute, or plain http to a remote host).
    """
    try:
        return Client(base_url=settings.base_url, auth=settings.auth, transport=transport)
    except ValueError as exc:
        raise UsageError(f"ONLYONCE_BASE_URL: {exc}") from None
