"""
``onlyonce sandbox serve``: the in-memory sandbox over HTTP (extra ``testing``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["add_parser", "serve"]

PROG = "onlyonce sandbox serve"


def add_parser(commands: Any) -> None:
    """Add ``sandbox serve`` to the top-level sub-parsers (for ``--help``; `serve` runs it)."""
    sandbox = commands.add_parser(
        "sandbox",
        help="the in-memory sandbox server (extra: testing)",
        description="Serve the in-memory Only Once sandbox over HTTP.",
    )
    actions = sandbox.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser(
        "serve",
        help="serve it (options: onlyonce sandbox serve --help)",
    )


def serve(argv: Sequence[str]) -> int:
    """
    Serve the sandbox until interrupted, with the sandbox's own option parser.

    Returns:
        The exit status (2 when the ``testing`` extra is not installed).
    """
    try:
        from ..testing.__main__ import main as sandbox_main
    except ImportError as exc:
        sys.stderr.write(
            f"onlyonce: error: the sandbox needs the 'testing' extra ({exc.name} is missing): "
            "pip install 'onlyonce-async[testing]'\n"
        )
        return 2
    try:
        return sandbox_main(argv, prog=PROG)
    except KeyboardInterrupt:
        return 0
