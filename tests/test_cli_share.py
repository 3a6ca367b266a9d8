"""
``onlyonce share`` in-process against the sandbox: reruns send nobody a second request, the
pre-flight check, ``--output`` across runs, journal options and their errors.
"""

from __future__ import annotations

import argparse
import codecs
import csv
import functools
import io
import sys
import uuid
from pathlib import Path

import anyio
import pytest

from onlyonce_async import ShareOutcome
from onlyonce_async._cli import main
from onlyonce_async._cli._recipients import RESULT_COLUMNS, ResultFile
from onlyonce_async._cli._settings import UsageError, build_client
from onlyonce_async._cli._share import default_journal, resume_command
from onlyonce_async.testing import BASE_URL, Sandbox
from tests._support.served_sandbox import Job, create_job


class World:
    """A sandbox with one job, and ``onlyonce share`` run in-process against it."""

    def __init__(self, directory: Path, recipients: int = 6) -> None:
        self.sandbox = Sandbox(rate_limit=None)
        self.job: Job = anyio.run(create_job, self.sandbox, recipients)
        self.directory = directory
        self.recipients_file = directory / "recipients.csv"
        self.write_recipients(self.job.recipients)

    def write_recipients(self, ids: list[uuid.UUID], path: Path | None = None) -> Path:
        path = self.recipients_file if path is None else path
        path.write_text("recipient_id\n" + "".join(f"{r}\n" for r in ids))
        return path

    def share(self, *extra: str, recipients: Path | None = None) -> tuple[int, str]:
        """Run ``onlyonce share`` for the job; the exit status and stdout."""
        argv = [
            "share",
            "--card",
            str(self.job.card_id),
            "--sender",
            str(self.job.sender.profile_id),
            "--recipients",
            str(self.recipients_file if recipients is None else recipients),
            *extra,
        ]
        env = {
            "ONLYONCE_BASE_URL": BASE_URL,
            "ONLYONCE_USERNAME": self.job.sender.email,
            "ONLYONCE_PASSWORD": self.job.sender.password,
            "ONLYONCE_PASS_PHRASE": self.job.sender.pass_phrase,
        }
        out = io.StringIO()
        factory = functools.partial(build_client, transport=self.sandbox.transport())
        status = main(argv, environ=env, client_factory=factory, stdout=out)
        return status, out.getvalue()

    def requests_by_recipient(self) -> dict[uuid.UUID, int]:
        counts: dict[uuid.UUID, int] = {}
        for r in self.sandbox.share_requests():
            if r.sender_id == self.job.sender.profile_id and r.card_id == self.job.card_id:
                counts[r.recipient_id] = counts.get(r.recipient_id, 0) + 1
        return counts


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    """A fresh job, run from a fresh current directory (where the default journal goes)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ONLYONCE_REDIS_URL", raising=False)
    return World(tmp_path)


def _rows(text: str) -> dict[str, dict[str, str]]:
    rows = list(csv.DictReader(io.StringIO(text)))
    by_recipient = {row["recipient_id"]: row for row in rows}
    assert len(by_recipient) == len(rows), "one row per recipient"
    return by_recipient


@pytest.mark.parametrize("journal", [[], ["--no-journal"]], ids=["journal", "no-journal"])
def test_running_share_twice_sends_nobody_a_second_request(
    world: World, journal: list[str]
) -> None:
    """The issue's defect: the same command run again gave every recipient a second request."""
    assert world.share(*journal)[0] == 0
    status, out = world.share(*journal)
    assert status == 0
    assert world.requests_by_recipient() == dict.fromkeys(world.job.recipients, 1)
    rows = _rows(out)
    assert set(rows) == {str(r) for r in world.job.recipients}
    assert all(row["ok"] == "true" and row["skipped"] == "true" for row in rows.values())
    assert all(uuid.UUID(row["request_id"]) for row in rows.values())


def test_default_journal_is_named_after_sender_and_card(world: World) -> None:
    """Without options the journal is a file in the current directory, named after the job."""
    world.share()
    sender, card = world.job.sender.profile_id, world.job.card_id
    expected = default_journal(sender, card)
    assert expected.name == f"onlyonce-share-{sender}-{card}.sqlite"
    assert (world.directory / expected).is_file()


def test_no_journal_writes_no_file(world: World) -> None:
    """--no-journal keeps nothing on disk."""
    assert world.share("--no-journal")[0] == 0
    assert not list(world.directory.glob("*.sqlite*"))


def test_journal_path_option(world: World) -> None:
    """--journal PATH puts the journal there, and a rerun with it resumes."""
    journal = world.directory / "jobs" / "j.sqlite"
    journal.parent.mkdir()
    assert world.share("--journal", str(journal))[0] == 0
    assert journal.is_file()
    status, out = world.share("--journal", str(journal))
    assert status == 0 and all(r["skipped"] == "true" for r in _rows(out).values())


@pytest.mark.parametrize("bad", ["card", "sender"])
def test_preflight_refuses_a_wrong_card_or_sender_once(
    world: World, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    """A wrong --card (or --sender) is one clear error before the recipients are read."""
    wrong = str(uuid.uuid4())
    card = wrong if bad == "card" else str(world.job.card_id)
    sender = wrong if bad == "sender" else str(world.job.sender.profile_id)
    status = main(
        [
            "share",
            "--card",
            card,
            "--sender",
            sender,
            "--recipients",
            str(world.directory / "no-such-file.csv"),  # not read: the check comes first
        ],
        environ={
            "ONLYONCE_BASE_URL": BASE_URL,
            "ONLYONCE_USERNAME": world.job.sender.email,
            "ONLYONCE_PASSWORD": world.job.sender.password,
            "ONLYONCE_PASS_PHRASE": world.job.sender.pass_phrase,
        },
        client_factory=functools.partial(build_client, transport=world.sandbox.transport()),
        stdout=io.StringIO(),
    )
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("onlyonce: error:") == 1
    assert f"--{bad} {wrong}" in err and "no-such-file" not in err
    assert world.sandbox.share_requests() == []
    assert not list(world.directory.glob("*.sqlite*"))  # no journal for a job that is not


def test_output_keeps_the_rows_of_earlier_runs(world: World) -> None:
    """--output holds one row per recipient of the whole job, across runs."""
    output = world.directory / "results.csv"
    first, rest = world.job.recipients[:2], world.job.recipients[2:]
    part = world.write_recipients(first, world.directory / "part.csv")
    assert world.share("--output", str(output), recipients=part)[0] == 0
    earlier = _rows(output.read_text())
    assert set(earlier) == {str(r) for r in first}
    # A run that reaches only the other recipients keeps the earlier rows.
    other = world.write_recipients(rest, world.directory / "rest.csv")
    assert world.share("--output", str(output), recipients=other)[0] == 0
    rows = _rows(output.read_text())
    assert set(rows) == {str(r) for r in world.job.recipients}
    assert all(rows[str(r)] == earlier[str(r)] for r in first)
    # The whole job again: one row each, the earlier ones now marked skipped.
    assert world.share("--output", str(output))[0] == 0
    rows = _rows(output.read_text())
    assert set(rows) == {str(r) for r in world.job.recipients}
    assert all(row["skipped"] == "true" and row["ok"] == "true" for row in rows.values())
    assert not (world.directory / "results.csv.partial").exists()
    assert world.requests_by_recipient() == dict.fromkeys(world.job.recipients, 1)


def test_output_saved_by_a_spreadsheet_with_a_bom_keeps_its_rows(world: World) -> None:
    """A results file saved back as "CSV UTF-8" (a BOM first) is still the job's results."""
    output = world.directory / "results.csv"
    first, rest = world.job.recipients[:2], world.job.recipients[2:]
    part = world.write_recipients(first, world.directory / "part.csv")
    assert world.share("--output", str(output), recipients=part)[0] == 0
    output.write_bytes(codecs.BOM_UTF8 + output.read_bytes())
    other = world.write_recipients(rest, world.directory / "rest.csv")
    assert world.share("--output", str(output), recipients=other)[0] == 0
    assert set(_rows(output.read_text(encoding="utf-8"))) == {str(r) for r in world.job.recipients}


def test_output_that_is_not_a_results_file_is_left_alone(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """An existing --output without a recipient_id column is refused and not overwritten."""
    output = world.directory / "notes.csv"
    output.write_text("name,phone\nann,123\n")
    assert world.share("--output", str(output))[0] == 2
    assert "not a results file" in capsys.readouterr().err
    assert output.read_text() == "name,phone\nann,123\n"
    assert world.sandbox.share_requests() == []


def _results_file_unreadable_after_its_header(kind: str) -> bytes:
    """An --output file with a good header and, further down, what csv or UTF-8 refuses."""
    header = ",".join(RESULT_COLUMNS).encode() + b"\n"
    rows = b"".join(
        f"{uuid.UUID(int=n)},true,,PENDING,1,false,,,false,false\n".encode() for n in range(300)
    )
    assert len(header + rows) > 8192  # past the first chunk a text file decodes
    if kind == "huge-field":
        bad = f"{uuid.uuid4()},false,,,1,false,E,{'x' * 200_000},false,false\n".encode()
    else:
        bad = f"{uuid.uuid4()},false,,,1,false,E,caf".encode() + b"\xe9,false,false\n"
    return header + rows + bad


@pytest.mark.parametrize("kind", ["huge-field", "not-utf8"])
def test_output_unreadable_past_its_header_is_refused_before_any_share(
    world: World, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    """An --output the run could not read back in full is one clear error, up front."""
    output = world.directory / "results.csv"
    content = _results_file_unreadable_after_its_header(kind)
    output.write_bytes(content)
    assert world.share("--output", str(output))[0] == 2
    err = capsys.readouterr().err
    assert err.startswith(f"onlyonce: error: --output: cannot read the existing {output}")
    assert err.count("\n") == 1
    assert output.read_bytes() == content
    assert not (world.directory / "results.csv.partial").exists()
    assert world.sandbox.share_requests() == []


@pytest.mark.parametrize("kind", ["huge-field", "not-utf8"])
def test_output_unreadable_at_the_end_keeps_this_runs_rows(tmp_path: Path, kind: str) -> None:
    """An --output spoilt while the job ran: a one-line error naming where the rows are."""
    output = tmp_path / "results.csv"
    output.write_text(",".join(RESULT_COLUMNS) + "\n")
    results = ResultFile.open(output, io.StringIO())
    spoilt = _results_file_unreadable_after_its_header(kind)
    output.write_bytes(spoilt)
    recipient = uuid.uuid4()
    results.write(ShareOutcome(recipient_id=recipient, attempts=1))
    with pytest.raises(UsageError) as info:
        results.finish()
    message = str(info.value)
    assert message.startswith(f"--output: cannot update {output} (")
    assert message.endswith(f"this run's rows are in {output}.partial") and "\n" not in message
    assert output.read_bytes() == spoilt
    assert str(recipient) in _rows((tmp_path / "results.csv.partial").read_text())


def test_output_cannot_be_the_recipients_file(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """The recipients file is never replaced by the results."""
    before = world.recipients_file.read_text()
    assert world.share("--output", str(world.recipients_file))[0] == 2
    assert "--output must not be the --recipients file" in capsys.readouterr().err
    assert world.recipients_file.read_text() == before
    assert world.sandbox.share_requests() == []


@pytest.mark.parametrize("kind", ["directory", "garbage"])
def test_unusable_journal_is_an_error_before_any_share(
    world: World, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    """A journal that cannot be used exits 2 with a clear message, and nothing is sent."""
    journal = world.directory / "journal.sqlite"
    if kind == "directory":
        journal.mkdir()
    else:
        journal.write_bytes(b"this is not an SQLite database, just some bytes" * 100)
    assert world.share("--journal", str(journal))[0] == 2
    err = capsys.readouterr().err
    assert "--journal" in err and "journal" in err.split("--journal", 1)[1]
    assert world.sandbox.share_requests() == []


def test_redis_url_with_a_password_is_refused(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """Credentials never come from arguments: a Redis password in --redis-url is refused."""
    assert world.share("--redis-url", "redis://:s3cret@127.0.0.1:1/0")[0] == 2
    err = capsys.readouterr().err
    assert "ONLYONCE_REDIS_URL" in err and "s3cret" not in err
    assert world.sandbox.share_requests() == []


def test_redis_url_without_the_extra_names_it(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without redis-py, --redis-url says which extra to install."""
    monkeypatch.setitem(sys.modules, "redis.asyncio", None)
    assert world.share("--redis-url", "redis://127.0.0.1:1/0")[0] == 2
    assert "pip install 'onlyonce-async[redis]'" in capsys.readouterr().err


def test_unreachable_redis_is_an_error_before_any_share(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Redis that does not answer exits with a clear error, and nothing is sent."""
    from tests._support.redis_server import free_port

    status, _ = world.share("--redis-url", f"redis://127.0.0.1:{free_port()}/0")
    assert status in (2, 3)
    assert "onlyonce: error:" in capsys.readouterr().err
    assert world.sandbox.share_requests() == []


def test_resume_command_repeats_the_job_with_absolute_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The printed command names the same job and journal, runnable from any directory."""
    monkeypatch.delenv("ONLYONCE_REDIS_URL", raising=False)
    card, sender = uuid.uuid4(), uuid.uuid4()
    args = argparse.Namespace(
        card=str(card),
        sender=str(sender),
        recipients=Path("r.csv"),
        output=Path("out dir/o.csv"),
        concurrency=4,
        redis_url=None,
        no_journal=False,
        journal=None,
        grace=5.0,
    )
    command = resume_command(args, argv0="/usr/bin/onlyonce")
    assert command.startswith(f"onlyonce share --card {card} --sender {sender} --recipients /")
    assert f"'{Path('out dir/o.csv').absolute()}'" in command
    journal = default_journal(sender, card).absolute()
    assert command.endswith(f"--concurrency 4 --journal {journal} --grace 5")
    module = resume_command(args, argv0="/x/onlyonce_async/__main__.py")
    assert module.startswith(f"{sys.executable} -m onlyonce_async share ")
    monkeypatch.setenv("ONLYONCE_REDIS_URL", "redis://:pw@127.0.0.1/0")
    assert resume_command(args).endswith("--concurrency 4 --grace 5")  # Redis, from the env
    args.no_journal = True
    assert resume_command(args).endswith("--concurrency 4 --no-journal --grace 5")


def test_a_share_whose_answer_cannot_be_read_is_written_with_its_id(tmp_path: Path) -> None:
    """A share that exists but whose answer is bad past its id: its row, with no status."""
    output = tmp_path / "results.csv"
    results = ResultFile.open(output, io.StringIO())
    recipient, request_id = uuid.uuid4(), uuid.uuid4()
    results.write(ShareOutcome._sent(recipient, request_id, b'{"sender": "n/a"}', 1))
    results.finish()
    row = _rows(output.read_text())[str(recipient)]
    assert (row["ok"], row["request_id"], row["status"]) == ("true", str(request_id), "")
