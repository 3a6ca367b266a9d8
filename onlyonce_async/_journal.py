"""
The share journal: what a bulk share records so a rerun, or another worker, sends nobody twice.

`ShareJournal` is the protocol `share_many` talks to; `SQLiteJournal` (one host) and
``onlyonce_async.redis.RedisJournal`` (several hosts) implement it. Entries are keyed by
(sender, card, recipient), so one journal may hold many jobs; a `JobKey` names one job.

An entry is in one of three states: *in flight* (claimed by a worker, whose lease says until
when it is presumed alive; or released, with no owner, when its outcome is unknown), *succeeded*
(with the share request's id) or *failed* (nothing was created; the next run tries again).
`ShareJournal.claim` is the one atomic step: it also tells whether this run saw the recipient
already (the input's duplicates are found on disk, not in memory).
"""

from __future__ import annotations

import enum
import math
import uuid
from collections.abc import Iterable
from types import TracebackType
from typing import Protocol, TypeVar, runtime_checkable

import attrs

from ._errors import OnlyOnceError

__all__ = [
    "Claim",
    "ClaimState",
    "JobKey",
    "JournalError",
    "MemoryJournal",
    "ShareJournal",
]


class JournalError(OnlyOnceError):
    """
    The share journal cannot be opened, read or written (raised before any share is sent).
    """


@attrs.frozen
class JobKey:
    """
    One bulk job: a sender sharing one card.

    Attributes:
        sender_id: The sharing profile.
        card_id: The card shared.
    """

    sender_id: uuid.UUID
    card_id: uuid.UUID


class ClaimState(enum.Enum):
    """What `ShareJournal.claim` found, and so what the worker does next."""

    #: Claimed, nothing known to exist: send the share.
    NEW = "new"
    #: Claimed, but an earlier run or a dead worker may have sent it: look it up first.
    RESUMED = "resumed"
    #: Already shared (recorded, or found by the sweep): skip it.
    SUCCEEDED = "succeeded"
    #: Another worker holds a live claim on it: come back later.
    BUSY = "busy"
    #: This run met the recipient earlier in its input: no second outcome.
    DUPLICATE = "duplicate"


@attrs.frozen
class Claim:
    """
    The answer of `ShareJournal.claim`.

    Attributes:
        state: What was found.
        request_id: The share request's id, when `state` is ``SUCCEEDED`` and it is known.
    """

    state: ClaimState
    request_id: uuid.UUID | None = None


@runtime_checkable
class ShareJournal(Protocol):
    """
    Durable per-recipient state of bulk share jobs, shared by every worker of a job.

    Every method is atomic on its own and safe to call from several processes at once. ``run``
    is one `share_many` call's token: claims are held by it and duplicates are counted per run.
    Implementations raise `JournalError` when the storage fails.
    """

    @property
    def lease(self) -> float:
        """Seconds a claim holds unless renewed (``math.inf``: claims never lapse)."""

    async def open(self) -> None:
        """
        Make the journal ready (create or check the storage); idempotent.

        Raises:
            JournalError: The storage cannot be used (nothing was sent yet).
        """

    async def aclose(self) -> None:
        """Release the storage (the journal may be opened again)."""

    async def claim(
        self, job: JobKey, recipient: uuid.UUID, run: str, *, first_sight: bool
    ) -> Claim:
        """
        Claim ``recipient`` for ``run`` and commit it as in flight, unless it is done or held.

        Args:
            job: The job.
            recipient: The recipient.
            run: The claiming run's token.
            first_sight: The recipient comes from the input (not a retry of a busy one):
                a second sight in the same run answers ``DUPLICATE``.

        Returns:
            The `Claim`; ``NEW`` and ``RESUMED`` mean the in-flight record is committed.
        """

    async def renew(self, job: JobKey, recipients: Iterable[uuid.UUID], run: str) -> set[uuid.UUID]:
        """
        Extend ``run``'s claims on ``recipients`` by the lease.

        Args:
            job: The job.
            recipients: The recipients whose shares ``run`` has in flight.
            run: The claiming run's token.

        Returns:
            The recipients whose claim ``run`` no longer holds.
        """

    async def succeeded(self, job: JobKey, recipient: uuid.UUID, request_id: uuid.UUID) -> None:
        """
        Record that ``recipient`` has the share request ``request_id``.

        It may be written behind (committed with the next call): lost in a crash, the entry
        stays in flight and the next run looks it up, which is safe.

        Args:
            job: The job.
            recipient: The recipient.
            request_id: The id of the share request the recipient has.
        """

    async def failed(self, job: JobKey, recipient: uuid.UUID, run: str, error: str) -> None:
        """
        Record that ``run``'s share to ``recipient`` failed and created nothing.

        Only over ``run``'s own claim (never over a success); it may be written behind.

        Args:
            job: The job.
            recipient: The recipient.
            run: The claiming run's token.
            error: What went wrong (the error's class and message; never a secret).
        """

    async def release(self, job: JobKey, recipients: Iterable[uuid.UUID], run: str) -> None:
        """
        Give up ``run``'s claims, leaving them in flight: the next claim looks them up.

        Args:
            job: The job.
            recipients: The recipients whose claims ``run`` gives up.
            run: The claiming run's token.
        """

    async def add_existing(
        self, job: JobKey, shared: Iterable[tuple[uuid.UUID, uuid.UUID]]
    ) -> None:
        """
        Record (recipient, request id) pairs found on the server as succeeded.

        Args:
            job: The job.
            shared: ``(recipient, request_id)`` pairs, e.g. from the sweep.
        """

    async def end_run(self, run: str) -> None:
        """
        Forget which recipients ``run`` saw (its duplicate detection).

        Args:
            run: The run's token.
        """


_Opened = TypeVar("_Opened", bound=ShareJournal)


class OpenedInContext:
    """
    ``async with journal:`` opens the journal and closes it on leaving (durable journals).
    """

    async def __aenter__(self: _Opened) -> _Opened:
        await self.open()
        return self

    async def __aexit__(
        self: ShareJournal,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class MemoryJournal:
    """
    The journal of a run without one: duplicates and the sweep's finds in memory, nothing kept.

    Memory grows with the number of distinct recipients (a set of ints, plus the sweep's
    finds as a dict of ints); pass a durable journal for flat memory.
    """

    def __init__(self) -> None:
        self._seen: set[int] = set()
        self._existing: dict[int, int] = {}

    @property
    def lease(self) -> float:
        """Claims in memory never lapse."""
        return math.inf

    async def open(self) -> None:
        """Nothing to open."""

    async def aclose(self) -> None:
        """Forget everything."""
        self._seen.clear()
        self._existing.clear()

    async def claim(
        self, job: JobKey, recipient: uuid.UUID, run: str, *, first_sight: bool
    ) -> Claim:
        """A duplicate, a share found by the sweep, or new."""
        key = recipient.int
        if first_sight:
            if key in self._seen:
                return Claim(ClaimState.DUPLICATE)
            self._seen.add(key)
        found = self._existing.get(key)
        if found is not None:
            return Claim(ClaimState.SUCCEEDED, uuid.UUID(int=found))
        return Claim(ClaimState.NEW)

    async def renew(self, job: JobKey, recipients: Iterable[uuid.UUID], run: str) -> set[uuid.UUID]:
        """Claims in memory never lapse."""
        return set()

    async def succeeded(self, job: JobKey, recipient: uuid.UUID, request_id: uuid.UUID) -> None:
        """Nothing kept."""

    async def failed(self, job: JobKey, recipient: uuid.UUID, run: str, error: str) -> None:
        """Nothing kept."""

    async def release(self, job: JobKey, recipients: Iterable[uuid.UUID], run: str) -> None:
        """Nothing kept."""

    async def add_existing(
        self, job: JobKey, shared: Iterable[tuple[uuid.UUID, uuid.UUID]]
    ) -> None:
        """Remember the sweep's finds."""
        for recipient, request_id in shared:
            self._existing[recipient.int] = request_id.int

    async def end_run(self, run: str) -> None:
        """Nothing kept."""
