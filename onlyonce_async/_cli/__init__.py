"""
The ``onlyonce`` command line (also ``python -m onlyonce_async``).

Commands: ``api`` (one raw request), ``share`` (bulk card sharing from a CSV file) and
``sandbox serve`` (the in-memory sandbox over HTTP; extra ``testing``). Credentials come
from environment variables only (see `ENVIRONMENT_HELP`).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from typing import TextIO

import anyio
import httpx

from .._errors import (
    APIError,
    AuthenticationError,
    DecodeError,
    NotFoundError,
    OnlyOnceError,
    RateLimiterUnavailableError,
    TransportError,
    UnauthorizedError,
    WrongSecretKeyError,
)
from .._version import __version__
from . import _api, _serve, _share
from ._settings import (
    CREDENTIAL_VARIABLES,
    ENVIRONMENT_HELP,
    ClientFactory,
    Settings,
    UsageError,
    build_client,
)
from ._text import printable

__all__ = [
    "EXIT_API_ERROR",
    "EXIT_BAD_RESPONSE",
    "EXIT_NETWORK_ERROR",
    "EXIT_OK",
    "EXIT_USAGE",
    "ClientFactory",
    "Settings",
    "build_client",
    "main",
]

EXIT_OK = 0
EXIT_API_ERROR = 1
EXIT_USAGE = 2
EXIT_NETWORK_ERROR = 3
EXIT_BAD_RESPONSE = 4


def build_parser() -> argparse.ArgumentParser:
    """The ``onlyonce`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="onlyonce",
        description="Command line for the Only Once API v2 (onlyonce-async).",
        epilog=ENVIRONMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        # No abbreviations: an option is either known in full or refused.
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"onlyonce {__version__}")
    parser.add_argument(
        "--allow-insecure-http",
        action="store_true",
        help="accept a plain http:// ONLYONCE_BASE_URL to another machine (credentials then "
        "cross the network unencrypted; http:// to this machine is always accepted)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _api.add_parser(commands)
    _share.add_parser(commands)
    _serve.add_parser(commands)
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    client_factory: ClientFactory = build_client,
    stdout: TextIO | None = None,
) -> int:
    """
    Run the command line.

    Args:
        argv: The arguments (default ``sys.argv[1:]``).
        environ: The environment to read settings from (default ``os.environ``).
        client_factory: Builds the `Client` from the `Settings`; tests pass
            ``functools.partial(build_client, transport=sandbox.transport())`` to run
            commands against an in-process sandbox.
        stdout: Where command output goes (default ``sys.stdout``).

    Returns:
        The exit status: 0 success, 1 API error (or a failed recipient), 2 usage error,
        3 network error, 4 undecodable response.
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:2] == ["sandbox", "serve"]:
        # The sandbox's own parser owns these options (and their --help).
        return _serve.serve(args_list[2:])
    args = build_parser().parse_args(args_list)
    out = sys.stdout if stdout is None else stdout
    settings: Settings | None = None
    try:
        settings = Settings.from_environ(
            os.environ if environ is None else environ,
            allow_insecure_http=args.allow_insecure_http,
        )
        command = _api.run_api if args.command == "api" else _share.run_share
        return anyio.run(command, args, settings, client_factory, out)
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
    elif isinstance(exc, UnauthorizedError) and settings is not None and settings.auth is None:
        details.append(f"no credentials are set: set {CREDENTIAL_VARIABLES} (see onlyonce --help)")
    elif isinstance(exc, (UnauthorizedError, AuthenticationError)):
        details.append("the credentials were refused: check them (see onlyonce --help)")
    if isinstance(exc, NotFoundError) and (url := _requested(exc)) is not None:
        details.append(f"requested {url}: if the path is right, check ONLYONCE_BASE_URL")
    return details


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
    """Report an error on stderr, one line and indented detail lines, and return ``status``.

    Every line goes through `printable`: messages carry text from the network."""
    lines = [f"onlyonce: error: {printable(message)}", *(f"  {printable(d)}" for d in details)]
    sys.stderr.write("".join(f"{line}\n" for line in lines))
    return status
