"""
The command line's configuration: read from environment variables only.

Credentials never come from arguments: arguments show up in process lists and shell
history. The variables are listed in `ENVIRONMENT_HELP` (shown by ``onlyonce --help``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import attrs

from .._args import header_token, pass_phrase_arg, password_arg
from .._defaults import DEFAULT_BASE_URL

if TYPE_CHECKING:
    import httpx

    from .._auth import BearerAuth
    from .._client import Client
    from .._jwt import SignedJWTAuth

# The SDK (httpx above all) is imported where it is used, not here: `onlyonce --version`
# and `--help` then answer without loading it.

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
    allow_insecure_http: bool = False

    @classmethod
    def from_environ(
        cls, environ: Mapping[str, str], *, allow_insecure_http: bool = False
    ) -> Settings:
        """
        Read the settings from ``environ`` (empty values count as unset).

        Args:
            environ: The environment.
            allow_insecure_http: ``--allow-insecure-http``: accept a plain ``http://``
                base URL to a host other than this machine.

        Raises:
            UsageError: Incomplete or conflicting credentials, a value with a control
                character (named, never shown), or an unreadable key.
        """
        env = {k: v for k, v in environ.items() if k.startswith("ONLYONCE_") and v}
        for name, value in sorted(env.items()):
            if _CONTROL.search(value):
                raise UsageError(
                    f"{name} contains a control character (a line break, carriage return, "
                    "tab or escape, often copied from a file): remove it "
                    "(the value is not shown)"
                )
        pass_phrase = env.get("ONLYONCE_PASS_PHRASE")
        if pass_phrase is not None:
            _checked(pass_phrase_arg, pass_phrase, "ONLYONCE_PASS_PHRASE")
        return cls(
            base_url=env.get("ONLYONCE_BASE_URL", DEFAULT_BASE_URL),
            auth=_auth_from(env),
            pass_phrase=pass_phrase,
            allow_insecure_http=allow_insecure_http,
        )


#: C0 controls, DEL and C1 controls: never part of a URL, token, password or pass phrase.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

#: The variables of each kind of credentials, for messages.
CREDENTIAL_VARIABLES = (
    "ONLYONCE_TOKEN, or ONLYONCE_USERNAME and ONLYONCE_PASSWORD, "
    "or ONLYONCE_API_KEY and ONLYONCE_PRIVATE_KEY"
)


def _auth_from(env: Mapping[str, str]) -> httpx.Auth | None:
    from .._auth import BearerAuth

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
        _checked(header_token, token, "ONLYONCE_TOKEN")
        return _refusing_values("ONLYONCE_TOKEN", lambda: BearerAuth(token))
    if username or password:
        if not (username and password):
            raise UsageError("set both ONLYONCE_USERNAME and ONLYONCE_PASSWORD")
        _checked(password_arg, username, "ONLYONCE_USERNAME")
        _checked(password_arg, password, "ONLYONCE_PASSWORD")
        return _refusing_values(
            "ONLYONCE_USERNAME or ONLYONCE_PASSWORD",
            lambda: BearerAuth.with_credentials(username, password),
        )
    if api_key or key_path:
        if not (api_key and key_path):
            raise UsageError("set both ONLYONCE_API_KEY and ONLYONCE_PRIVATE_KEY (a PEM file)")
        return _signed_jwt(env, api_key, Path(key_path))
    return None


def _checked(check: Callable[[str, str], object], value: str, name: str) -> None:
    """
    The SDK's own rule for a credential, as a UsageError; its message names ``name`` only.
    """
    try:
        check(value, name)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _refusing_values(names: str, make: Callable[[], BearerAuth]) -> BearerAuth:
    """
    ``make()``, with a ValueError (a credential the SDK refuses) as a UsageError.

    The error names the variables but not the SDK's message, which could quote the value.
    """
    try:
        return make()
    except ValueError:
        raise UsageError(f"{names}: the value is refused (it is not shown)") from None


def _signed_jwt(env: Mapping[str, str], api_key: str, key_path: Path) -> SignedJWTAuth:
    from .._jwt import SignedJWTAuth  # PyJWT and cryptography: only when signing JWTs

    user = env.get("ONLYONCE_USER")
    if user is not None and not user.isdigit():
        raise UsageError("ONLYONCE_USER must be the integer user id")
    if key_path.is_dir():
        raise UsageError(f"ONLYONCE_PRIVATE_KEY: a directory, not a key file: {key_path}")
    if not key_path.is_file():
        raise UsageError(f"ONLYONCE_PRIVATE_KEY: no such file: {key_path}")
    _checked(header_token, api_key, "ONLYONCE_API_KEY")
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


class ClientFactory(Protocol):
    """
    Builds the `Client` a command uses from the settings (the test hook of `main`).
    """

    def __call__(self, settings: Settings, /) -> Client:
        """
        The client for ``settings``.
        """


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
    import httpx

    from .._client import Client

    try:
        return Client(
            base_url=settings.base_url,
            auth=settings.auth,
            transport=transport,
            allow_insecure_http=settings.allow_insecure_http,
        )
    except ValueError as exc:
        if not settings.allow_insecure_http and _refused_as_plain_http(settings.base_url):
            raise UsageError(
                f"ONLYONCE_BASE_URL is plain http:// to {httpx.URL(settings.base_url).host}, "
                "another machine: credentials would cross the network unencrypted. Use "
                "https://, or accept that with --allow-insecure-http "
                "(onlyonce --allow-insecure-http COMMAND ...)"
            ) from None
        raise UsageError(f"ONLYONCE_BASE_URL: {exc}") from None


def _refused_as_plain_http(base_url: str) -> bool:
    """Whether ``base_url`` is refused only because it is plain http to a remote host."""
    from .._urls import check_base_url

    try:
        check_base_url(base_url, allow_insecure_http=True)
    except ValueError:
        return False
    try:
        check_base_url(base_url, allow_insecure_http=False)
    except ValueError:
        return True
    return False
