"""
Group commit: calls that arrive while a batch runs on a worker thread go together in the next.

`SQLiteJournal` runs every journal call as a short transaction on a thread. Each worker of a
bulk share waits for its own call, so concurrent workers would each pay for a commit and a
trip to a thread; batched, they share both. Calls may also be written behind (`later`):
they join the next batch and nobody waits for them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread

__all__ = ["GroupCommit", "Operation"]

_T = TypeVar("_T")


class Operation:
    """One call waiting for its batch."""

    __slots__ = ("args", "done", "error", "function", "result", "waited", "wake")

    def __init__(
        self, function: Callable[..., Any], args: tuple[Any, ...], *, waited: bool = False
    ) -> None:
        self.function = function
        self.args = args
        self.waited = waited  # a caller waits for it (not written behind)
        self.done = False
        self.result: Any = None
        self.error: Exception | None = None
        self.wake = anyio.Event()


class GroupCommit:
    """
    Runs calls in batches, one batch at a time, on a worker thread.

    Args:
        execute: Runs one batch on the worker thread, all or nothing: returns one result per
            operation, or raises (and then every operation of the batch fails with it).
    """

    def __init__(self, execute: Callable[[list[Operation]], list[Any]]) -> None:
        self._execute = execute
        self._pending: list[Operation] = []
        self._flushing = False

    @property
    def pending(self) -> bool:
        """Whether calls wait for a batch (written behind, or queued)."""
        return bool(self._pending)

    def later(self, function: Callable[..., Any], *args: Any) -> None:
        """Queue ``function(*args)`` for the next batch without waiting for it."""
        self._pending.append(Operation(function, args))

    async def run(self, function: Callable[..., _T], *args: Any) -> _T:
        """
        ``function(*args)`` in the next batch, with what else is queued.

        The first caller to find no batch running runs batches until its own is done, then
        hands over to the next caller waiting; the others wait to be woken.

        Raises:
            Exception: What the batch raised.
        """
        operation = Operation(function, args, waited=True)
        self._pending.append(operation)
        try:
            while not operation.done:
                if self._flushing:
                    await operation.wake.wait()
                    operation.wake = anyio.Event()
                    continue
                self._flushing = True
                try:
                    while not operation.done:
                        await self._flush()
                finally:
                    self._flushing = False
                    waiting = next((op for op in self._pending if op.waited), None)
                    if waiting is not None:
                        waiting.wake.set()  # its caller runs the next batch
        finally:
            if not operation.done and operation in self._pending:
                self._pending.remove(operation)  # cancelled before its turn: never run
        if operation.error is not None:
            raise operation.error
        return operation.result  # type: ignore[no-any-return]

    async def _flush(self) -> None:
        batch, self._pending = self._pending, []
        try:
            await anyio.to_thread.run_sync(self._run_batch, batch)
        finally:
            # Cancelled before the thread ran: the batch waits for the next.
            self._pending[:0] = [op for op in batch if not op.done]
            for op in batch:
                op.wake.set()  # here, in the event loop: anyio events are not thread-safe

    def _run_batch(self, batch: list[Operation]) -> None:
        try:
            results = self._execute(batch)
        except Exception as exc:  # every operation of the batch fails with it
            for op in batch:
                op.error, op.done = exc, True
            return
        for op, result in zip(batch, results, strict=True):
            op.result, op.done = result, True
