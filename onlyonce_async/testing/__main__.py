"""
Serve the sandbox over TCP: ``python -m onlyonce_async.testing --port 8080``.

Options: ``--host`` (default 127.0.0.1), ``--port`` (default 8080; 0 picks a free port),
``--rate-limit LIMIT/PERIOD`` (default 60/60; ``off`` disables it), ``--seed N``, and
accounts to create at start, one ``email:password:pass phrase`` a line, from
``--seed-users FILE`` or the ``ONLYONCE_SANDBOX_USERS`` variable (``--seed-user`` with the
same text on the command line still works, with a warning: arguments show in process lists).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import uvicorn

from ._sandbox import Sandbox
from ._server import bind_socket, check_port, uvicorn_config

__all__ = ["main"]


def _rate_limit(text: str) -> tuple[int, float] | None:
    if text.lower() in ("off", "none", "0"):
        return None
    limit, sep, period = text.partition("/")
    try:
        parsed = int(limit), float(period if sep else "60")
    except ValueError:
        raise argparse.ArgumentTypeError("expected LIMIT/PERIOD, e.g. 60/60") from None
    if parsed[0] < 1 or parsed[1] <= 0:
        raise argparse.ArgumentTypeError("LIMIT must be >= 1 and PERIOD > 0")
    return parsed


def _port(text: str) -> int:
    try:
        return check_port(int(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a port number 0 to 65535, not {text!r}"
        ) from None


def _user(text: str) -> tuple[str, str, str]:
    parts = text.split(":", 2)
    if len(parts) != 3 or not all(parts):
        raise argparse.ArgumentTypeError("expected email:password:pass phrase")
    return parts[0], parts[1], parts[2]


#: The variable holding accounts to create, one ``email:password:pass phrase`` a line.
USERS_VARIABLE = "ONLYONCE_SANDBOX_USERS"


def users_from_lines(text: str, source: str) -> list[tuple[str, str, str]]:
    """
    The accounts in ``text``: one ``email:password:pass phrase`` a line; blank lines and
    lines starting with ``#`` are skipped.

    Args:
        text: The lines.
        source: Where they come from, for messages (a file name or the variable).

    Returns:
        ``(email, password, pass phrase)`` for each account.

    Raises:
        ValueError: A line is not of that form (named by number, never shown: it holds a
            password).
    """
    users = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            users.append(_user(line))
        except argparse.ArgumentTypeError:
            raise ValueError(
                f"{source}, line {number}: expected email:password:pass phrase"
            ) from None
    return users


def _seed_users(args: argparse.Namespace) -> list[tuple[str, str, str]]:
    users = []
    if text := os.environ.get(USERS_VARIABLE):
        users += users_from_lines(text, USERS_VARIABLE)
    for name in args.seed_users:
        try:
            text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"--seed-users: cannot read {name}: {exc}") from None
        users += users_from_lines(text, name)
    if args.seed_user:
        print(
            "warning: --seed-user shows passwords and pass phrases in process lists; use "
            f"--seed-users FILE or {USERS_VARIABLE} instead",
            file=sys.stderr,
            flush=True,
        )
    old_form: list[tuple[str, str, str]] = args.seed_user
    return users + old_form


def main(
    argv: Sequence[str] | None = None, *, prog: str = "python -m onlyonce_async.testing"
) -> int:
    """
    Run the command line (blocks until interrupted).

    Args:
        argv: The arguments (default ``sys.argv[1:]``).
        prog: The program name shown in usage and help (``onlyonce sandbox serve``).

    Returns:
        The exit status.
    """
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Serve the in-memory Only Once API sandbox over HTTP. It prints one line per "
            "account created, then its base URL."
        ),
        epilog=(
            f"accounts to create: one 'email:password:pass phrase' a line, in {USERS_VARIABLE} "
            "and/or --seed-users files ('#' starts a comment line)"
        ),
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        metavar="ADDRESS",
        help="the address to listen on (default: 127.0.0.1, this machine only)",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=8080,
        metavar="PORT",
        help="the TCP port (default: 8080; 0 picks a free one, shown in the URL printed)",
    )
    parser.add_argument(
        "--rate-limit",
        type=_rate_limit,
        default=(60, 60.0),
        metavar="LIMIT/PERIOD",
        help="requests allowed per PERIOD seconds and credential, e.g. 60/60 (default: "
        "60/60, the API's); 'off' disables it",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        metavar="N",
        help="the seed of generated ids and injected faults (default: 0)",
    )
    parser.add_argument(
        "--seed-users",
        action="append",
        default=[],
        metavar="FILE",
        help="create the accounts listed in FILE ('-' reads stdin; repeatable)",
    )
    parser.add_argument(
        "--seed-user",
        type=_user,
        action="append",
        default=[],
        metavar="EMAIL:PASSWORD:PASS_PHRASE",
        help="create this account (repeatable); deprecated: process lists show arguments, "
        "so prefer --seed-users or the variable",
    )
    args = parser.parse_args(argv)
    try:
        users = _seed_users(args)
    except ValueError as exc:
        parser.error(str(exc))
    sandbox = Sandbox(rate_limit=args.rate_limit, seed=args.seed)
    created = []
    for email, password, pass_phrase in users:
        try:
            created.append(
                sandbox.create_user(email=email, password=password, pass_phrase=pass_phrase)
            )
        except ValueError as exc:  # a taken or invalid email: named, no password
            parser.error(str(exc))
    for user in created:
        print(f"user {user.email}: user_id={user.user_id} profile_id={user.profile_id}", flush=True)
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"http://{host}:{sock.getsockname()[1]}/v2/", flush=True)
    server = uvicorn.Server(uvicorn_config(sandbox.app, log_level="info"))
    server.run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
