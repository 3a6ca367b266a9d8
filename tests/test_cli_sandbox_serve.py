"""
``onlyonce sandbox serve``: options described, accounts from a file or the environment.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from onlyonce_async._cli import main
from tests._support.processes import ROOT, running, sandbox_serve


def test_help_describes_every_option_with_default_and_format(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every option has a description; every valued one its format and default."""
    with pytest.raises(SystemExit) as info:
        main(["sandbox", "serve", "--help"])
    assert info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for option, metavar, default in [
        ("--host", "ADDRESS", "default: 127.0.0.1"),
        ("--port", "PORT", "default: 8080"),
        ("--rate-limit", "LIMIT/PERIOD", "default: 60/60"),
        ("--seed", "N", "default: 0"),
    ]:
        assert re.search(rf"{option} {re.escape(metavar)} [^-][^(]*\({default}", text), option
    assert re.search(r"--seed-users FILE create the accounts", text)
    assert "ONLYONCE_SANDBOX_USERS" in text and "email:password:pass phrase" in text


def _serve(args: list[str], env: dict[str, str]) -> tuple[list[str], str]:
    """Start the sandbox server; its start-up lines up to the URL, and its stderr."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    lines: list[str] = []
    with running(sandbox_serve(*args), environment, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.strip())
            if line.startswith("http://"):
                break
        process.terminate()
        _, err = process.communicate(timeout=30)
    return lines, err


def test_accounts_from_the_environment_and_a_file(tmp_path: Path) -> None:
    """Accounts come from ONLYONCE_SANDBOX_USERS and --seed-users files, with no warning."""
    users = tmp_path / "users.txt"
    users.write_text("# test accounts\nb@example.com:pw-b:phrase b\n\n", encoding="utf-8")
    lines, err = _serve(
        ["--seed-users", str(users)], {"ONLYONCE_SANDBOX_USERS": "a@example.com:pw-a:pp a"}
    )
    assert [line.split(":")[0] for line in lines[:-1]] == [
        "user a@example.com",
        "user b@example.com",
    ]
    assert lines[-1].startswith("http://127.0.0.1:")
    assert "warning" not in err


def test_seed_user_argument_still_works_with_a_warning() -> None:
    """The old --seed-user form creates the account and warns about process lists."""
    lines, err = _serve(["--seed-user", "c@example.com:pw-c:pp"], {})
    assert lines[0].startswith("user c@example.com:")
    assert "--seed-user shows passwords" in err and "ONLYONCE_SANDBOX_USERS" in err


def test_bad_account_line_is_named_not_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A malformed line is reported by file and number; its text (a password) is not."""
    users = tmp_path / "users.txt"
    users.write_text("ok@example.com:pw:pp\nno-colons-secret-pw\n", encoding="utf-8")
    with pytest.raises(SystemExit) as info:
        main(["sandbox", "serve", "--port", "0", "--seed-users", str(users)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert f"{users}, line 2: expected email:password:pass phrase" in err
    assert "secret-pw" not in err


@pytest.mark.parametrize(
    ("second", "message"),
    [
        pytest.param("A@Example.com:pw-2:pp 2", "'A@Example.com' is taken", id="duplicate"),
        pytest.param("no-at-sign:pw-2:pp 2", "invalid fields ['email']", id="bad-email"),
    ],
)
def test_account_that_cannot_be_created_is_one_line_before_serving(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], second: str, message: str
) -> None:
    """The same email twice (case aside) or a bad one: one line naming it, no password."""
    users = tmp_path / "users.txt"
    users.write_text(f"a@example.com:pw-1-secret:pp 1\n{second}-secret\n", encoding="utf-8")
    with pytest.raises(SystemExit) as info:
        main(["sandbox", "serve", "--port", "0", "--seed-users", str(users)])
    assert info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # no account announced, no URL: nothing was served
    (line,) = captured.err.splitlines()[-1:]
    assert line.startswith("onlyonce sandbox serve: error: ") and message in line
    assert "secret" not in captured.err and "pp " not in captured.err


@pytest.mark.parametrize("port", ["99999", "65536", "-1", "http"])
def test_port_out_of_range_is_a_usage_error(capsys: pytest.CaptureFixture[str], port: str) -> None:
    """A --port outside 0..65535 is refused by the parser, before any account or socket."""
    with pytest.raises(SystemExit) as info:
        main(["sandbox", "serve", "--port", port])
    assert info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    line = captured.err.splitlines()[-1]
    assert line.startswith("onlyonce sandbox serve: error: argument --port: ")
    assert "0 to 65535" in line and port in line
