"""
One worker process of the durable bulk-share tests (run as a script, prints JSON lines).

Usage::

    python bulk_journal_worker.py CONFIG_JSON

The config names the sandbox's base URL, the owner's credentials, the card, a file of
recipient ids (one a line), the journal (``{"sqlite": PATH}`` or ``{"redis": URL, "key":
KEY}``), its lease and the concurrency. The worker signs in, prints ``ready``, waits for a
line on stdin, then runs ``share_many`` on the journal, printing ``outcome`` after each
outcome and a JSON summary at the end.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import anyio
import anyio.to_thread
from redis.asyncio import Redis

import onlyonce_async as oo
from onlyonce_async import RetryPolicy
from onlyonce_async.redis import RedisJournal


async def _read_recipients(path: str) -> list[str]:
    text = await anyio.Path(path).read_text()
    return [line.strip() for line in text.splitlines() if line.strip()]


def _journal(config: dict[str, Any]) -> tuple[oo.SQLiteJournal | RedisJournal, Redis | None]:
    spec = config["journal"]
    if "sqlite" in spec:
        return oo.SQLiteJournal(spec["sqlite"], lease=config["lease"]), None
    redis = Redis.from_url(spec["redis"])
    return RedisJournal(redis, spec["key"], lease=config["lease"]), redis


async def _main(config: dict[str, Any]) -> None:
    retries = RetryPolicy(initial=0.01, maximum=0.05)
    client = oo.Client(
        base_url=config["base_url"],
        rate_limiter=None,
        allow_insecure_http=True,
        retry_policy=retries,
    )
    journal, redis = _journal(config)
    async with client:
        await client.account.sign_in(config["email"], config["password"])
        await client.profiles.enable_access(config["sender"], config["pass_phrase"])
        recipients = await _read_recipients(config["recipients"])
        print("ready", flush=True)
        await anyio.to_thread.run_sync(sys.stdin.readline)
        summary = {"sent": 0, "skipped": 0, "failed": 0, "unknown": 0, "reconciled": 0}
        async with journal:
            outcomes = client.network.share_many(
                config["card"],
                sender_id=config["sender"],
                recipient_ids=recipients,
                concurrency=config["concurrency"],
                journal=journal,
            )
            async for outcome in outcomes:
                if outcome.unknown:
                    summary["unknown"] += 1
                elif not outcome.ok:
                    summary["failed"] += 1
                elif outcome.skipped:
                    summary["skipped"] += 1
                else:
                    summary["sent"] += 1
                summary["reconciled"] += int(outcome.reconciled)
                print("outcome", flush=True)
        print(json.dumps(summary), flush=True)
    if redis is not None:
        await redis.aclose()


if __name__ == "__main__":
    asyncio.run(_main(json.loads(sys.argv[1])))
