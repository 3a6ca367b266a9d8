"""
Typed events against the sandbox with faults: each kind at its moment, with its fields.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest

import onlyonce_async as oo
from onlyonce_async.testing import BASE_URL, Sandbox
from tests._support.clocks import Clock
from tests._support.helpers import FAST_RETRIES

pytestmark = pytest.mark.anyio

PASSWORD = "pw-owner-1"


class Recorder:
    """A listener keeping every event."""

    def __init__(self) -> None:
        self.events: list[oo.Event] = []

    def __call__(self, event: oo.Event) -> None:
        self.events.append(event)

    def of(self, kind: type[Any]) -> list[Any]:
        """The events of one kind, in order."""
        return [e for e in self.events if isinstance(e, kind)]

    def kinds(self) -> list[str]:
        """The class names of the events, in order."""
        return [type(e).__name__ for e in self.events]


async def owner(sandbox: Sandbox, client: oo.Client) -> uuid.UUID:
    """A user signed in on ``client`` with access to their profile; its profile id."""
    user = sandbox.create_user(email="owner@example.com", password=PASSWORD, pass_phrase="pp")
    await client.account.sign_in(user.email, PASSWORD)
    await client.profiles.enable_access(user.profile_id, "pp")
    return user.profile_id


async def test_call_events_in_order_with_template(sandbox: Sandbox) -> None:
    """A typed call emits started, sent, quota wait, received and finished, in that order,
    with the path template beside the path."""
    events = Recorder()
    limiter = oo.SlidingWindowRateLimiter(100, 60.0)
    async with sandbox.client(listeners=[events], rate_limiter=limiter) as client:
        profile = await owner(sandbox, client)
        events.events.clear()
        await client.cards.list(profile, scope="MINE")
    assert events.kinds() == [
        "CallStarted",
        "RequestSent",
        "QuotaWaited",
        "ResponseReceived",
        "CallFinished",
    ]
    started, sent, waited, received, finished = events.events
    assert isinstance(started, oo.CallStarted)
    assert started.method == "GET"
    assert started.path == f"/profiles/{profile}/cards"
    assert started.template == "/profiles/{id}/cards"
    assert isinstance(sent, oo.RequestSent) and sent.attempt == 0
    assert sent.template == "/profiles/{id}/cards"
    assert isinstance(waited, oo.QuotaWaited) and waited.seconds >= 0
    assert isinstance(received, oo.ResponseReceived)
    assert (received.status, received.attempt) == (200, 0)
    assert received.elapsed >= 0
    assert isinstance(finished, oo.CallFinished)
    assert (finished.status, finished.error, finished.attempts) == (200, None, 1)
    assert len({e.call_id for e in events.events if hasattr(e, "call_id")}) == 1


async def test_raw_path_template_is_the_path(sandbox: Sandbox) -> None:
    """A raw request's template is its path, query left out (a secret may be in it)."""
    events = Recorder()
    async with sandbox.client(listeners=[events]) as client:
        with pytest.raises(oo.APIError):  # the sandbox refuses unknown parameters
            await client.get("/heartbeat?token=s3cret")
    started = events.of(oo.CallStarted)[0]
    assert (started.path, started.template) == ("/heartbeat", "/heartbeat")
    assert "s3cret" not in repr(events.events)


async def test_retries_on_faults_are_events_and_info_logs(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    """Every injected 503 gives a response event and a retry with reason and delay, plus one
    INFO line per retry; the call ends with the error's class."""
    caplog.set_level(logging.INFO, logger="onlyonce_async")
    events = Recorder()
    async with sandbox.client(
        listeners=[events], retry_policy=FAST_RETRIES, max_retries=2
    ) as client:
        sandbox.faults(error_rate=1.0, statuses=(503,), seed=1)
        with pytest.raises(oo.ServerError):
            await client.get("/heartbeat", params={"token": "s3cret-value"})
    assert [r.status for r in events.of(oo.ResponseReceived)] == [503, 503, 503]
    assert [r.attempt for r in events.of(oo.RequestSent)] == [0, 1, 2]
    retries = events.of(oo.RetryScheduled)
    assert [(r.attempt, r.reason) for r in retries] == [(0, "http_503"), (1, "http_503")]
    assert all(r.delay >= 0 and r.template == "/heartbeat" for r in retries)
    finished = events.of(oo.CallFinished)[0]
    assert (finished.status, finished.error, finished.attempts) == (503, "ServerError", 3)
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert len([line for line in lines if line.startswith("retrying GET")]) == 2
    assert all("http_503" in line and " in " in line for line in lines if "retrying" in line)
    assert "s3cret-value" not in repr(events.events) + "".join(lines)


async def test_failed_attempt_without_response(sandbox: Sandbox) -> None:
    """A connection dropped after the server acted is a RequestFailed, then a retry of
    reason transport_error for an idempotent call."""
    events = Recorder()
    async with sandbox.client(
        listeners=[events], retry_policy=FAST_RETRIES, max_retries=1
    ) as client:
        sandbox.faults(drop_after_commit=1.0, seed=1)
        with pytest.raises(oo.TransportError):
            await client.heartbeat()
    failed = events.of(oo.RequestFailed)
    assert [(f.attempt, f.error) for f in failed] == [(0, "TransportError"), (1, "TransportError")]
    assert [r.reason for r in events.of(oo.RetryScheduled)] == ["transport_error"]
    assert events.of(oo.CallFinished)[0].status is None


async def test_an_attempt_ended_by_the_deadline_is_a_failed_request(sandbox: Sandbox) -> None:
    """An attempt the call's deadline cuts short is a RequestFailed with RequestTimeout,
    then the call finishes with it; nothing is retried."""
    events = Recorder()
    sandbox.faults(latency=(60.0, 60.0))  # no answer within the test's life
    async with sandbox.client(listeners=[events], max_retries=3) as client:
        with pytest.raises(oo.RequestTimeout, match="deadline"):
            await client.get("heartbeat", deadline=0.2)
    assert events.kinds() == ["CallStarted", "RequestSent", "RequestFailed", "CallFinished"]
    assert events.of(oo.RequestFailed)[0].error == "RequestTimeout"
    assert events.of(oo.CallFinished)[0].error == "RequestTimeout"


async def test_rate_limited_pauses_the_limiter() -> None:
    """A 429 emits RateLimited with Retry-After and the pause applied to the limiter; the
    retry then waits in the limiter."""
    sandbox = Sandbox(rate_limit=(1, 0.5))  # Retry-After: 1 s (whole seconds)
    events = Recorder()
    limiter = oo.SlidingWindowRateLimiter(100, 60.0)
    async with sandbox.client(
        listeners=[events], rate_limiter=limiter, retry_policy=FAST_RETRIES
    ) as client:
        await client.heartbeat()
        await client.heartbeat()
    limited = events.of(oo.RateLimited)
    assert len(limited) == 1
    assert limited[0].retry_after == limited[0].pause >= 1.0
    assert [r.reason for r in events.of(oo.RetryScheduled)] == ["http_429"]
    assert [w.attempt for w in events.of(oo.QuotaWaited)] == [0, 0, 1]
    assert [r.status for r in events.of(oo.ResponseReceived)] == [200, 429, 200]


async def test_reauthentication_event() -> None:
    """A token revoked behind the client's back: the replay after signing in again emits
    ReauthenticatedEvent for that call."""
    sandbox = Sandbox(rate_limit=None)
    sandbox.create_user(email="a@example.com", password=PASSWORD, pass_phrase="pp")
    auth = oo.BearerAuth.with_credentials("a@example.com", PASSWORD)
    events = Recorder()
    async with sandbox.client(auth=auth, listeners=[events]) as client:
        await client.account.get()
        assert events.of(oo.ReauthenticatedEvent) == []
        async with httpx.AsyncClient(transport=sandbox.transport(), base_url=BASE_URL) as raw:
            await raw.get("signOut", headers={"Authorization": f"Bearer {auth.token}"})
        await client.account.get()
    reauth = events.of(oo.ReauthenticatedEvent)
    assert len(reauth) == 1
    assert reauth[0].call_id == events.of(oo.CallStarted)[-1].call_id


async def test_access_renewal_event(clock: Clock) -> None:
    """An expired remembered access is renewed: AccessRenewed names the profile."""
    sandbox = Sandbox(rate_limit=None, access_ttl=300.0, clock=clock)
    events = Recorder()
    async with sandbox.client(listeners=[events]) as client:
        profile = await owner(sandbox, client)
        clock.advance(301)
        await client.datastore.get(profile)
    renewed = events.of(oo.AccessRenewed)
    assert [r.profile_id for r in renewed] == [profile]
    (datastore_call,) = [
        e for e in events.of(oo.CallStarted) if e.template == "/profiles/{id}/dataStore"
    ]
    assert renewed[0].call_id == datastore_call.call_id


async def _bulk_scene(sandbox: Sandbox, client: oo.Client, n: int) -> tuple[Any, Any, list[Any]]:
    sender = await owner(sandbox, client)
    fields = await client.datastore.get(sender)
    card = await client.cards.create(sender, name="card", fields=[f.id for f in fields if f.id])
    people = [
        sandbox.create_user(email=f"r{i}@example.com", password="pw", pass_phrase="p").profile_id
        for i in range(n)
    ]
    return sender, card, people


async def test_share_outcomes_and_reconciliation_lookups() -> None:
    """Under dropped responses, bulk sharing emits a lookup per reconciliation and one
    ShareCompleted per recipient matching the report; a rerun's are all skipped."""
    sandbox = Sandbox(rate_limit=None)
    events = Recorder()
    async with sandbox.client(listeners=[events], retry_policy=FAST_RETRIES) as client:
        sender, card, people = await _bulk_scene(sandbox, client, 40)
        sandbox.faults(error_rate=0.1, statuses=(503,), drop_after_commit=0.2, seed=4)
        report = await client.network.share_all(card, sender_id=sender, recipient_ids=people)
        sandbox.faults()
        completed = events.of(oo.ShareCompleted)
        assert len(completed) == 40 and {c.recipient_id for c in completed} == set(people)
        kinds = Counter(c.outcome for c in completed)
        reconciled = sum(1 for o in report.succeeded if o.reconciled and not o.skipped)
        assert kinds["reconciled"] == reconciled > 0
        assert kinds["ok"] + kinds["reconciled"] + kinds["skipped"] == len(report.succeeded)
        found = [e for e in events.of(oo.ReconciliationLookup) if e.found]
        assert len(found) >= reconciled
        assert all(e.card_id == card and e.sender_id == sender for e in found)
        progress = events.of(oo.BulkProgress)
        assert [p.done for p in progress] == list(range(1, 41))
        assert progress[-1].total == 40
        assert progress[-1].eta is None  # no limiter to read
        assert all(r.reason for r in events.of(oo.RetryScheduled))

        events.events.clear()
        await client.network.share_all(card, sender_id=sender, recipient_ids=people)
        again = Counter(c.outcome for c in events.of(oo.ShareCompleted))
        assert again["skipped"] == len(report.succeeded)


async def test_raising_listener_never_breaks_a_call(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    """A listener that raises is logged; the call and the other listeners go on."""
    events = Recorder()

    def broken(event: oo.Event) -> None:
        raise RuntimeError("listener bug")

    async with sandbox.client(listeners=[broken, events]) as client:
        heartbeat = await client.heartbeat()
    assert heartbeat is not None
    assert len(events.of(oo.CallFinished)) == 1
    assert any("listener" in r.getMessage() and r.exc_info for r in caplog.records)


async def test_with_options_inherits_listeners(sandbox: Sandbox) -> None:
    """A with_options client reports to its parent's listeners; its own stay its own."""
    parent_events, child_events = Recorder(), Recorder()
    async with sandbox.client(listeners=[parent_events]) as client:
        child = client.with_options(max_retries=0)
        child.add_listener(child_events)
        await child.heartbeat()
        await client.heartbeat()
        client.remove_listener(parent_events)
        await client.heartbeat()
    assert len(parent_events.of(oo.CallFinished)) == 2
    assert len(child_events.of(oo.CallFinished)) == 1


def test_listener_must_be_callable() -> None:
    """A listener that is not callable is refused at once."""
    with pytest.raises(TypeError, match="callable"):
        oo.Client(listeners=[object()])  # type: ignore[list-item]
    with pytest.raises(ValueError):
        oo.Client().remove_listener(print)


def test_an_async_listener_is_refused() -> None:
    """An async function (or object with an async __call__) as a listener would never be
    awaited, so every event would be lost: it is refused at once."""

    async def listener(event: oo.Event) -> None:
        return None

    class Listening:
        async def __call__(self, event: oo.Event) -> None:
            return None

    for wrong in (listener, Listening()):
        with pytest.raises(TypeError, match="plain function"):
            oo.Client(listeners=[wrong])
        with pytest.raises(TypeError, match="plain function"):
            oo.Client().add_listener(wrong)


async def test_bulk_progress_eta_from_the_limiter_stats(sandbox: Sandbox) -> None:
    """With an in-process limiter, progress carries an ETA read from its stats: the
    recipients left at the quota, nothing left at the end."""
    events = Recorder()
    limiter = oo.SlidingWindowRateLimiter(1000, 60.0)
    async with sandbox.client(listeners=[events], rate_limiter=limiter) as client:
        sender, card, people = await _bulk_scene(sandbox, client, 5)
        await client.network.share_all(card, sender_id=sender, recipient_ids=people)
    etas = [p.eta for p in events.of(oo.BulkProgress)]
    assert len(etas) == 5 and etas[-1] == 0.0
    assert all(eta is not None and eta >= 0 for eta in etas)


async def test_retry_context_tells_on_retry_of_each_decision() -> None:
    """The retry primitive reports every retry it decides, with the wait, and none after
    the last attempt."""
    decisions: list[tuple[int, str, float]] = []
    retrying = oo.RetryPolicy(jitter=False).retry_context(
        "GET",
        retries=2,
        sleep=_no_sleep,
        on_retry=lambda n, error, delay: decisions.append((n, type(error).__name__, delay)),
    )
    with pytest.raises(oo.TransportError):
        await _fail_every_time(retrying)
    assert decisions == [(0, "TransportError", 0.5), (1, "TransportError", 1.0)]


async def _no_sleep(seconds: float) -> None:
    return None


async def _fail_every_time(retrying: Any) -> None:
    async for attempt in retrying:
        with attempt:
            raise oo.TransportError("down")


async def test_template_follows_an_appended_segment(sandbox: Sandbox) -> None:
    """A path extended after it was built (``.../clone``) keeps a matching template."""
    events = Recorder()
    async with sandbox.client(listeners=[events]) as client:
        sender, card, _ = await _bulk_scene(sandbox, client, 0)
        await client.cards.clone(sender, card)
    started = events.of(oo.CallStarted)[-1]
    assert started.path == f"/profiles/{sender}/cards/{card}/clone"
    assert started.template == "/profiles/{id}/cards/{card}/clone"
