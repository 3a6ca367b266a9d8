"""
The sweep: the sender's existing share requests for the card, read once before a bulk share.

Every recipient with a PENDING or ACCEPTED request for the card counts as already shared, so
a rerun sends nobody a second request even without a journal, for one ``GET`` per 100
existing shares (the largest page). The finds go to the journal (on disk for a durable one,
a dict of ints in memory for a run without one), never into a second in-memory copy.

The pages are read by offset, oldest request first, so requests created meanwhile only add
to the end; a request declined or revoked during the sweep shifts the later ones back by
one, and one of them may then be missed (a journal still knows its own shares).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Final

from .._journal import JobKey, ShareJournal
from .._paging import MAX_PAGE_SIZE
from .._wire import RequestStatus, RequestType, SortDirection

if TYPE_CHECKING:
    from .network import NetworkAPI

__all__ = ["SHARING", "sweep"]

#: The statuses of a request that shares the card, or will once accepted: a recipient with
#: one is not sent another.
SHARING: Final = (RequestStatus.PENDING, RequestStatus.ACCEPTED)

#: How many finds are written to the journal in one transaction.
_BATCH = 500


async def sweep(network: NetworkAPI, job: JobKey, journal: ShareJournal) -> int:
    """
    Record the recipients that already have a pending or accepted request for the card.

    Returns:
        How many were found.

    Raises:
        OnlyOnceError: A page could not be read (nothing was sent yet).
        JournalError: The journal could not record them.
    """
    requests = network.list_requests(
        job.sender_id,
        type=RequestType.OUTGOING,
        card_id=job.card_id,
        statuses=SHARING,
        sort_field="requested",
        sort_direction=SortDirection.ASC,
        page_size=MAX_PAGE_SIZE,
    )
    found = 0
    batch: list[tuple[uuid.UUID, uuid.UUID]] = []
    async for request in requests:
        if request.card_id != job.card_id:
            continue
        batch.append((request.recipient.id, request.id))
        if len(batch) >= _BATCH:
            await journal.add_existing(job, batch)
            found += len(batch)
            batch = []
    if batch:
        await journal.add_existing(job, batch)
        found += len(batch)
    return found
