"""
Serve the sandbox over TCP: ``python -m onlyonce_async.testing --port 8080``.

Options: ``--host`` (default 127.0.0.1), ``--port`` (default 8080; 0 picks a free port),
``--rate-limit LIMIT/PERIOD`` (default 60/60; ``off`` disables it), ``--seed N``, and
``--seed-user email:password:passphrase`` (repeatable) to create accounts at start.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import uvicorn

from ._sandbox import Sandbox
from ._server import bind_socket, uvicorn_config

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


def _user(text: str) -> tuple[str, str, str]:
    parts = text.split(":", 2)
    if len(parts) != 3 or not all(parts):
        raise argparse.ArgumentTypeError("expected email:password:passphrase")
    return parts[0], parts[1], parts[2]


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
        description="Serve the in-memory Only Once API sandbox over HTTP.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--rate-limit", type=_rate_limit, default=(60, 60.0))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seed-user", type=_user, action="append", default=[])
    args = parser.parse_args(argv)
    sandbox = Sandbox(rate_limit=args.rate_limit, seed=args.seed)
    for email, password, pass_phrase in args.seed_user:
        user = sandbox.create_user(email=email, password=password, pass_phrase=pass_phrase)
        print(f"user {email}: user_id={user.user_id} profile_id={user.profile_id}", flush=True)
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
