"""
The in-memory store: every record of one sandbox, with the lookups handlers share.

No method here awaits, so a handler's read-modify-write runs without interleaving: the
store needs no lock to keep concurrent requests from losing updates.
"""

from __future__ import annotations

import collections
import random
import uuid
from collections.abc import Callable
from typing import Final

from .._endpoints.activities import Activity, ActivityArguments
from .._wire import (
    REQUEST_ACTIONS,
    ActivityType,
    CommunicationChannel,
    ProfileType,
    RequestStatus,
)
from ._errors import access_denied, not_found, status_error
from ._records import (
    Account,
    Card,
    FieldValue,
    Note,
    Profile,
    ShareRequest,
    StoredFile,
    timestamp,
)
from ._shape import Shape

__all__ = ["ACTIVITY", "SandboxClockError", "Store", "checked_reading"]

#: An activity: account activities and profile activities carry different members.
ACTIVITY: Final = Shape(Activity, partial=True)
_ARGUMENTS: Final = Shape(ActivityArguments, partial=True)


class SandboxClockError(ValueError):
    """The sandbox's injected clock gave a reading that is not a usable Unix time."""


#: The Unix times of the first second of year 1 and of the one after year 9999's last: the
#: range a timestamp of the API's form can show.
_FIRST_SECOND: Final = -62_135_596_800.0
_AFTER_LAST_SECOND: Final = 253_402_300_800.0


def checked_reading(reading: object) -> float:
    """
    ``reading`` of the sandbox clock, checked: a finite Unix time a timestamp can show.

    Raises:
        SandboxClockError: A non-number, NaN, an infinity, or a time out of range for a
            date (the message names the clock and the reading).
    """
    if isinstance(reading, bool) or not isinstance(reading, (int, float)):
        raise SandboxClockError(
            f"the sandbox clock returned {type(reading).__name__}, not Unix time in seconds"
        )
    # A range check, not a trial formatting: it runs at every reading of the clock.
    if not _FIRST_SECOND <= reading < _AFTER_LAST_SECOND:  # NaN fails every comparison
        raise SandboxClockError(
            f"the sandbox clock returned {reading!r}, not a finite Unix time in seconds"
            " within the years 1..9999"
        )
    return float(reading)


_FIRST_ONLYONCE_ID = 1000
_FIRST_USER_ID = 1


class Store:
    """
    All state of one sandbox.

    Args:
        seed: Seeds the id generator, so ids repeat from run to run.
        clock: Unix time, for timestamps and access expiry.
        access_ttl: Seconds profile access stays enabled.
    """

    def __init__(self, seed: int, clock: Callable[[], float], access_ttl: float) -> None:
        self._rng = random.Random(seed)  # noqa: S311 - ids only need to be unique, not secret
        self.clock = clock
        self.access_ttl = access_ttl
        self.started = self.now()
        self.accounts: dict[uuid.UUID, Account] = {}
        self.by_email: dict[str, uuid.UUID] = {}
        self.by_user_id: dict[int, uuid.UUID] = {}
        self.profiles: dict[uuid.UUID, Profile] = {}
        self.cards: dict[uuid.UUID, Card] = {}
        self.requests: dict[uuid.UUID, ShareRequest] = {}
        # Every share request ever created, oldest first: append-only, never pruned (a
        # deleted profile's requests leave `requests`, not this log). Tests read it through
        # `Sandbox.share_requests` to count duplicates.
        self.request_log: list[ShareRequest] = []
        self.notes: dict[uuid.UUID, Note] = {}
        self.files: dict[uuid.UUID, StoredFile] = {}
        # (account, profile) -> Unix time the access expires.
        self.access: dict[tuple[uuid.UUID, uuid.UUID], float] = {}
        # profile -> {connected profile -> Unix time of the first accepted share}.
        self.connections: dict[uuid.UUID, dict[uuid.UUID, float]] = {}
        # Indexes over ACCEPTED requests, kept by add_request/set_request_status/
        # delete_profile so a send or a profile render is O(1) instead of a scan:
        # (card, giver, taker) -> how many, and profile -> [incoming, outgoing].
        self._accepted_links: collections.Counter[tuple[uuid.UUID, uuid.UUID, uuid.UUID]] = (
            collections.Counter()
        )
        self._share_counts: dict[uuid.UUID, list[int]] = {}
        self._next_onlyonce_id = _FIRST_ONLYONCE_ID
        self._next_user_id = _FIRST_USER_ID

    # -- ids and time ----------------------------------------------------------------------

    def new_id(self) -> uuid.UUID:
        """A fresh random (version 4) UUID from the seeded generator."""
        return uuid.UUID(int=self._rng.getrandbits(128), version=4)

    def now(self) -> float:
        """
        The current Unix time of the sandbox clock.

        Raises:
            SandboxClockError: The clock's reading is not a finite, representable time.
        """
        return checked_reading(self.clock())

    def stamp(self) -> str:
        """The current time in the API's timestamp form."""
        return timestamp(self.now())

    # -- creation --------------------------------------------------------------------------

    def create_account(
        self, *, email: str, password: str, pass_phrase: str, names: list[str]
    ) -> Account:
        """
        Create an account, its PERSONAL profile, datastore and public card.

        Args:
            email: The sign-in name (unique, case-insensitive; the caller checks).
            password: The password.
            pass_phrase: The personal profile's pass phrase.
            names: First, [middle,] last name.
        """
        account = Account(
            id=self.new_id(),
            user_id=self._next_user_id,
            email=email,
            password=password,
            created=self.now(),
            personal_profile_id=uuid.UUID(int=0),
        )
        self._next_user_id += 1
        self.accounts[account.id] = account
        self.by_email[email.lower()] = account.id
        self.by_user_id[account.user_id] = account.id
        profile = self.create_profile(account, ProfileType.PERSONAL, " ".join(names), pass_phrase)
        account.personal_profile_id = profile.id
        definitions = ["first_name_field", "middle_name_field", "last_name_field"]
        if len(names) == 2:
            definitions.remove("middle_name_field")
        values = [*zip(definitions, names, strict=True), (CommunicationChannel.EMAIL1.value, email)]
        for definition, value in values:
            field = FieldValue(self.new_id(), definition, value)
            profile.datastore[field.id] = field
        public = self.cards[profile.public_card_id]
        public.fields = [
            f.id for f in profile.datastore.values() if f.definition_name.endswith("name_field")
        ]
        return account

    def create_profile(
        self,
        account: Account,
        kind: ProfileType,
        name: str,
        pass_phrase: str,
        *,
        email: str | None = None,
    ) -> Profile:
        """Create a profile of ``account`` with its predefined public card."""
        now = self.now()
        profile = Profile(
            id=self.new_id(),
            onlyonce_id=self._next_onlyonce_id,
            account_id=account.id,
            type=kind.value,
            name=name,
            pass_phrase=pass_phrase,
            created=now,
            modified=now,
            public_card_id=self.new_id(),
            email=email,
            trade_name=name if kind == ProfileType.ORGANIZATION else None,
        )
        self._next_onlyonce_id += 1
        card = Card(profile.public_card_id, profile.id, "Public", [], predefined_type="PUBLIC")
        profile.cards[card.id] = card
        self.cards[card.id] = card
        self.profiles[profile.id] = profile
        account.profile_ids.append(profile.id)
        return profile

    # -- deletion --------------------------------------------------------------------------

    def delete_profile(self, profile_id: uuid.UUID) -> None:
        """Delete a profile and everything that belongs to it or points at it."""
        profile = self.profiles.pop(profile_id)
        self.accounts[profile.account_id].profile_ids.remove(profile_id)
        for card_id in profile.cards:
            self.cards.pop(card_id, None)
        for file_id in profile.files:
            self.files.pop(file_id, None)
        for request_id in profile.requests:
            request = self.requests.pop(request_id, None)
            if request is not None:
                self._index_accepted(request, -1)
                other = (
                    request.recipient_id if request.sender_id == profile_id else request.sender_id
                )
                other_profile = self.profiles.get(other)
                if other_profile is not None and request_id in other_profile.requests:
                    other_profile.requests.remove(request_id)
        for note_id in [
            n.id for n in self.notes.values() if profile_id in (n.about_id, n.owner_id)
        ]:
            del self.notes[note_id]
        for other_id in self.connections.pop(profile_id, {}):
            self.connections.get(other_id, {}).pop(profile_id, None)
        for remaining in self.profiles.values():
            remaining.bookmarks.pop(profile_id, None)
            remaining.tags.pop(profile_id, None)
        for key in [k for k in self.access if k[1] == profile_id]:
            del self.access[key]

    def delete_card(self, card: Card) -> None:
        """
        Delete a card and end its open share requests, which nobody can act on any more.

        The card's owner ends each one as its own side could: a PENDING share (the owner
        sent it) and any ACCEPTED request are revoked, a PENDING card request (the owner
        received it) is declined. So the card cannot be accepted after it is gone, and an
        accepted one stops counting as shared and connecting the two profiles.
        """
        now = self.now()
        for request_id in card.requests:
            share = self.requests.get(request_id)  # gone with a deleted profile
            if share is None:
                continue
            pending_ask = share.reversed and share.status == RequestStatus.PENDING
            action = "decline" if pending_ask else "revoke"
            if share.status in REQUEST_ACTIONS[action].movable:
                self.answer_request(share, action, now)
        del self.profiles[card.owner_id].cards[card.id]
        del self.cards[card.id]

    def delete_account(self, account: Account) -> None:
        """Delete an account with all its profiles."""
        for profile_id in list(account.profile_ids):
            self.delete_profile(profile_id)
        del self.accounts[account.id]
        self.by_email.pop(account.email.lower(), None)
        self.by_user_id.pop(account.user_id, None)
        for key in [k for k in self.access if k[0] == account.id]:
            del self.access[key]

    # -- lookups ---------------------------------------------------------------------------

    def profile(self, profile_id: uuid.UUID) -> Profile:
        """
        The profile ``profile_id``.

        Raises:
            ApiError: 404 when it does not exist.
        """
        profile = self.profiles.get(profile_id)
        if profile is None:
            raise not_found("Profile", profile_id)
        return profile

    def own_profile(self, account: Account, profile_id: uuid.UUID) -> Profile:
        """
        The profile ``profile_id``, which ``account`` must own.

        Raises:
            ApiError: 404 when it does not exist, 403 ``access-denied`` when not owned.
        """
        profile = self.profile(profile_id)
        if profile.account_id != account.id:
            raise access_denied(f"Profile {profile_id} belongs to another account")
        return profile

    def unlocked_profile(self, account: Account, profile_id: uuid.UUID) -> Profile:
        """
        An owned profile whose access ``account`` enabled and that has not expired.

        Raises:
            ApiError: 404, 403, or 401 ``wrong-secret-key`` (never enabled, or expired).
        """
        profile = self.own_profile(account, profile_id)
        expires = self.access.get((account.id, profile_id))
        if expires is None:
            raise status_error(401, "wrong-secret-key", f"Access to profile {profile_id} required")
        if self.now() >= expires:
            message = f"Secret key for profile {profile_id} expired"
            raise status_error(401, "wrong-secret-key", message, message)
        return profile

    def grant_access(self, account: Account, profile: Profile) -> None:
        """Enable the access-required endpoints of ``profile`` for ``access_ttl`` seconds."""
        self.access[(account.id, profile.id)] = self.now() + self.access_ttl

    def account_by_email(self, email: str) -> Account | None:
        """The account signed up with ``email`` (case-insensitive)."""
        account_id = self.by_email.get(email.lower())
        return None if account_id is None else self.accounts[account_id]

    # -- the network -----------------------------------------------------------------------

    def connect(self, a: uuid.UUID, b: uuid.UUID) -> None:
        """Record that ``a`` and ``b`` are connected (first accepted share wins the date)."""
        now = self.now()
        self.connections.setdefault(a, {}).setdefault(b, now)
        self.connections.setdefault(b, {}).setdefault(a, now)

    def disconnect_unless_shared(self, a: uuid.UUID, b: uuid.UUID) -> None:
        """Forget that ``a`` and ``b`` are connected when no ACCEPTED request joins them."""
        profile = self.profiles.get(a)
        for request_id in [] if profile is None else profile.requests:
            request = self.requests.get(request_id)
            if (
                request is not None
                and request.status == RequestStatus.ACCEPTED
                and {request.sender_id, request.recipient_id} == {a, b}
            ):
                return
        self.connections.get(a, {}).pop(b, None)
        self.connections.get(b, {}).pop(a, None)

    def connected_since(self, a: uuid.UUID | None, b: uuid.UUID) -> float | None:
        """When ``a`` and ``b`` got connected, or ``None``."""
        return None if a is None else self.connections.get(a, {}).get(b)

    def add_request(self, share: ShareRequest) -> None:
        """
        Store a new share request on its card, on both profiles and in the request log.
        """
        self.requests[share.id] = share
        self.request_log.append(share)
        self.cards[share.card_id].requests.append(share.id)
        self.profiles[share.sender_id].requests.append(share.id)
        self.profiles[share.recipient_id].requests.append(share.id)
        self._index_accepted(share, +1)

    def set_request_status(self, share: ShareRequest, status: str, now: float) -> None:
        """
        Move ``share`` to ``status`` at ``now``, keeping the ACCEPTED indexes in step.
        """
        self._index_accepted(share, -1)
        share.status = status
        share.completed = now
        self._index_accepted(share, +1)

    def answer_request(self, share: ShareRequest, action: str, now: float) -> None:
        """
        Apply one of `REQUEST_ACTIONS` to ``share``, whose status the caller checked: the
        new status, the connection (made on accept; undone, when an ACCEPTED request ends,
        unless another joins the two profiles) and the activity.
        """
        was_accepted = share.status == RequestStatus.ACCEPTED
        self.set_request_status(share, REQUEST_ACTIONS[action].outcome.value, now)
        if action == "accept":
            self.connect(share.sender_id, share.recipient_id)
        elif was_accepted:
            self.disconnect_unless_shared(share.sender_id, share.recipient_id)
        self.log_request(share, action.upper())

    def is_card_shared(self, card_id: uuid.UUID, giver_id: uuid.UUID, taker_id: uuid.UUID) -> bool:
        """
        Whether an ACCEPTED request gives ``card_id`` from ``giver_id`` to ``taker_id``.
        """
        return self._accepted_links[(card_id, giver_id, taker_id)] > 0

    def share_counts(self, profile_id: uuid.UUID) -> tuple[int, int]:
        """
        (incoming, outgoing) ACCEPTED shares of a profile: cards it took and cards it gave.
        """
        incoming, outgoing = self._share_counts.get(profile_id, (0, 0))
        return incoming, outgoing

    def _index_accepted(self, share: ShareRequest, delta: int) -> None:
        if share.status != RequestStatus.ACCEPTED:
            return
        link = (share.card_id, share.giver_id, share.taker_id)
        self._accepted_links[link] += delta
        if self._accepted_links[link] <= 0:
            del self._accepted_links[link]
        self._share_counts.setdefault(share.taker_id, [0, 0])[0] += delta
        self._share_counts.setdefault(share.giver_id, [0, 0])[1] += delta

    def request_counts(self, card_id: uuid.UUID) -> tuple[int, int]:
        """(pending, accepted) share requests for a card."""
        card = self.cards.get(card_id)
        pending = accepted = 0
        for request_id in [] if card is None else card.requests:
            request = self.requests.get(request_id)  # gone with a deleted profile
            if request is not None:
                pending += request.status == RequestStatus.PENDING
                accepted += request.status == RequestStatus.ACCEPTED
        return pending, accepted

    def accepted_cards(self, profile_id: uuid.UUID) -> list[Card]:
        """Cards other profiles shared with ``profile_id`` and that were accepted."""
        profile = self.profiles.get(profile_id)
        seen: dict[uuid.UUID, Card] = {}
        for request_id in [] if profile is None else profile.requests:
            request = self.requests[request_id]
            card = self.cards.get(request.card_id)
            if request.status == RequestStatus.ACCEPTED and request.taker_id == profile_id and card:
                seen.setdefault(card.id, card)
        return list(seen.values())

    # -- activities ------------------------------------------------------------------------

    def log_account(self, account: Account, action: str, remote_ip: str, user_agent: str) -> None:
        """Record an ACCOUNT activity (sign-in, sign-out, ...)."""
        product, _, version = user_agent.partition(" ")[0].partition("/")
        os_name = next(
            (os for os in ("Windows", "Mac OS", "Android", "iOS", "Linux") if os in user_agent),
            "UNKNOWN",
        )
        account.activities.appendleft(
            ACTIVITY(
                id=str(self.new_id()),
                account_id=str(account.id),
                occurred=self.stamp(),
                entity_name="Account",
                action_name=action,
                remote_ip=remote_ip,
                activity_type=ActivityType.ACCOUNT.value,
                arguments=_ARGUMENTS(
                    browser_type=product or "UNKNOWN",
                    browser_version=version or "UNKNOWN",
                    device_type="MOBILE" if "Mobile" in user_agent else "COMPUTER",
                    device_os=os_name,
                ),
            )
        )

    def log_profile(
        self,
        kind: ActivityType,
        *,
        entity: str,
        action: str,
        source: uuid.UUID,
        target: uuid.UUID,
        subject: uuid.UUID,
        data_set: str,
        fields: list[str],
    ) -> None:
        """Record a NETWORK_UPDATES or PDS_MUTATIONS activity for both sides' accounts."""
        accounts = {self.profiles[p].account_id for p in (source, target) if p in self.profiles}
        for account_id in accounts:
            self.accounts[account_id].activities.appendleft(
                ACTIVITY(
                    id=str(self.new_id()),
                    account_id=str(account_id),
                    occurred=self.stamp(),
                    entity_name=entity,
                    action_name=action,
                    source_id=str(source),
                    target_id=str(target),
                    subject=str(subject),
                    activity_type=kind.value,
                    arguments=_ARGUMENTS(data_set_name=data_set, fields_added=list(fields)),
                )
            )

    def log_request(self, share: ShareRequest, action: str) -> None:
        """Record a NETWORK_UPDATES activity of a share request (SHARE, ACCEPT, ...)."""
        card = self.cards.get(share.card_id)
        self.log_profile(
            ActivityType.NETWORK_UPDATES,
            entity="ShareRequest",
            action=action,
            source=share.sender_id,
            target=share.recipient_id,
            subject=share.id,
            data_set="" if card is None else card.name,
            fields=[] if card is None else self.card_field_names(card),
        )

    def card_field_names(self, card: Card) -> list[str]:
        """The definition names of a card's fields (for activity arguments)."""
        owner = self.profiles.get(card.owner_id)
        store = {} if owner is None else owner.datastore
        return [store[f].definition_name for f in card.fields if f in store]
