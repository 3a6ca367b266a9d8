"""
One bulk-share job split between several worker processes on one Redis, one of them killed.

The script starts the embedded sandbox over TCP on 127.0.0.1 with a sender, a card and 240
recipients, then starts 3 worker processes (this script with ``--worker``). Every worker
reads the same recipients file and runs the same job with a `RedisJournal` (atomic claims
with leases: the workers split the recipients) and a `RedisRateLimiter` (one quota for all).
Once a third of the shares exist, worker 1 is killed with SIGKILL, mid-share; the others
take over its claims when their lease runs out, look each one up before any resend, and
finish the job. The summary counts the share requests in the sandbox: no recipient has two.

Redis: ``REDIS_URL`` (e.g. ``redis://127.0.0.1:6379/0``; the job's keys are deleted at the
start), else a throw-away ``redis-server`` from PATH on a free port. Options: ``--workers N``
(default 3), ``--recipients N`` (default 240).

Run: ``python examples/bulk_share_workers.py`` (needs
``pip install 'onlyonce-async[testing,redis]'`` and redis-server).

A worker on your own server is the same code: `Client` with your credentials, the one
``RedisRateLimiter`` key and the one ``RedisJournal`` key for the job, and `share_all`. Or,
from the command line on each host: ``onlyonce share --redis-url URL ...``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import anyio

from onlyonce_async import BearerAuth, Client

QUOTA = (60, 1.0)  # the sandbox's quota, scaled: 60 requests per second
JOURNAL_KEY = "onlyonce:example:workers"
QUOTA_KEY = "onlyonce:example:quota"
LEASE = 2.0  # seconds; short, so the killed worker's claims are taken over soon
KILLED = 1


async def worker(args: argparse.Namespace) -> int:
    """
    One worker: share the card with every recipient in the file, on the job's journal and
    quota in Redis. Prints one JSON line with its counts.
    """
    from redis.asyncio import Redis

    from onlyonce_async.redis import RedisJournal, RedisRateLimiter

    env = os.environ
    redis = Redis.from_url(args.redis_url)
    limit, period = QUOTA
    try:
        async with Client(
            base_url=args.base_url,
            auth=BearerAuth.with_credentials(env["ONLYONCE_USERNAME"], env["ONLYONCE_PASSWORD"]),
            # 10 % under the server's quota: scheduling jitter never meets a 429.
            rate_limiter=RedisRateLimiter(redis, QUOTA_KEY, limit, period * 1.1),
        ) as client:
            await client.profiles.enable_access(args.sender, env["ONLYONCE_PASS_PHRASE"])
            ids = (await anyio.Path(args.recipients_file).read_text()).split()
            report = await client.network.share_all(
                args.card,
                sender_id=args.sender,
                recipient_ids=ids,
                concurrency=4,
                journal=RedisJournal(redis, JOURNAL_KEY, lease=LEASE),
            )
    finally:
        await redis.aclose()
    counts = {
        "sent": len(report.succeeded) - report.skipped,
        "skipped": report.skipped,
        "reconciled": report.reconciled,
        "failed": len(report.failed),  # the unknown ones included
        "unknown": len(report.unknown),
    }
    print(json.dumps(counts), flush=True)
    return 0 if not report.failed else 1


@contextlib.contextmanager
def redis_url() -> Iterator[str]:
    """``REDIS_URL``, or a throw-away redis-server on a free port for the block."""
    if url := os.environ.get("REDIS_URL"):
        yield url
        return
    executable = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(executable).exists():
        raise SystemExit(
            "this example needs Redis: set REDIS_URL, or install redis-server "
            "(e.g. apt-get install redis-server, brew install redis)"
        )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="onlyonce-redis-") as directory:
        command = [executable, "--port", str(port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", directory]
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while not _answers(port):
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("redis-server did not start")
                time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            server.terminate()
            server.wait(timeout=10)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


async def clear_job(url: str) -> None:
    """Delete this example's keys, so every run starts a fresh job."""
    from redis.asyncio import Redis

    redis = Redis.from_url(url)
    try:
        keys = [k async for k in redis.scan_iter(match="*onlyonce:example:*")]
        if keys:
            await redis.delete(*keys)
    finally:
        await redis.aclose()


async def run(workers: int, recipients_count: int, url: str) -> int:
    from onlyonce_async.testing import Sandbox

    await clear_job(url)
    sandbox = Sandbox(rate_limit=QUOTA, seed=3)
    sender = sandbox.create_user(email="owner@example.com", password="owner-pw-1", pass_phrase="pp")
    recipients = [
        sandbox.create_user(
            email=f"r{n}@example.com", password="r-pw-1", pass_phrase="rp"
        ).profile_id
        for n in range(recipients_count)
    ]
    async with sandbox.serve_tcp("127.0.0.1", 0) as base_url:
        async with Client(base_url=base_url, rate_limiter=None) as client:
            await client.account.sign_in(sender.email, sender.password)
            await client.profiles.enable_access(sender.profile_id, sender.pass_phrase)
            fields = await client.datastore.get(sender.profile_id)
            card_id = await client.cards.create(
                sender.profile_id, name="Card", fields=[f.id for f in fields if f.id is not None]
            )
        sandbox.faults(error_rate=0.03, statuses=(503,), drop_after_commit=0.03, seed=5)
        print(
            f"{workers} workers share a card with {recipients_count} recipients through the "
            f"sandbox at {base_url} (quota {QUOTA[0]} per {QUOTA[1]:g} s, one Redis journal "
            "and quota; 3 % 503s, 3 % dropped responses)",
            flush=True,
        )
        with tempfile.TemporaryDirectory(prefix="onlyonce-workers-") as directory:
            ids = Path(directory) / "recipients.txt"
            ids.write_text("".join(f"{r}\n" for r in recipients))
            env = {
                **os.environ,
                "ONLYONCE_USERNAME": sender.email,
                "ONLYONCE_PASSWORD": sender.password,
                "ONLYONCE_PASS_PHRASE": sender.pass_phrase,
            }
            command = [sys.executable, __file__, "--worker", "--base-url", base_url]
            command += ["--redis-url", url, "--card", str(card_id)]
            command += ["--sender", str(sender.profile_id), "--recipients-file", str(ids)]
            processes = [
                await anyio.open_process(command, env=env, stderr=None) for _ in range(workers)
            ]
            try:
                # Watch the sandbox's state until a third of the shares exist.
                while len(sandbox.share_requests()) < recipients_count // 3:  # noqa: ASYNC110
                    await anyio.sleep(0.02)
                processes[KILLED].send_signal(signal.SIGKILL)
                print(f"worker {KILLED} killed with SIGKILL, mid-run", flush=True)
                results = []
                for process in processes:
                    await process.wait()
                    assert process.stdout is not None
                    out = b"".join([chunk async for chunk in process.stdout]).decode()
                    results.append((process.returncode, out.strip()))
            finally:
                for process in processes:
                    if process.returncode is None:
                        process.kill()
                        await process.wait()
                    await process.aclose()
        sandbox.faults()

    made = [r for r in sandbox.share_requests() if r.sender_id == sender.profile_id]
    per_recipient = Counter(r.recipient_id for r in made)
    duplicates = sum(n - 1 for n in per_recipient.values())
    total_sent = 0
    for number, (status, out) in enumerate(results):
        if number == KILLED:
            print(f"worker {number}: killed (exit {status})")
            continue
        counts = json.loads(out.splitlines()[-1]) if out else {}
        total_sent += counts.get("sent", 0)
        print(f"worker {number}: exit {status}, {counts}")
    missing = len(set(recipients) - set(per_recipient))
    print(f"share requests in sandbox: {len(made)} for {recipients_count} recipients")
    print(f"sent by the surviving workers: {total_sent} (the rest by worker {KILLED})")
    print(f"recipients without a request: {missing}")
    print(f"duplicates: {duplicates}")
    survivors_ok = all(s == 0 for n, (s, _) in enumerate(results) if n != KILLED)
    return 0 if duplicates == 0 and missing == 0 and survivors_ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].strip())
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--recipients", type=int, default=240)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--redis-url", help=argparse.SUPPRESS)
    parser.add_argument("--card", type=uuid.UUID, help=argparse.SUPPRESS)
    parser.add_argument("--sender", type=uuid.UUID, help=argparse.SUPPRESS)
    parser.add_argument("--recipients-file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return anyio.run(worker, args)
    if args.workers < 2:
        parser.error("--workers must be at least 2 (one of them is killed)")
    with redis_url() as url:
        return anyio.run(run, args.workers, args.recipients, url)


if __name__ == "__main__":
    sys.exit(main())
