"""
Profile access for the "Access Required" endpoints (``POST /profiles/{id}/access``).

`enable_access` sends the pass phrase in the ``Secret-Key`` header. With ``remember`` the
client keeps the pass phrase, and when a later call is refused because the access expired
(``WrongSecretKeyError(expired=True)``) the renewal is an auth-flow step (`AccessRenewal`,
the way httpx's ``DigestAuth`` answers a challenge): the flow sends the access request,
then replays the call once. Many calls meeting the same expiry cause one renewal between
them, and share its outcome.
"""

from __future__ import annotations

import enum
import functools
import re
import uuid
from collections.abc import AsyncGenerator, Callable
from typing import TYPE_CHECKING, Any

import anyio
import httpx

from ._args import pass_phrase_arg, path, uuid_arg
from ._auth import BASE_URL_EXTENSION, FlowRelay
from ._body import read_body
from ._errors import APIError, OnlyOnceError, WrongSecretKeyError, error_from_response
from ._events import TRACE_EXTENSION, AccessRenewed
from ._logging import log_request, log_response

if TYPE_CHECKING:
    from ._client import Client

__all__ = ["AccessRenewal", "ProfileAccess", "enable_access", "expired_profile"]

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_ACCESS_PATH = re.compile(r"^profiles/[^/]+/access/?$")


class _Verdict(enum.Enum):
    """What a call that met an expiry does, decided under the profile's lock."""

    REPLAY = "replay"  # renewed since the call started
    RENEW = "renew"  # this call sends the access request
    GIVE_UP = "give-up"  # no pass phrase remembered: the expiry is the answer


class ProfileAccess:
    """
    The pass phrases a client remembers, per profile, to renew expired access.

    Pass phrases are kept in memory only and never shown (not even by ``repr``).
    """

    def __init__(self) -> None:
        self._phrases: dict[uuid.UUID, str] = {}
        # ``epoch`` counts every grant of access and every renewal attempt; ``_granted[pid]``
        # is the epoch of the latest grant for pid, ``_failed[pid]`` that of the latest
        # failed renewal with a factory of its error. A call that started at epoch e and met
        # an expiry renews only if pid was neither granted (someone renewed it) nor refused
        # (someone tried, and failed: this call fails alike) after e. So one episode of
        # waiting calls costs one POST /access, whatever its outcome.
        self._epoch = 0
        self._granted: dict[uuid.UUID, int] = {}
        self._failed: dict[uuid.UUID, tuple[int, Callable[[], Exception]]] = {}
        self._locks: dict[uuid.UUID, anyio.Lock] = {}

    def __repr__(self) -> str:
        return f"<ProfileAccess remembering {len(self._phrases)} profile(s)>"

    @property
    def epoch(self) -> int:
        """A counter of access grants and renewals; read it before a call, pass it to `renew`."""
        return self._epoch

    def remember(self, profile_id: uuid.UUID, pass_phrase: str) -> None:
        """Keep ``pass_phrase`` to re-enable access to ``profile_id`` when it expires."""
        self._phrases[profile_id] = pass_phrase

    def forget(self, profile_id: uuid.UUID) -> None:
        """Stop renewing access to ``profile_id``."""
        self._phrases.pop(profile_id, None)

    def pass_phrase(self, profile_id: uuid.UUID) -> str | None:
        """The remembered pass phrase for ``profile_id``, or ``None``."""
        return self._phrases.get(profile_id)

    def granted(self, profile_id: uuid.UUID) -> None:
        """Note that access to ``profile_id`` was just (re-)enabled."""
        self._epoch += 1
        self._granted[profile_id] = self._epoch

    @property
    def remembers_any(self) -> bool:
        """Whether any pass phrase is remembered (renewal is possible at all)."""
        return bool(self._phrases)

    def lock(self, profile_id: uuid.UUID) -> anyio.Lock:
        """The lock one renewal episode of ``profile_id`` holds."""
        lock = self._locks.get(profile_id)
        if lock is None:
            lock = self._locks[profile_id] = anyio.Lock()
        return lock

    def verdict(self, profile_id: uuid.UUID, since: int) -> _Verdict:
        """
        Under `lock`: replay (renewed since ``since``), renew, or give up (no pass phrase).

        Raises:
            OnlyOnceError: A renewal attempted since ``since`` failed: this call fails alike.
        """
        if self._granted.get(profile_id, 0) > since:
            return _Verdict.REPLAY
        failed = self._failed.get(profile_id)
        if failed is not None and failed[0] > since:
            raise failed[1]()
        if profile_id not in self._phrases:
            return _Verdict.GIVE_UP
        return _Verdict.RENEW

    def begin(self) -> int:
        """Start a renewal attempt; its number goes to `settle`."""
        self._epoch += 1
        return self._epoch

    def settle(self, profile_id: uuid.UUID, attempt: int, error: OnlyOnceError | None) -> None:
        """Record a renewal's outcome for the calls waiting on it (``None``: success)."""
        if error is None:
            self.granted(profile_id)
        else:
            self._failed[profile_id] = (attempt, functools.partial(_same_failure, error))


class AccessRenewal(httpx.Auth):
    """
    An auth-flow step: renew a remembered profile's expired access, then replay once.

    Wraps the client's own auth (whose flow every request here goes through, the access
    request included, so a bearer token or a sign-in applies to it too).

    Args:
        inner: The client's ``httpx.Auth``, or ``None``.
        access: The client's remembered pass phrases.
    """

    def __init__(self, inner: httpx.Auth | None, access: ProfileAccess) -> None:
        self._inner = inner
        self._access = access

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """
        Send ``request``; on an expired access with a remembered pass phrase, renew and replay.

        Args:
            request: The request httpx is about to send.

        Raises:
            OnlyOnceError: The renewal a concurrent call made for this one failed (this
                call's own failed renewal is its final response instead).
        """
        since = self._access.epoch
        await request.aread()  # the replay sends the body again
        relay = FlowRelay(self._inner)
        try:
            outgoing = await relay.start(request)
            while outgoing is not None:
                outgoing = await relay.send((yield outgoing))
            profile_id = await _expired_in(relay.response, request)
            if profile_id is None:
                return
            async with self._access.lock(profile_id):
                verdict = self._access.verdict(profile_id, since)
                if verdict is _Verdict.GIVE_UP:
                    return  # the expiry is the final response
                if verdict is _Verdict.RENEW:
                    attempt = self._access.begin()
                    renewal = _access_request(request, profile_id, self._access)
                    outgoing = await relay.start(renewal)
                    while outgoing is not None:
                        outgoing = await relay.send((yield outgoing))
                    if not await self._settle(profile_id, attempt, relay.response):
                        return  # the refused renewal's response is the final response
                    trace = request.extensions.get(TRACE_EXTENSION)
                    if trace is not None:
                        trace.emit(AccessRenewed(call_id=trace.call_id, profile_id=profile_id))
            outgoing = await relay.start(request)  # the replay, once
            while outgoing is not None:
                outgoing = await relay.send((yield outgoing))
        finally:
            await relay.aclose()

    async def _settle(
        self, profile_id: uuid.UUID, attempt: int, response: httpx.Response | None
    ) -> bool:
        """
        Record the access renewal's outcome for the waiting calls; whether it succeeded.
        """
        assert response is not None
        await read_body(response)
        log_response(response)
        error = None if response.is_success else error_from_response(response)
        self._access.settle(profile_id, attempt, error)
        return error is None


async def _expired_in(response: httpx.Response | None, request: httpx.Request) -> uuid.UUID | None:
    """The profile whose access expired, if ``response`` says so; else ``None``."""
    if response is None or response.is_success or response.status_code >= 500:
        return None
    await read_body(response)
    error = error_from_response(response)
    if not (isinstance(error, WrongSecretKeyError) and error.expired):
        return None
    base = request.extensions.get(BASE_URL_EXTENSION)
    if base is None:
        return None
    return expired_profile(error, request, httpx.URL(str(base)))


def _access_request(
    request: httpx.Request, profile_id: uuid.UUID, access: ProfileAccess
) -> httpx.Request:
    """``POST /profiles/{id}/access`` below the call's base URL, as `_post_access` sends it."""
    pass_phrase = access.pass_phrase(profile_id)
    assert pass_phrase is not None
    base = httpx.URL(str(request.extensions[BASE_URL_EXTENSION]))
    # The Secret-Key header carries the pass phrase as its UTF-8 bytes (see _post_access).
    headers = [
        (name, value)
        for name, value in request.headers.raw
        if name.lower() in (b"user-agent", b"accept")
    ]
    headers.append((b"Secret-Key", pass_phrase.encode("utf-8")))
    renewal = httpx.Request(
        "POST",
        base.join(path("/profiles/{id}/access", id=profile_id).lstrip("/")),
        headers=headers,
        extensions=dict(request.extensions),
    )
    log_request(renewal, 0)
    return renewal


def _same_failure(error: OnlyOnceError) -> Exception:
    """A fresh error like ``error``, for a call that waited on the renewal that raised it."""
    if isinstance(error, APIError) and error.response is not None:
        return error_from_response(error.response)
    try:
        return type(error)(f"renewing profile access failed in a concurrent call: {error}")
    except TypeError:  # an error class with required attributes: share the instance
        return error


async def _post_access(client: Client, profile_id: uuid.UUID, pass_phrase: str) -> None:
    # The Secret-Key header carries the pass phrase as its UTF-8 bytes (HTTP field values
    # may hold bytes 0x80-0xFF; a str header value would have to be ASCII). The sandbox
    # decodes it the same way. Checked by pass_phrase_arg: no CR/LF or other controls.
    secret_key = pass_phrase.encode("utf-8")
    await client.request(
        "POST", path("/profiles/{id}/access", id=profile_id), headers={"Secret-Key": secret_key}
    )


async def enable_access(
    client: Client, profile_id: Any, pass_phrase: str, *, remember: bool = True
) -> None:
    """
    ``POST /profiles/{id}/access`` with the ``Secret-Key`` header.

    Args:
        client: The client whose account gets access.
        profile_id: The profile (``uuid.UUID`` or its string).
        pass_phrase: The profile's pass phrase.
        remember: Keep the pass phrase in memory to renew the access when it expires.

    Raises:
        TypeError, ValueError: A bad id, or a pass phrase that a header cannot carry (control
            characters, CR/LF included, or white space at either end); nothing is sent and
            the message never quotes the pass phrase.
        WrongSecretKeyError: Wrong pass phrase.
    """
    pid = uuid_arg(profile_id, "profile_id")
    pass_phrase_arg(pass_phrase, "pass_phrase")
    await _post_access(client, pid, pass_phrase)
    client.profile_access.granted(pid)
    if remember:
        client.profile_access.remember(pid, pass_phrase)
    else:
        client.profile_access.forget(pid)


def expired_profile(
    error: WrongSecretKeyError, request: httpx.Request, base_url: httpx.URL
) -> uuid.UUID | None:
    """
    The profile whose access expired, for a call refused with ``error``.

    Taken from the error's ``data`` ("Secret key for profile <id> expired"), else from a
    request path ``profiles/{id}/...``, else from a ``profileId`` query parameter. ``None``
    for the access request itself (a renewal never renews itself) or when no id is found.
    """
    relative = _relative_path(request.url, base_url)
    if request.method == "POST" and relative is not None and _ACCESS_PATH.match(relative):
        return None
    candidates: list[str] = []
    if isinstance(error.data, str):
        candidates += _UUID.findall(error.data)
    if relative is not None and relative.startswith("profiles/"):
        candidates.append(relative.split("/")[1])
    candidates += request.url.params.get_list("profileId")
    for candidate in candidates:
        try:
            return uuid.UUID(candidate)
        except ValueError:
            continue
    return None


def _relative_path(url: httpx.URL, base_url: httpx.URL) -> str | None:
    base = base_url.path
    if not url.path.startswith(base):
        return None
    return url.path[len(base) :]
