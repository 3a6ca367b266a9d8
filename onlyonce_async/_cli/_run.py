"""
Running a parsed command: its settings, the command, and every error as an exit status and
a message that says what to do.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from typing import TextIO

import anyio
import httpx

from .._errors import (
    APIError,
    AuthenticationError,
    AuthenticationFailedError,
    DecodeError,
    NotFoundError,
    OnlyOnceError,
    RateLimiterUnavailableError,
    TransportError,
    UnauthorizedError,
    WrongSecretKeyError,
)
from . import _api, _share
from ._exit import EXIT_API_ERROR, EXIT_BAD_RESPONSE, EXIT_NETWORK_ERROR, EXIT_USAGE
from ._settings import CREDENTIAL_VARIABLES, ClientFactory, Settings, UsageError
from ._text import printable

__all__ = ["run"]


def run(
    args: argparse.Namespace,
    *,
    environ: Mapping[str, str],
    client_factory: ClientFactory,
    stdout: TextIO,
) -> int:
    """
    Run the ``api`` or ``share`` command ``args`` describes.

    Args:
        args: The parsed arguments.
        environ: The environment to read settings from.
        client_factory: Builds the `Client` from the `Settings`.
        stdout: Where command output goes.

    Returns:
        The exit status; errors are reported on stderr.
    """
    settings: Settings | None = None
    try:
        settings = Settings.from_environ(environ, allow_insecure_http=args.allow_insecure_http)
        command = _api.run_api if args.command == "api" else _share.run_share
        return anyio.run(command, args, settings, client_factory, stdout)
    except UsageError as exc:
        return _fail(EXIT_USAGE, str(exc))
    except APIError as exc:
        return _fail(
            EXIT_API_ERROR, f"{type(exc).__name__}: {exc}", *_api_error_details(exc, settings)
        )
    except (TransportError, RateLimiterUnavailableError) as exc:
        return _fail(EXIT_NETWORK_ERROR, _describe_network_error(exc, settings))
    except DecodeError as exc:
        return _fail(EXIT_BAD_RESPONSE, f"{type(exc).__name__}: {exc}")
    except OnlyOnceError as exc:  # any other deliberate SDK error
        return _fail(EXIT_API_ERROR, f"{type(exc).__name__}: {exc}")
    except KeyboardInterrupt:
        return _fail(130, "interrupted")


def _api_error_details(exc: APIError, settings: Settings | None) -> list[str]:
    """What to do about ``exc``, and its 422 field errors: the lines below the first."""
    details = [
        f"{field}: {message}" for field, messages in exc.errors.items() for message in messages
    ]
    if isinstance(exc, WrongSecretKeyError) and not exc.expired:
        details.append(
            "the pass phrase was refused: check ONLYONCE_PASS_PHRASE (the API calls it the "
            "secret key)"
        )
    elif _about_credentials(exc) and settings is not None and settings.auth is None:
        details.append(f"no credentials are set: set {CREDENTIAL_VARIABLES} (see onlyonce --help)")
    elif _about_credentials(exc):
        details.append("the credentials were refused: check them (see onlyonce --help)")
    if isinstance(exc, NotFoundError) and (url := _requested(exc)) is not None:
        details.append(f"requested {url}: if the path is right, check ONLYONCE_BASE_URL")
    return details


def _about_credentials(exc: APIError) -> bool:
    """Whether ``exc`` refuses the credentials (not, say, a share request's status)."""
    # UnauthorizedError's other subclasses (wrong request status or owner, encryption)
    # are about the request, not about who sent it.
    return type(exc) is UnauthorizedError or isinstance(
        exc, (AuthenticationFailedError, AuthenticationError)
    )


def _requested(exc: APIError) -> str | None:
    """``METHOD URL`` of the request that got ``exc`` (the query left out), if known."""
    response = exc.response
    if response is None:
        return None
    try:
        request = response.request
    except RuntimeError:  # a response built without its request
        return None
    return f"{request.method} {request.url.copy_with(query=None)}"


def _describe_network_error(
    exc: TransportError | RateLimiterUnavailableError, settings: Settings | None
) -> str:
    """The error, and for the API's network errors the host that could not be reached."""
    message = f"{type(exc).__name__}: {exc}"
    if not isinstance(exc, TransportError):
        return message
    if exc.request is not None:
        url = exc.request.url
    elif settings is not None:
        url = httpx.URL(settings.base_url)
    else:
        return message
    port = url.port or _DEFAULT_PORTS.get(url.scheme)
    return f"{message} (host {url.host}, port {port}, from ONLYONCE_BASE_URL)"


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _fail(status: int, message: str, *details: str) -> int:
    """
    Report an error on stderr, one line and indented detail lines, and return ``status``.

    Every line goes through `printable`: messages carry text from the network.
    """
    lines = [f"onlyonce: error: {printable(message)}", *(f"  {printable(d)}" for d in details)]
    sys.stderr.write("".join(f"{line}\n" for line in lines))
    return status
