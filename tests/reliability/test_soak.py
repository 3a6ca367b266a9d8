"""
Fault soak: thousands of mixed typed calls over TCP against a sandbox that fails on purpose.

Every call must end in a result or a typed `OnlyOnceError`; nothing may hang, leak a
connection, a task or limiter quota; a bulk share running through the same faults must
leave exactly one share request per recipient.
"""

from __future__ import annotations

import asyncio
import collections
import os
import random
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import attrs
import psutil
import pytest

from onlyonce_async import (
    BearerAuth,
    Client,
    FieldValue,
    OnlyOnceError,
    SlidingWindowRateLimiter,
)
from onlyonce_async.testing import Sandbox, SandboxUser
from tests._support.backends import asyncio_backend  # noqa: F401 (uvicorn needs asyncio)
from tests._support.clocks import SwitchableClock
from tests._support.helpers import FAST_RETRIES, assert_whole_quota_free

pytestmark = pytest.mark.anyio

CALLS = 5_000
CONCURRENCY = 32
RECIPIENTS = 1_000
#: The client's own limiter: used on every attempt, but high enough not to throttle.
LIMIT, PERIOD = 5_000, 1.0


def client_connections(port: int) -> int:
    """This process's TCP connections to the server port (client ends only)."""
    me = psutil.Process(os.getpid())
    return sum(1 for c in me.net_connections(kind="tcp") if c.raddr and c.raddr.port == port)


@attrs.define
class World:
    """The state the mixed calls work on."""

    alice: SandboxUser
    bob: SandboxUser
    field_ids: list[uuid.UUID]
    card_id: uuid.UUID
    file_id: uuid.UUID
    notes: list[uuid.UUID] = attrs.field(factory=list)


Op = Callable[[Client, World, random.Random], Awaitable[Any]]


async def _add_note(c: Client, w: World, rng: random.Random) -> None:
    note_id = await c.profiles.add_note(
        w.alice.profile_id, owner_id=w.alice.profile_id, type="soak", text=f"n{rng.random()}"
    )
    w.notes.append(note_id)


async def _update_note(c: Client, w: World, rng: random.Random) -> None:
    notes = await c.profiles.list_notes(w.alice.profile_id, owner_id=w.alice.profile_id)
    if notes:
        note = rng.choice(notes)
        await c.profiles.update_note(w.alice.profile_id, attrs.evolve(note, text="edited"))


async def _delete_note(c: Client, w: World, rng: random.Random) -> None:
    if w.notes:
        await c.profiles.delete_note(w.alice.profile_id, w.notes.pop(rng.randrange(len(w.notes))))


async def _first_page(c: Client, w: World, rng: random.Random) -> None:
    async for _ in c.network.list_requests(w.alice.profile_id, page_size=20).pages():
        break


async def _save_field(c: Client, w: World, rng: random.Random) -> None:
    value = FieldValue(definition_name="nickname_field", value=f"nick{rng.randrange(100)}")
    await c.datastore.save_fields(w.alice.profile_id, [value])


MIX: list[tuple[int, str, Op]] = [
    (10, "heartbeat", lambda c, w, r: c.heartbeat()),
    (10, "profiles.get", lambda c, w, r: c.profiles.get(w.alice.profile_id)),
    (5, "profiles.list", lambda c, w, r: c.profiles.list(scope="MINE").collect()),
    (6, "notes.add", _add_note),
    (
        6,
        "notes.list",
        lambda c, w, r: c.profiles.list_notes(w.alice.profile_id, owner_id=w.alice.profile_id),
    ),
    (4, "notes.update", _update_note),
    (4, "notes.delete", _delete_note),
    (10, "datastore.get", lambda c, w, r: c.datastore.get(w.alice.profile_id)),
    (4, "datastore.save", _save_field),
    (8, "cards.list", lambda c, w, r: c.cards.list(w.alice.profile_id, scope="MINE")),
    (8, "cards.get", lambda c, w, r: c.cards.get(w.alice.profile_id, w.card_id)),
    (
        3,
        "cards.create",
        lambda c, w, r: c.cards.create(
            w.alice.profile_id, name=f"c{r.random()}", fields=w.field_ids[:1]
        ),
    ),
    (
        4,
        "network.share",
        lambda c, w, r: c.network.share(
            w.card_id, sender_id=w.alice.profile_id, recipient_id=w.bob.profile_id
        ),
    ),
    (6, "network.list_requests", _first_page),
    (6, "files.info", lambda c, w, r: c.files.info(w.file_id)),
    (2, "dictionaries.list", lambda c, w, r: c.dictionaries.list("country_field")),
]


async def _set_up(sandbox: Sandbox, client: Client) -> tuple[World, uuid.UUID]:
    alice = sandbox.create_user(email="alice@example.com", password="pw-a", pass_phrase="pp-a")
    bob = sandbox.create_user(email="bob@example.com", password="pw-b", pass_phrase="pp-b")
    client.auth = BearerAuth(sandbox.sign_in(alice))
    await client.profiles.enable_access(alice.profile_id, alice.pass_phrase)
    fields = await client.datastore.get(alice.profile_id)
    field_ids = [f.id for f in fields if f.id is not None]
    card_id = await client.cards.create(alice.profile_id, name="soak", fields=field_ids[:2])
    bulk_card = await client.cards.create(alice.profile_id, name="bulk", fields=field_ids[:1])
    info = await client.files.upload(alice.profile_id, b"%PDF-1.4 soak", filename="cv.pdf")
    world = World(alice=alice, bob=bob, field_ids=field_ids, card_id=card_id, file_id=info.id)
    return world, bulk_card


def _new_tasks(before: set[asyncio.Task[Any]]) -> set[asyncio.Task[Any]]:
    """The tasks running now that did not before, this one aside."""
    return asyncio.all_tasks() - before - {asyncio.current_task()}


async def test_fault_soak_over_tcp() -> None:
    """5,000 mixed calls and a 1,000-recipient share_all under faults: typed outcomes only,
    no hang, no leak, no duplicate share."""
    sandbox = Sandbox(rate_limit=None, seed=8)
    recipients = [
        sandbox.create_user(email=f"r{i}@example.com", password="pw", pass_phrase="pp").profile_id
        for i in range(RECIPIENTS)
    ]
    clock = SwitchableClock()
    limiter = SlidingWindowRateLimiter(LIMIT, PERIOD, clock=clock)
    tasks_before = asyncio.all_tasks()
    outcomes: collections.Counter[str] = collections.Counter()
    escapes: list[BaseException] = []
    rng = random.Random(8)
    weights = [w for w, _, _ in MIX]

    with anyio.fail_after(150):  # the global deadline: nothing hangs
        async with sandbox.serve_tcp() as base_url:
            port = int(base_url.rsplit(":", 1)[1].split("/")[0])
            client = Client(
                base_url=base_url,
                rate_limiter=limiter,
                max_retries=3,
                retry_policy=FAST_RETRIES,
                timeout=10.0,
            )
            async with client:
                world, bulk_card = await _set_up(sandbox, client)
                sandbox.faults(
                    error_rate=0.125,
                    statuses=(500, 502, 503, 504, 429),
                    drop_after_commit=0.03,
                    latency=(0.0, 0.02),
                    seed=8,
                )
                stats_before = attrs.evolve(sandbox.stats)
                remaining = CALLS
                peak_connections = 0

                async def worker() -> None:
                    nonlocal remaining, peak_connections
                    while remaining > 0:
                        remaining -= 1
                        op = rng.choices(MIX, weights)[0][2]
                        try:
                            await op(client, world, rng)
                            outcomes["ok"] += 1
                        except OnlyOnceError as error:
                            outcomes[type(error).__name__] += 1
                        except Exception as error:  # counted and asserted below
                            escapes.append(error)
                        if remaining % 500 == 0:
                            peak_connections = max(peak_connections, client_connections(port))

                report = None

                async def bulk() -> None:
                    nonlocal report
                    report = await client.network.share_all(
                        bulk_card,
                        sender_id=world.alice.profile_id,
                        recipient_ids=recipients,
                        concurrency=8,
                    )

                async with anyio.create_task_group() as tg:
                    tg.start_soon(bulk)
                    for _ in range(CONCURRENCY):
                        tg.start_soon(worker)
                faults = attrs.evolve(sandbox.stats)
                sandbox.faults()
                assert report is not None
                failed_first_pass = [o.recipient_id for o in report.failed]
                # Recipients whose share failed outright get a second run, as a caller would.
                again = await client.network.share_all(
                    bulk_card, sender_id=world.alice.profile_id, recipient_ids=failed_first_pass
                )
                assert not again.failed
                assert await client.heartbeat()
            assert client_connections(port) == 0, "connections left open after aclose"

    # The server's connection tasks end once their connections close; wait for that (a
    # leaked task never ends: the hang guard gives up and the assertion below names it).
    with anyio.move_on_after(30):
        while _new_tasks(tasks_before):  # noqa: ASYNC110  # tasks offer no event to wait on
            await anyio.sleep(0.05)
    leaked_tasks = _new_tasks(tasks_before)
    per_recipient = collections.Counter(
        r.recipient_id for r in sandbox.share_requests() if r.card_id == bulk_card
    )
    duplicates = {r: n for r, n in per_recipient.items() if n > 1}

    await assert_whole_quota_free(limiter, clock)  # no phantom slots

    injected = faults.faults_injected - stats_before.faults_injected
    dropped = faults.dropped - stats_before.dropped
    print(
        f"\nsoak: calls={sum(outcomes.values())} outcomes={dict(outcomes)} "
        f"requests={faults.requests - stats_before.requests} injected={injected} "
        f"dropped={dropped} share_all failed first pass={len(failed_first_pass)} "
        f"reconciled={report.reconciled} retried={report.retried} "
        f"peak connections={peak_connections} escapes={len(escapes)} "
        f"duplicates={len(duplicates)} leaked tasks={len(leaked_tasks)}"
    )
    assert [repr(e) for e in escapes] == []
    assert sum(outcomes.values()) == CALLS
    assert injected > CALLS // 20 and dropped > CALLS // 100  # the faults really happened
    assert duplicates == {}
    assert set(per_recipient) == set(recipients)
    assert leaked_tasks == set()
    assert 0 < peak_connections <= 100  # httpx's pool bound holds
