"""
Handling the SDK's typed errors, and bounding a call with a deadline.

Every failure the SDK raises on purpose is an `OnlyOnceError`; API answers are `APIError`
subclasses carrying ``status_code``, ``message``, ``status``, ``code`` and, for 422,
``errors`` (field → messages). This walks through the common ones:

- `NotFoundError` (404), `ValidationError` (422, ``.errors``), `AccessDeniedError` (403)
- `RateLimitError` (429, ``.retry_after``) when client-side limiting is off
- `WrongSecretKeyError` with ``.expired`` when profile access has run out (and how
  ``enable_access(..., remember=True)`` renews it for you)
- `RequestTimeout` for a ``deadline``, `TransportError` for a connection that fails,
  `ServerError` when retries cannot fix a 503
- `DecodeError` for a 2xx body that is not JSON

It needs the sandbox (faults, latency and an injected clock make each error happen on
cue), so it always runs against it: ``python examples/error_handling.py``.
"""

from __future__ import annotations

import time
import uuid

import anyio

from onlyonce_async import (
    AccessDeniedError,
    DecodeError,
    NotFoundError,
    RateLimitError,
    RequestTimeout,
    RetryPolicy,
    ServerError,
    TransportError,
    ValidationError,
    WrongSecretKeyError,
)
from onlyonce_async.testing import Sandbox

#: Short backoffs so the retried failures below take a fraction of a second.
FAST_RETRIES = RetryPolicy(initial=0.05, maximum=0.2)


class Clock:
    """A clock the example moves forward by hand (the sandbox's time)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


async def api_errors() -> None:
    clock = Clock()
    sandbox = Sandbox(rate_limit=None, access_ttl=300.0, clock=clock)
    user = sandbox.create_user(email="err@example.com", password="err-password-1", pass_phrase="pp")
    async with sandbox.client(retry_policy=FAST_RETRIES) as client:
        await client.account.sign_in(user.email, user.password)

        try:
            await client.profiles.get(uuid.uuid4())
        except NotFoundError as exc:
            print(f"NotFoundError: status {exc.status_code}, message {exc.message!r}")

        try:
            await client.post("/signIn", json={"username": "err@example.com"})
        except ValidationError as exc:
            print(f"ValidationError: {exc}; field errors {exc.errors}")

        try:
            await client.profiles.delete(user.profile_id)  # a personal profile cannot go
        except AccessDeniedError as exc:
            print(f"AccessDeniedError: status {exc.status_code}, status string {exc.status!r}")

        # Access without `remember`: once it expires, calls fail with expired=True.
        await client.profiles.enable_access(user.profile_id, user.pass_phrase, remember=False)
        clock.now += 301
        try:
            await client.datastore.get(user.profile_id)
        except WrongSecretKeyError as exc:
            print(f"WrongSecretKeyError: expired={exc.expired}")
        # With remember=True (the default) the SDK re-enables access once and retries.
        await client.profiles.enable_access(user.profile_id, user.pass_phrase)
        clock.now += 301
        fields = await client.datastore.get(user.profile_id)
        print(f"access renewed by itself after expiry: read {len(fields)} fields")

        # A 2xx body that is not JSON: request() cannot decode it.
        info = await client.files.upload(user.profile_id, b"plain text, not JSON", filename="a.txt")
        try:
            await client.request("GET", f"/profiles/{user.profile_id}/files/{info.id}/download")
        except DecodeError as exc:
            print(f"DecodeError: {exc} (use request_raw() or files.download() for bytes)")


async def rate_limit() -> None:
    sandbox = Sandbox(rate_limit=(3, 2.0))
    # Client-side limiting off and no retries, so the server's 429 reaches us.
    async with sandbox.client(rate_limiter=None, max_retries=0) as client:
        try:
            for _ in range(4):
                await client.heartbeat()
        except RateLimitError as exc:
            print(f"RateLimitError: retry after {exc.retry_after} s")


async def network_errors() -> None:
    sandbox = Sandbox(rate_limit=None)
    async with sandbox.client(retry_policy=FAST_RETRIES, max_retries=2) as client:
        sandbox.faults(latency=(0.5, 0.5))
        try:
            # deadline: the whole call, retries and waits included.
            await client.get("/heartbeat", deadline=0.1)
        except RequestTimeout as exc:
            print(f"RequestTimeout: {exc}")

        sandbox.faults(drop_after_commit=1.0)
        try:
            await client.heartbeat()
        except TransportError as exc:
            print(f"TransportError after retries: {exc} (cause: {type(exc.__cause__).__name__})")

        sandbox.faults(error_rate=1.0, statuses=(503,))
        try:
            await client.heartbeat()
        except ServerError as exc:
            print(f"ServerError after retries: status {exc.status_code}, {exc.message!r}")
        sandbox.faults()
        print(f"healthy again: {(await client.heartbeat()).node_name}")


async def main() -> None:
    print("running against the embedded sandbox")
    await api_errors()
    await rate_limit()
    await network_errors()


if __name__ == "__main__":
    anyio.run(main)
