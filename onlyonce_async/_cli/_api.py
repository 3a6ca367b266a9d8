"""
``onlyonce api METHOD PATH``: one raw request, its JSON answer printed (the ``gh api`` of
this API).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from ._settings import ClientFactory, Settings, UsageError
from ._text import printable

__all__ = ["add_parser", "run_api"]

#: Headers that carry credentials: they come from the environment, never from arguments.
_SECRET_HEADERS = frozenset({"authorization", "api-key", "secret-key", "cookie"})


def add_parser(commands: Any) -> None:
    """Add the ``api`` command to the top-level sub-parsers."""
    parser = commands.add_parser(
        "api",
        help="send one request and print the JSON answer",
        description=(
            "Send one request to the API and print the decoded JSON body, indented, on "
            "stdout (nothing for an empty body). Errors go to stderr as one line."
        ),
    )
    parser.add_argument("method", help="HTTP method, e.g. GET, POST, PUT, DELETE")
    parser.add_argument("path", help="path below ONLYONCE_BASE_URL, e.g. /profiles")
    parser.add_argument(
        "-q",
        "--query",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a query parameter (repeat for more; a repeated key sends a list)",
    )
    parser.add_argument(
        "-H",
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="an extra header (credential headers are refused: use the environment)",
    )
    parser.add_argument(
        "--json",
        dest="body",
        metavar="BODY",
        help="a JSON body, or @FILE to read it from a file (@- reads stdin)",
    )
    parser.add_argument(
        "--access",
        metavar="PROFILE_ID",
        help="enable access to this profile first, with ONLYONCE_PASS_PHRASE",
    )


def parse_query(items: Sequence[str]) -> dict[str, str | list[str]]:
    """
    ``["a=1", "b=2", "a=3"]`` → ``{"a": ["1", "3"], "b": "2"}``.

    Raises:
        UsageError: An item without ``=`` or with an empty key.
    """
    query: dict[str, str | list[str]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"-q expects KEY=VALUE, not {item!r}")
        previous = query.get(key)
        if previous is None:
            query[key] = value
        elif isinstance(previous, list):
            previous.append(value)
        else:
            query[key] = [previous, value]
    return query


def parse_headers(items: Sequence[str]) -> dict[str, str]:
    """
    ``["Name: value"]`` → ``{"Name": "value"}``.

    Raises:
        UsageError: An item without ``:``, or a credential header.
    """
    headers: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition(":")
        name = name.strip()
        if not sep or not name:
            raise UsageError(f"-H expects 'Name: value', not {item!r}")
        if name.lower() in _SECRET_HEADERS:
            raise UsageError(
                f"-H {name} is refused: credentials come from environment variables only "
                "(see onlyonce --help)"
            )
        headers[name] = value.strip()
    return headers


def read_body(body: str | None, stdin: TextIO) -> Any:
    """
    The JSON value of ``--json`` (``@FILE`` read from the file, ``@-`` from stdin).

    Raises:
        UsageError: A missing file, invalid JSON, or JSON nested too deeply to decode.
    """
    if body is None:
        return None
    source = "--json"
    if body.startswith("@"):
        name = body[1:]
        source = "stdin" if name == "-" else name
        try:
            body = stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"--json: cannot read {name}: {exc}") from None
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise UsageError(f"--json: invalid JSON in {source}: {exc}") from None
    except RecursionError:
        raise UsageError(f"--json: JSON nested too deeply in {source}") from None


async def run_api(
    args: argparse.Namespace, settings: Settings, make_client: ClientFactory, out: TextIO
) -> int:
    """
    Send the request described by ``args`` and print the answer.

    Returns:
        The exit status (0; errors are raised and reported by the caller).

    Raises:
        UsageError: Bad arguments.
        OnlyOnceError: The request failed.
    """
    from .._errors import OnlyOnceError  # the SDK loads once a command runs (see main)

    params = parse_query(args.query)
    headers = parse_headers(args.header)
    body = read_body(args.body, sys.stdin)
    if args.access is not None and settings.pass_phrase is None:
        raise UsageError("--access needs ONLYONCE_PASS_PHRASE")
    async with make_client(settings) as client:
        try:
            if args.access is not None:
                assert settings.pass_phrase is not None  # checked above
                await client.profiles.enable_access(args.access, settings.pass_phrase)
            decoded = await client.request(
                args.method.upper(),
                args.path,
                params=params or None,
                headers=headers or None,
                json=body,
            )
        except OnlyOnceError:
            raise
        except (ValueError, TypeError) as exc:
            # Refused before sending: a bad profile id, an absolute URL to another origin.
            raise UsageError(str(exc)) from None
    if decoded is not None:
        # JSON escapes line breaks and ESC inside strings, so every "\n" here is structure;
        # printable escapes what JSON leaves raw (DEL, C1 controls, bidirectional overrides).
        text = json.dumps(decoded, indent=2, ensure_ascii=False)
        out.write("".join(f"{printable(line)}\n" for line in text.split("\n")))
    return 0
