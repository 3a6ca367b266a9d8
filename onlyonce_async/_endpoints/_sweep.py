"""
The sweep: the sender's existing share requests for the card, read once before a bulk share.

Every recipient with a PENDING or ACCEPTED request for the card counts as already shared
(DESIGN §2.8), so a rerun sends nobody a second request even without a journal, for one
``GET`` per 100 existing shares (the largest page). The finds go to the journal (on disk for
a durable one, a dict of ints in memory for a run without one), never into a second
in-memory copy.

The pages are read by offset, oldest request first, and in every status (the skipped ones
are picked out here): requests created meanwhile only add to the end, and one answered
meanwhile (accepted, declined, revoked) stays where it was, so no request shifts out of a
page unread.
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

#: The statuses of a request that shares the card, or will once accepted: the sweep skips
#: the recipients of such requests.
SHARING: Final = (RequestStatus.PENDING, RequestStatus.ACCEPTED)
#: Every status, named so that the server's default never decides: what the sweep reads, so
#: that its pages hold still while requests are answered.
EVERY_STATUS: Final = tuple(RequestStatus)

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
        statuses=EVERY_STATUS,
        sort_field="requested",
        sort_direction=SortDirection.ASC,
        page_size=MAX_PAGE_SIZE,
    )
    found = 0
    batch: list[tuple[uuid.UUID, uuid.UUID]] = []
    async for request in requests:
        if request.card_id != job.card_id or request.status not in SHARING:
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
