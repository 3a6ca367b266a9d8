"""
The sandbox's ACCEPTED-share indexes agree with a scan of every request, whatever happens.

`NetworkRoutes.send` (the "already shared" check) and `profile_json` (the share counts)
read the store's indexes instead of walking a profile's requests; this drives the store
through every state transition the routes make (send, accept, decline, revoke of a PENDING
and of an ACCEPTED request, profile deletion) in random orders and compares after each step.
"""

from __future__ import annotations

import itertools
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from onlyonce_async.testing._records import ShareRequest
from onlyonce_async.testing._state import Store

PROFILES = 4
#: Which statuses each action moves a request from, as in the network routes.
MOVES = {
    "ACCEPTED": ("PENDING",),
    "DECLINED": ("PENDING",),
    "REVOKED": ("PENDING", "ACCEPTED"),
}

#: (what, a, b, reversed): send from profile a to b; move the a-th live request; delete a.
Step = tuple[str, int, int, bool]
profile_index = st.integers(0, PROFILES - 1)
steps = st.lists(
    st.tuples(
        st.sampled_from(["send", "send", "delete", *sorted(MOVES), *sorted(MOVES)]),
        st.integers(0, 50),
        profile_index,
        st.booleans(),
    ),
    max_size=40,
)


def scanned_counts(store: Store, profile_id: uuid.UUID) -> tuple[int, int]:
    """(incoming, outgoing) by walking the profile's requests, as profile_json once did."""
    incoming = outgoing = 0
    for request_id in store.profiles[profile_id].requests:
        request = store.requests[request_id]
        if request.status == "ACCEPTED":
            incoming += request.taker_id == profile_id
            outgoing += request.giver_id == profile_id
    return incoming, outgoing


def scanned_shared(store: Store, card: uuid.UUID, giver: uuid.UUID, taker: uuid.UUID) -> bool:
    """Whether an ACCEPTED request joins the triple, by walking every request."""
    return any(
        r.status == "ACCEPTED" and (r.card_id, r.giver_id, r.taker_id) == (card, giver, taker)
        for r in store.requests.values()
    )


def assert_index_matches_scan(store: Store) -> None:
    """Every profile's counts and every (card, giver, taker) answer agree with a scan."""
    for profile_id in store.profiles:
        assert store.share_counts(profile_id) == scanned_counts(store, profile_id)
    for card_id, giver, taker in itertools.product(store.cards, store.profiles, store.profiles):
        expected = scanned_shared(store, card_id, giver, taker)
        assert store.is_card_shared(card_id, giver, taker) is expected


@settings(max_examples=150, deadline=None)
@given(steps)
def test_share_indexes_match_a_scan_after_every_step(
    script: list[Step],
) -> None:
    """Send, accept, decline, revoke (PENDING and ACCEPTED) and delete in any order."""
    store = Store(seed=7, clock=lambda: 1_700_000_000.0, access_ttl=600.0)
    profiles = [
        store.create_account(
            email=f"p{n}@example.com", password="pw", pass_phrase="p", names=["A", "B"]
        ).personal_profile_id
        for n in range(PROFILES)
    ]
    made: list[ShareRequest] = []
    for what, a, b, reversed_ in script:
        if what == "send":
            sender, recipient = profiles[a % PROFILES], profiles[b]
            if sender == recipient or sender not in store.profiles:
                continue
            if recipient not in store.profiles:
                continue
            giver = recipient if reversed_ else sender
            share = ShareRequest(
                id=store.new_id(),
                sender_id=sender,
                recipient_id=recipient,
                card_id=store.profiles[giver].public_card_id,
                reversed=reversed_,
                status="PENDING",
                requested=store.now(),
            )
            store.add_request(share)
            made.append(share)
        elif what == "delete":
            profile_id = profiles[a % PROFILES]
            if profile_id in store.profiles:
                store.delete_profile(profile_id)
        else:
            alive = [r for r in made if r.id in store.requests]
            if not alive:
                continue
            share = alive[a % len(alive)]
            if share.status in MOVES[what]:
                store.set_request_status(share, what, store.now())
        assert_index_matches_scan(store)
