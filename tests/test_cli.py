"""
The ``onlyonce`` command line: in-process against the sandbox (through `main`'s client
factory hook) and as real subprocesses against the sandbox served over TCP.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import anyio
import attrs
import pytest

from onlyonce_async._cli import main
from onlyonce_async._cli._settings import build_client
from onlyonce_async.testing import BASE_URL, Sandbox, SandboxUser
from tests._support.processes import running, sandbox_serve
from tests._support.redis_server import free_port

ROOT = Path(__file__).resolve().parents[1]


@attrs.define
class World:
    """A sandbox with a sender (owning a card) and recipients, and a CLI runner for it."""

    sandbox: Sandbox
    sender: SandboxUser
    card_id: uuid.UUID
    recipients: list[uuid.UUID]
    file_id: uuid.UUID

    def env(self, **overrides: str) -> dict[str, str]:
        env = {
            "ONLYONCE_BASE_URL": BASE_URL,
            "ONLYONCE_USERNAME": self.sender.email,
            "ONLYONCE_PASSWORD": self.sender.password,
            "ONLYONCE_PASS_PHRASE": self.sender.pass_phrase,
        }
        env.update(overrides)
        return {k: v for k, v in env.items() if v}

    def run(self, *argv: str, **env: str) -> tuple[int, str]:
        """Run ``onlyonce *argv`` in-process; the exit status and stdout."""
        out = io.StringIO()
        factory = functools.partial(build_client, transport=self.sandbox.transport())
        status = main(list(argv), environ=self.env(**env), client_factory=factory, stdout=out)
        return status, out.getvalue()

    def share(self, recipients: Path, *argv: str, **env: str) -> tuple[int, str]:
        """Run ``onlyonce share`` of this world's card and sender to ``recipients``."""
        return self.run(
            "share",
            "--card",
            str(self.card_id),
            "--sender",
            str(self.sender.profile_id),
            "--recipients",
            str(recipients),
            *argv,
            **env,
        )


async def _set_up(sandbox: Sandbox) -> World:
    sender = sandbox.create_user(email="s@example.com", password="sender-pw-1", pass_phrase="sp")
    recipients = [
        sandbox.create_user(
            email=f"r{n}@example.com", password="r-pw-1", pass_phrase="rp"
        ).profile_id
        for n in range(4)
    ]
    async with sandbox.client() as client:
        await client.account.sign_in(sender.email, sender.password)
        await client.profiles.enable_access(sender.profile_id, sender.pass_phrase)
        fields = await client.datastore.get(sender.profile_id)
        card_id = await client.cards.create(
            sender.profile_id, name="Card", fields=[f.id for f in fields if f.id is not None]
        )
        info = await client.files.upload(sender.profile_id, b"not json", filename="a.txt")
    return World(sandbox, sender, card_id, recipients, info.id)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    """A fresh sandbox world (no rate limit), in a fresh current directory (share's journal)."""
    monkeypatch.chdir(tmp_path)
    return anyio.run(_set_up, Sandbox(rate_limit=None))


def test_api_get_with_query(world: World) -> None:
    """-q parameters reach the API and the JSON answer is printed."""
    status, out = world.run("api", "GET", "/profiles", "-q", "scope=MINE", "-q", "size=1")
    assert status == 0
    page = json.loads(out)
    assert page["total"] == 1 and page["content"][0]["id"] == str(world.sender.profile_id)
    assert out.startswith("{\n  ")  # indented


def test_api_post_json_inline_and_from_file(world: World, tmp_path: Path) -> None:
    """--json takes a body inline or from @file; an empty answer prints nothing."""
    sign_in = json.dumps({"username": world.sender.email, "password": world.sender.password})
    assert world.run("api", "POST", "/signIn", "--json", sign_in) == (0, "")
    body = tmp_path / "share.json"
    share = {
        "cardId": str(world.card_id),
        "sender": {"id": str(world.sender.profile_id)},
        "recipient": {"id": str(world.recipients[0])},
    }
    body.write_text(json.dumps(share))
    access = str(world.sender.profile_id)
    status, out = world.run("api", "post", "/requests", "--json", f"@{body}", "--access", access)
    assert status == 0
    assert json.loads(out)["status"] == "PENDING"
    assert len(world.sandbox.share_requests()) == 1


@pytest.mark.parametrize(
    ("argv", "expected_status", "expected_stderr"),
    [
        pytest.param(["GET", "/nowhere"], 1, "NotFoundError: ", id="404"),
        pytest.param(["POST", "/signIn", "--json", "{}"], 1, "  username: ", id="422-fields"),
        pytest.param(["GET", "/x", "-q", "novalue"], 2, "-q expects KEY=VALUE", id="bad-q"),
        pytest.param(["GET", "/x", "-H", "NoColon"], 2, "-H expects", id="bad-header"),
        pytest.param(["POST", "/x", "--json", "{bad"], 2, "invalid JSON", id="bad-json"),
        pytest.param(["POST", "/x", "--json", "@/no/such.json"], 2, "cannot read", id="no-file"),
        pytest.param(["POST", "/x", "--json", "[" * 100_000], 2, "nested too deeply", id="deep"),
        pytest.param(["GET", "https://evil.example/v2/x"], 2, "origin", id="other-origin"),
        pytest.param(["GET", "/x", "--access", "nope"], 2, "", id="bad-access-id"),
    ],
)
def test_api_errors(
    world: World,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    expected_status: int,
    expected_stderr: str,
) -> None:
    """API errors exit 1 with the typed error on stderr; bad input exits 2."""
    status, out = world.run("api", *argv)
    err = capsys.readouterr().err
    assert (status, out) == (expected_status, "")
    assert err.startswith("onlyonce: error: ") and expected_stderr in err


def test_api_json_file_nested_too_deeply_is_a_usage_error(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--json @FILE holding 100,000 nested arrays: one line naming the file, nothing sent."""
    body = tmp_path / "deep.json"
    body.write_text("[" * 100_000 + "]" * 100_000)
    assert world.run("api", "POST", "/x", "--json", f"@{body}") == (2, "")
    err = capsys.readouterr().err
    assert err == f"onlyonce: error: --json: JSON nested too deeply in {body}\n"


def test_api_error_line_names_status(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    """The error line carries the class, the HTTP status and the message."""
    assert world.run("api", "GET", f"/profiles/{uuid.uuid4()}")[0] == 1
    err = capsys.readouterr().err
    assert "NotFoundError" in err and "HTTP 404" in err and "not found" in err


def test_api_undecodable_response_exits_4(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    """A 2xx answer that is not JSON exits 4."""
    profile = world.sender.profile_id
    url = f"/profiles/{profile}/files/{world.file_id}/download"
    assert world.run("api", "GET", url, "--access", str(profile)) == (4, "")
    assert "DecodeError" in capsys.readouterr().err


def test_network_error_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    """Nothing listening at the base URL exits 3."""
    env = {"ONLYONCE_BASE_URL": f"http://127.0.0.1:{free_port()}/v2/"}
    assert main(["api", "GET", "/heartbeat"], environ=env) == 3
    assert "TransportError" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("env", "message"),
    [
        pytest.param(
            {"ONLYONCE_PASSWORD": ""}, "set both ONLYONCE_USERNAME", id="half-credentials"
        ),
        pytest.param({"ONLYONCE_TOKEN": "t"}, "only one kind", id="two-kinds"),
        pytest.param(
            {
                "ONLYONCE_USERNAME": "",
                "ONLYONCE_PASSWORD": "",
                "ONLYONCE_API_KEY": "k",
                "ONLYONCE_PRIVATE_KEY": "/no/such.pem",
            },
            "no such file",
            id="missing-key-file",
        ),
        pytest.param(
            {
                "ONLYONCE_USERNAME": "",
                "ONLYONCE_PASSWORD": "",
                "ONLYONCE_API_KEY": "k",
                "ONLYONCE_PRIVATE_KEY": "/",
            },
            "a directory, not a key file",
            id="key-path-a-directory",
        ),
        pytest.param(
            {"ONLYONCE_BASE_URL": "http://example.com/v2/"}, "--allow-insecure-http", id="insecure"
        ),
    ],
)
def test_bad_environment_exits_2(
    world: World, capsys: pytest.CaptureFixture[str], env: dict[str, str], message: str
) -> None:
    """Incomplete, conflicting or unusable settings exit 2 with a clear message."""
    assert world.run("api", "GET", "/heartbeat", **env) == (2, "")
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["api", "GET", "/x", "--token", "t"], id="token"),
        pytest.param(["api", "GET", "/x", "--password", "p"], id="password"),
        pytest.param(
            ["share", "--card", "c", "--sender", "s", "--recipients", "f", "--pass-phrase", "p"],
            id="pass-phrase",
        ),
        pytest.param(["api", "GET", "/x", "-H", "Secret-Key: p"], id="secret-header"),
        pytest.param(["api", "GET", "/x", "-H", "authorization: Bearer t"], id="auth-header"),
    ],
)
def test_credentials_are_never_arguments(world: World, argv: list[str]) -> None:
    """No option or header takes a credential: each is refused as a usage error."""
    try:
        status, _ = world.run(*argv)
    except SystemExit as exc:  # argparse refuses unknown options itself
        status = int(str(exc.code))
    assert status == 2


def test_help_documents_environment(capsys: pytest.CaptureFixture[str]) -> None:
    """--help lists the credential variables and exit statuses."""
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for name in ("ONLYONCE_TOKEN", "ONLYONCE_USERNAME", "ONLYONCE_API_KEY", "ONLYONCE_PASS_PHRASE"):
        assert name in out
    assert "exit status" in out


def _results(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_share_from_csv_with_header(world: World, tmp_path: Path) -> None:
    """A header-named column is read; one result row and one request per distinct recipient."""
    recipients = tmp_path / "recipients.csv"
    ids = [str(r) for r in world.recipients]
    rows = [
        "name,recipient_id",
        *(f"n{i},{r}" for i, r in enumerate(ids)),
        "",
        f"dup,{ids[0]}",
        "bad,not-a-uuid",
    ]
    recipients.write_text("\n".join(rows) + "\n")
    output = tmp_path / "results.csv"
    status, _ = world.share(recipients, "--output", str(output), "--concurrency", "3")
    assert status == 1  # the invalid id failed
    results = {row["recipient_id"]: row for row in _results(output)}
    assert set(results) == {*ids, "not-a-uuid"}
    for r in ids:
        assert results[r]["ok"] == "true" and results[r]["status"] == "PENDING"
        assert uuid.UUID(results[r]["request_id"]) and results[r]["attempts"] == "1"
        assert results[r]["reconciled"] == "false" and results[r]["error"] == ""
    assert results["not-a-uuid"]["ok"] == "false"
    assert results["not-a-uuid"]["error_type"] == "InvalidRecipientError"
    created = [str(r.recipient_id) for r in world.sandbox.share_requests()]
    assert sorted(created) == sorted(ids)


def test_share_one_id_per_line_to_stdout(world: World, tmp_path: Path) -> None:
    """A plain list of ids works, results go to stdout, and success exits 0."""
    recipients = tmp_path / "ids.txt"
    recipients.write_text("".join(f"{r}\n" for r in world.recipients))
    status, out = world.share(recipients)
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert sorted(r["recipient_id"] for r in rows) == sorted(map(str, world.recipients))
    assert all(r["ok"] == "true" for r in rows)
    assert len(world.sandbox.share_requests()) == len(world.recipients)


@pytest.mark.parametrize(
    "header", ["", "recipient_id\n", "name,id\n"], ids=["ids", "header", "two"]
)
def test_share_recipients_file_starting_with_a_bom(
    world: World, tmp_path: Path, header: str
) -> None:
    """A UTF-8 BOM (Excel's "CSV UTF-8") never becomes part of the first id, whatever the shape."""
    recipients = tmp_path / "excel.csv"
    prefix = "x," if "," in header else ""
    lines = header + "".join(f"{prefix}{r}\n" for r in world.recipients)
    recipients.write_bytes(codecs.BOM_UTF8 + lines.encode("utf-8"))
    status, out = world.share(recipients)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["error"] for r in rows if r["ok"] != "true"] == []
    assert status == 0
    assert sorted(r["recipient_id"] for r in rows) == sorted(map(str, world.recipients))
    assert len(world.sandbox.share_requests()) == len(world.recipients)


@pytest.mark.parametrize(
    ("content", "env", "message"),
    [
        pytest.param("a,b\n1,2\n", {}, "none named recipient_id", id="no-id-column"),
        pytest.param("x,id\n1\n", {}, "no column 2", id="short-row"),
        pytest.param(None, {}, "cannot open", id="missing-file"),
        pytest.param("", {"ONLYONCE_PASS_PHRASE": ""}, "ONLYONCE_PASS_PHRASE", id="no-phrase"),
        pytest.param(
            "",
            {"ONLYONCE_USERNAME": "", "ONLYONCE_PASSWORD": ""},
            "credentials",
            id="no-credentials",
        ),
        pytest.param('"unclosed\n', {}, "", id="odd-quoting"),
    ],
)
def test_share_bad_input_exits_2(
    world: World,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str | None,
    env: dict[str, str],
    message: str,
) -> None:
    """Bad CSV, a missing file, or missing settings exit 2 and share nothing."""
    recipients = tmp_path / "r.csv"
    if content is not None:
        recipients.write_text(content)
    status, _ = world.share(recipients, **env)
    err = capsys.readouterr().err
    if content == '"unclosed\n':
        # csv reads an unclosed quote as a field: one invalid recipient, not a crash.
        assert status == 1
    else:
        assert status == 2 and message in err
    assert world.sandbox.share_requests() == []


def test_sandbox_serve_without_testing_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without the testing extra, sandbox serve explains what to install."""
    monkeypatch.setitem(sys.modules, "onlyonce_async.testing.__main__", None)
    assert main(["sandbox", "serve", "--port", "0"]) == 2
    assert "pip install 'onlyonce-async[testing]'" in capsys.readouterr().err


@pytest.fixture
def served_sandbox() -> Iterator[str]:
    """``python -m onlyonce_async sandbox serve --port 0`` running; yields its base URL."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = sandbox_serve("--rate-limit", "off")
    with running(command, env, stderr=subprocess.DEVNULL) as process:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        yield url


def test_subprocess_api_against_served_sandbox(served_sandbox: str) -> None:
    """`python -m onlyonce_async api GET /heartbeat` answers from `sandbox serve` over TCP."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONLYONCE_")}
    env.update(PYTHONPATH=str(ROOT), ONLYONCE_BASE_URL=served_sandbox)
    result = subprocess.run(
        [sys.executable, "-m", "onlyonce_async", "api", "GET", "/heartbeat"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["nodeName"].startswith("onlyonce-sandbox")
