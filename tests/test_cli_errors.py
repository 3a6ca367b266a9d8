"""
The command line's errors say what to do, and never print raw network text or a secret.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import uuid
from typing import Any

import anyio
import httpx
import pytest

from onlyonce_async import BadRequestError, ShareOutcome
from onlyonce_async import _auth as auth_module
from onlyonce_async._cli import main
from onlyonce_async._cli._recipients import RESULT_COLUMNS, ResultWriter
from onlyonce_async._cli._settings import build_client
from onlyonce_async._cli._text import printable
from onlyonce_async.testing import BASE_URL, Sandbox
from tests.redis_server import free_port

from .test_cli import World, _set_up

HOSTILE = "bad\n\x1b[2Jonlyonce: shared with 1000 of 1000\r\x9b31m\u202egnp.exe\u2028x\x7f"


@pytest.fixture
def world() -> World:
    """A fresh sandbox world (no rate limit), as in test_cli."""
    return anyio.run(_set_up, Sandbox(rate_limit=None))


def _stderr_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return capsys.readouterr().err.splitlines()


def test_no_credentials_names_the_variables(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 401 with no credentials set says which environment variables to set."""
    status, _ = world.run("api", "GET", "/profiles", ONLYONCE_USERNAME="", ONLYONCE_PASSWORD="")
    err = capsys.readouterr().err
    assert status == 1
    assert "UnauthorizedError" in err
    assert "ONLYONCE_TOKEN" in err and "ONLYONCE_USERNAME and ONLYONCE_PASSWORD" in err


def test_refused_credentials_say_so(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    """A wrong password is reported as refused credentials, without the password."""
    status, _ = world.run("api", "GET", "/profiles", ONLYONCE_PASSWORD="not-the-password")
    err = capsys.readouterr().err
    assert status == 1
    assert "credentials were refused" in err and "not-the-password" not in err


def test_a_401_about_the_request_does_not_blame_the_credentials(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A 401 "wrong-request-status" is about the share request: no credentials hint."""
    body = {"status": "wrong-request-status", "message": "Wrong request status"}
    assert _run_against(lambda _: httpx.Response(401, json=body), "api", "PUT", "/x")[0] == 1
    lines = _stderr_lines(capsys)
    assert "WrongRequestStatusError" in lines[0] and len(lines) == 1


def test_404_shows_the_requested_url(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    """A 404 from a wrong base path shows the URL that was requested (no query)."""
    wrong = BASE_URL.replace("/v2/", "/api/v3/")
    status, _ = world.run(
        "api",
        "GET",
        "/heartbeat",
        "-q",
        "a=1",
        ONLYONCE_BASE_URL=wrong,
        ONLYONCE_USERNAME="",
        ONLYONCE_PASSWORD="",
    )
    err = capsys.readouterr().err
    assert status == 1
    assert f"requested GET {wrong}heartbeat" in err and "a=1" not in err
    assert "ONLYONCE_BASE_URL" in err


def test_server_down_names_the_host(capsys: pytest.CaptureFixture[str]) -> None:
    """Nothing listening: the error names the host and port it tried."""
    port = free_port()
    env = {"ONLYONCE_BASE_URL": f"http://127.0.0.1:{port}/v2/"}
    assert main(["api", "GET", "/heartbeat"], environ=env) == 3
    (line,) = _stderr_lines(capsys)
    assert "TransportError" in line and f"host 127.0.0.1, port {port}" in line


def test_plain_http_to_another_host_names_the_flag(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """http:// to a remote host is refused with the CLI's own way out, which works."""
    url = "http://sandbox.example/v2/"
    assert world.run("api", "GET", "/heartbeat", ONLYONCE_BASE_URL=url) == (2, "")
    err = capsys.readouterr().err
    assert "--allow-insecure-http" in err and "allow_insecure_http=True" not in err
    status, out = world.run(
        "--allow-insecure-http", "api", "GET", "/heartbeat", ONLYONCE_BASE_URL=url
    )
    assert status == 0 and json.loads(out)["nodeName"]


def test_wrong_pass_phrase_says_pass_phrase(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """A refused pass phrase is called a pass phrase, and names its variable."""
    profile = str(world.sender.profile_id)
    status, _ = world.run(
        "api", "GET", f"/profiles/{profile}", "--access", profile, ONLYONCE_PASS_PHRASE="wrong"
    )
    err = capsys.readouterr().err
    assert status == 1
    assert "WrongSecretKeyError" in err and "pass phrase" in err and "ONLYONCE_PASS_PHRASE" in err


@pytest.mark.parametrize(
    "name",
    [
        "ONLYONCE_TOKEN",
        "ONLYONCE_USERNAME",
        "ONLYONCE_PASSWORD",
        "ONLYONCE_PASS_PHRASE",
        "ONLYONCE_API_KEY",
        "ONLYONCE_BASE_URL",
    ],
)
@pytest.mark.parametrize("bad", ["\r", "\n", "\x1b", "\x00", "\x85"])
def test_control_character_in_a_variable_is_named_not_shown(
    capsys: pytest.CaptureFixture[str], name: str, bad: str
) -> None:
    """A variable holding a control character (a CR/LF from a file) is refused by name; its
    value is never echoed."""
    secret = "s3cr3t-value"
    environ = {name: f"{secret}{bad}"}
    assert main(["api", "GET", "/heartbeat"], environ=environ) == 2
    (line,) = _stderr_lines(capsys)
    assert name in line and "control character" in line and secret not in line


def test_credential_refused_by_the_sdk_is_one_clean_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A ValueError from an auth constructor becomes a one-line error naming the variable,
    without the SDK's message (which could quote the value)."""

    def refusing(token: str) -> Any:
        raise ValueError(f"token {token!r} is not acceptable")

    monkeypatch.setattr(auth_module, "BearerAuth", refusing)
    assert main(["api", "GET", "/heartbeat"], environ={"ONLYONCE_TOKEN": "tok-123"}) == 2
    (line,) = _stderr_lines(capsys)
    assert "ONLYONCE_TOKEN" in line and "tok-123" not in line


def _run_against(handler: Any, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    factory = functools.partial(build_client, transport=httpx.MockTransport(handler))
    environ = {"ONLYONCE_BASE_URL": BASE_URL, "ONLYONCE_TOKEN": "t"}
    status = main(list(argv), environ=environ, client_factory=factory, stdout=out)
    return status, out.getvalue()


def test_server_message_cannot_forge_lines_or_drive_the_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Line breaks and escape sequences in an error message are printed escaped, on the one
    error line."""
    status, _ = _run_against(
        lambda _: httpx.Response(400, json={"message": HOSTILE}), "api", "GET", "/x"
    )
    err = capsys.readouterr().err
    assert status == 1
    assert err.count("\n") == 1 and err.startswith("onlyonce: error: BadRequestError")
    assert not any(c in err for c in "\r\x1b\x9b\u202e\u2028\x7f")
    assert "bad\\u000a\\u001b[2Jonlyonce: shared with 1000" in err


def test_field_errors_from_the_server_are_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    """422 field names and messages are escaped too, one detail line each."""
    body = {"errors": {"na\nme": [HOSTILE]}}
    status, _ = _run_against(lambda _: httpx.Response(422, json=body), "api", "POST", "/x")
    lines = _stderr_lines(capsys)
    assert status == 1 and len(lines) == 2
    assert lines[1].startswith("  na\\u000ame: bad\\u000a")


def test_json_output_escapes_what_json_leaves_raw() -> None:
    """The printed JSON holds no raw control or format character, and still parses to the
    server's value."""
    status, out = _run_against(
        lambda _: httpx.Response(200, json={"name": HOSTILE}), "api", "GET", "/x"
    )
    assert status == 0
    assert not any(c in out for c in "\r\x1b\x9b\u202e\u2028\x7f")
    assert json.loads(out) == {"name": HOSTILE}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("plain text, accents é and emoji 🎉", None, id="unchanged"),
        pytest.param("a\nb\tc\x1b", "a\\u000ab\\u0009c\\u001b", id="c0"),
        pytest.param("\x7f\x85\x9b", "\\u007f\\u0085\\u009b", id="del-c1"),
        pytest.param("\u202e\u2028\u200b", "\\u202e\\u2028\\u200b", id="format-separators"),
        pytest.param("\U000f0000", "\\udb80\\udc00", id="astral-private-use"),
    ],
)
def test_printable(text: str, expected: str | None) -> None:
    """Printable text passes unchanged; everything else is escaped as JSON would."""
    assert printable(text) == (text if expected is None else expected)
    assert printable(text).isprintable()


def test_share_results_escape_the_servers_error_message() -> None:
    """A failed recipient's error message from the server is escaped in the results CSV."""
    out = io.StringIO()
    writer = ResultWriter(out)
    error = BadRequestError(HOSTILE, status_code=400)
    writer.write(ShareOutcome(recipient_id=uuid.uuid4(), error=error, attempts=1))
    text = out.getvalue()
    assert not any(c in text for c in "\r\x1b\x9b\u202e\u2028\x7f")
    (header, row) = list(csv.reader(io.StringIO(text)))
    assert header == list(RESULT_COLUMNS)
    assert row[header.index("error")].startswith("bad\\u000a\\u001b[2J")
