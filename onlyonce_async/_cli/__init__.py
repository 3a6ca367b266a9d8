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

from .._version import __version__
from . import _api, _serve, _share
from ._exit import (
    EXIT_API_ERROR,
    EXIT_BAD_RESPONSE,
    EXIT_INTERRUPTED,
    EXIT_NETWORK_ERROR,
    EXIT_OK,
    EXIT_USAGE,
)
from ._settings import ENVIRONMENT_HELP, ClientFactory, Settings, build_client

__all__ = [
    "EXIT_API_ERROR",
    "EXIT_BAD_RESPONSE",
    "EXIT_INTERRUPTED",
    "EXIT_NETWORK_ERROR",
    "EXIT_OK",
    "EXIT_USAGE",
    "ClientFactory",
    "Settings",
    "build_client",
    "main",
]


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
        3 network error, 4 undecodable response, 5 `share` interrupted (run it again to resume).
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:2] == ["sandbox", "serve"]:
        # The sandbox's own parser owns these options (and their --help).
        return _serve.serve(args_list[2:])
    args = build_parser().parse_args(args_list)
    # The SDK (httpx above all) loads only now: --version and --help do not wait for it.
    from ._run import run

    return run(
        args,
        environ=os.environ if environ is None else environ,
        client_factory=client_factory,
        stdout=sys.stdout if stdout is None else stdout,
    )
