"""
Share requests between profiles: `ShareRequest` and ``client.network``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, AsyncIterable, Callable, Coroutine, Iterable
from contextlib import aclosing
from typing import Any

import attrs

from .._args import iterable_arg, optional_str, path, uuid_arg, uuid_list
from .._enums import coerce_enum
from .._errors import DecodeError
from .._journal import ShareJournal
from .._json import decode_body
from .._paging import AsyncPaginator
from .._wire import REQUEST_ACTIONS, RequestStatus, RequestType
from ._base import IdBody, Namespace
from ._shares import ShareBody, SharedAnswer, ShareRequest
from .bulk import BulkShareReport, ProgressCallback, ShareOutcome, share_many
from .profiles import SortDirection

__all__ = ["NetworkAPI", "RequestStatus", "RequestType", "ShareRequest"]


_Answer = Callable[["NetworkAPI", Iterable[uuid.UUID | str]], Coroutine[Any, Any, None]]


def _answer(name: str) -> _Answer:
    """``network.<name>``, made from its row of `REQUEST_ACTIONS`."""
    action = REQUEST_ACTIONS[name]
    movable = " or ".join(status.value for status in action.movable)

    async def answer(self: NetworkAPI, ids: Iterable[uuid.UUID | str]) -> None:
        await self._act(name, ids)

    answer.__name__ = name
    answer.__qualname__ = f"NetworkAPI.{name}"
    answer.__doc__ = f"""
        {action.summary} {action.side} (``POST /requests/{name}``; all or nothing).

        Args:
            ids: The share requests to {name} (`ShareRequest.id`), at least one; each must
                be a {movable} request the caller {action.side}.

        Raises:
            ValueError, TypeError: No ids or a bad id (nothing is sent).
            WrongRequestOwnerError, WrongRequestStatusError: A request is not the caller's
                to {name}, or not {movable}.
        """
    return answer


@attrs.frozen(kw_only=True)
class IdsBody:
    """
    The body of ``POST /requests/{accept,decline,revoke}``.
    """

    ids: list[uuid.UUID]


class NetworkAPI(Namespace):
    """
    ``client.network``: listing, sending and answering share requests.
    """

    __slots__ = ()

    def list_requests(
        self,
        profile_id: uuid.UUID | str,
        *,
        type: RequestType | str | None = None,
        target_id: uuid.UUID | str | None = None,
        statuses: Iterable[RequestStatus | str] | None = None,
        card_id: uuid.UUID | str | None = None,
        sort_field: str | None = None,
        sort_direction: SortDirection | str | None = None,
        page_size: int | None = None,
    ) -> AsyncPaginator[ShareRequest]:
        """
        List a profile's share requests (``GET /profiles/{id}/requests``, paginated).

        Args:
            profile_id: The profile.
            type: Incoming or outgoing (the server's default: outgoing).
            target_id: Only requests with this profile on the other side (sent as
                ``targetId``; the reference misspells it ``tagetId``).
            statuses: Only requests in these states.
            card_id: Only requests for this card.
            sort_field: ``requested``, ``completed`` or ``status``.
            sort_direction: ``asc`` or ``desc``.
            page_size: Items per request, 1 to 100 (the server's default, 20, when ``None``).

        Returns:
            A paginator over `ShareRequest` objects.

        Raises:
            ValueError, TypeError: A bad argument (nothing is sent).
        """
        url = path("/profiles/{id}/requests", id=uuid_arg(profile_id, "profile_id"))
        params: dict[str, Any] = {
            "type": None if type is None else coerce_enum(RequestType, type, name="type"),
            "targetId": None if target_id is None else uuid_arg(target_id, "target_id"),
            "statuses": None if statuses is None else _statuses(statuses),
            "cardId": None if card_id is None else uuid_arg(card_id, "card_id"),
            "sortField": optional_str(sort_field, "sort_field"),
            "sortDirection": None
            if sort_direction is None
            else coerce_enum(SortDirection, sort_direction, name="sort_direction"),
        }
        return AsyncPaginator(self._client, url, ShareRequest, params=params, page_size=page_size)

    async def share(
        self,
        card_id: uuid.UUID | str,
        *,
        sender_id: uuid.UUID | str,
        recipient_id: uuid.UUID | str,
    ) -> ShareRequest:
        """
        Offer the sender's card to the recipient (``POST /requests``; access required).

        Args:
            card_id: The sender's card to offer.
            sender_id: The caller's profile that owns the card.
            recipient_id: The profile to offer it to.

        Returns:
            The new, pending `ShareRequest`.

        Raises:
            ValueError, TypeError: A bad id (nothing is sent).
            WrongRequestStatusError: The card is already shared with the recipient.
        """
        return await self._send(card_id, sender_id, recipient_id, reversed=False)

    async def request_card(
        self,
        card_id: uuid.UUID | str,
        *,
        sender_id: uuid.UUID | str,
        recipient_id: uuid.UUID | str,
    ) -> ShareRequest:
        """
        Ask the recipient for their card (``POST /requests`` with ``reversed: true``).

        Args:
            card_id: The recipient's card asked for.
            sender_id: The caller's profile asking.
            recipient_id: The profile asked.

        Returns:
            The new, pending `ShareRequest`.

        Raises:
            ValueError, TypeError: A bad id (nothing is sent).
        """
        return await self._send(card_id, sender_id, recipient_id, reversed=True)

    def share_many(
        self,
        card_id: uuid.UUID | str,
        *,
        sender_id: uuid.UUID | str,
        recipient_ids: Iterable[uuid.UUID | str] | AsyncIterable[uuid.UUID | str],
        concurrency: int = 8,
        on_progress: ProgressCallback | None = None,
        journal: ShareJournal | None = None,
        skip_existing: bool = True,
    ) -> AsyncGenerator[ShareOutcome, None]:
        """
        Share a card with many recipients concurrently, exactly once each.

        Yields one `ShareOutcome` per distinct recipient as it completes. Recipients are read
        lazily; a repeated recipient is shared once. A share whose response was lost is
        looked up before it is sent again, so no recipient gets two requests; when that
        cannot be decided the outcome is ``unknown``, never a plain failure. Failures (an
        unknown recipient, a validation error, a bad id) are outcomes and never stop the
        run. Every request passes the client's rate limiter. To stop early, close the
        iterator (``contextlib.aclosing``) or cancel.

        With a ``journal``, each share is committed as in flight before it is sent and its
        outcome recorded after, so running the same job again (after a crash, a deploy,
        Ctrl-C) skips the recipients already shared (yielded with ``skipped`` true), looks
        up those left in flight before any send and tries the failed ones again; several
        processes running the same job on one journal split the recipients between them.
        Memory then stays flat whatever the number of recipients.

        Args:
            card_id: The sender's card.
            sender_id: The caller's sharing profile (its access must be enabled).
            recipient_ids: Profile ids, as any iterable or async iterable; any form
                `uuid.UUID` accepts (any case, braces, ``urn:uuid:``, no hyphens).
            concurrency: Shares in flight at once (workers start only as input arrives).
            on_progress: Called as ``on_progress(done, total)`` after each input item is
                handled (duplicates included); ``total`` is ``len(recipient_ids)`` when it
                has one, else ``None``.
            journal: A `ShareJournal` (`SQLiteJournal`, ``RedisJournal``); opened here if
                the caller did not.
            skip_existing: First read the sender's pending and accepted requests for the
                card (one request per 100) and skip their recipients.

        Raises:
            ValueError, TypeError: A bad ``card_id``, ``sender_id``, ``concurrency`` or
                ``journal``, ``recipient_ids`` that is not an iterable (a lone id), or an
                ``on_progress`` that is not callable.
            JournalError: The journal cannot be used (raised before any share is sent).
            OnlyOnceError: The sweep of existing requests failed (before any share).
        """
        return share_many(
            self,
            card_id,
            sender_id=sender_id,
            recipient_ids=recipient_ids,
            concurrency=concurrency,
            on_progress=on_progress,
            journal=journal,
            skip_existing=skip_existing,
        )

    async def share_all(
        self,
        card_id: uuid.UUID | str,
        *,
        sender_id: uuid.UUID | str,
        recipient_ids: Iterable[uuid.UUID | str] | AsyncIterable[uuid.UUID | str],
        concurrency: int = 8,
        on_progress: ProgressCallback | None = None,
        report: BulkShareReport | None = None,
        journal: ShareJournal | None = None,
        skip_existing: bool = True,
    ) -> BulkShareReport:
        """
        `share_many`, collected into a `BulkShareReport` (succeeded, failed, unknown).

        Args:
            card_id: The sender's card.
            sender_id: The caller's sharing profile (its access must be enabled).
            recipient_ids: Profile ids, as any iterable or async iterable, read lazily; any
                form `uuid.UUID` accepts.
            concurrency: Shares in flight at once.
            on_progress: Called as ``on_progress(done, total)`` after each input item.
            report: A report to fill in as outcomes complete; pass your own to keep what
                finished when the run is cancelled (shares cut short are filed as unknown).
            journal: See `share_many`.
            skip_existing: See `share_many`.

        Returns:
            The report, holding one outcome per distinct recipient.

        Raises:
            JournalError: The journal cannot be used (raised before any share is sent).
        """
        report = BulkShareReport() if report is None else report
        outcomes = share_many(
            self,
            card_id,
            sender_id=sender_id,
            recipient_ids=recipient_ids,
            concurrency=concurrency,
            on_progress=on_progress,
            journal=journal,
            skip_existing=skip_existing,
            on_abandoned=report.add,
        )
        async with aclosing(outcomes):
            async for outcome in outcomes:
                report.add(outcome)
        return report

    accept = _answer("accept")
    decline = _answer("decline")
    revoke = _answer("revoke")

    async def _send(
        self, card_id: Any, sender_id: Any, recipient_id: Any, *, reversed: bool
    ) -> ShareRequest:
        body = ShareBody(
            card_id=uuid_arg(card_id, "card_id"),
            recipient=IdBody(id=uuid_arg(recipient_id, "recipient_id")),
            sender=IdBody(id=uuid_arg(sender_id, "sender_id")),
            reversed=reversed,
        )
        return await self._client.post("/requests", json=body, cast_to=ShareRequest)

    async def _share_unread(
        self, body: dict[str, Any], card_id: uuid.UUID, recipient_id: uuid.UUID
    ) -> tuple[uuid.UUID, bytes]:
        """
        `share` for a bulk run, given the body (`share_bodies`): the new request's id and its
        answer's body, which is checked to be this share (card and recipient) but not
        decoded further.

        Raises:
            DecodeError: The answer is not a share request, or not the one sent.
            OnlyOnceError: As `share`.
        """
        response = await self._client.request_raw("POST", "/requests", json=body)
        answer = decode_body(response, SharedAnswer)
        if answer.card_id != card_id or answer.recipient_id != recipient_id:
            raise DecodeError(
                "the answer is a share request of another card or recipient", response=response
            )
        return answer.id, response.content

    async def _act(self, action: str, ids: Iterable[uuid.UUID | str]) -> None:
        # The reference prints "/requests{action}"; the missing "/" is a typesetting slip.
        body = IdsBody(ids=uuid_list(ids, "ids"))
        await self._client.post(path("/requests/{action}", action=action), json=body)


def _statuses(statuses: Iterable[RequestStatus | str]) -> list[RequestStatus]:
    items = iterable_arg(statuses, "statuses")
    if not items:
        raise ValueError("statuses must not be empty (pass None for every status)")
    return [coerce_enum(RequestStatus, s, name=f"statuses[{i}]") for i, s in enumerate(items)]
