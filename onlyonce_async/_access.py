"""
Profile access for the "Access Required" endpoints (``POST /profiles/{id}/access``).

`enable_access` sends the pass phrase in the ``Secret-Key`` header. With ``remember`` the
client keeps the pass phrase, and when a later call is refused because the access expired
(``WrongSecretKeyError(expired=True)``) the client renews the access once and replays the
call (`Client` calls `ProfileAccess.renew`). Many calls meeting the same expiry cause one
renewal between them.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import anyio
import httpx

from ._args import pass_phrase_arg, path, uuid_arg
from ._errors import APIError, OnlyOnceError, WrongSecretKeyError, error_from_response

if TYPE_CHECKING:
    from ._client import Client

__all__ = ["ProfileAccess", "enable_access", "expired_profile"]

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_ACCESS_PATH = re.compile(r"^profiles/[^/]+/access/?$")


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

    async def renew(self, client: Client, profile_id: uuid.UUID, since: int) -> bool:
        """
        Re-enable access to ``profile_id`` after it expired, once for all waiting callers.

        Args:
            client: The client to send ``POST /profiles/{id}/access`` with.
            profile_id: The profile whose access expired.
            since: The `epoch` read before the call that met the expiry was sent.

        Returns:
            ``True`` when access was renewed (by this call or by another since ``since``)
            and the call may be replayed; ``False`` when no pass phrase is remembered.

        Raises:
            OnlyOnceError: The renewal failed (e.g. the pass phrase was changed): this
                call's own attempt, or the one a concurrent call made since ``since``.
        """
        lock = self._locks.get(profile_id)
        if lock is None:
            lock = self._locks[profile_id] = anyio.Lock()
        async with lock:
            if self._granted.get(profile_id, 0) > since:
                return True
            failed = self._failed.get(profile_id)
            if failed is not None and failed[0] > since:
                raise failed[1]()
            pass_phrase = self._phrases.get(profile_id)
            if pass_phrase is None:
                return False
            self._epoch += 1
            attempt = self._epoch
            try:
                await _post_access(client, profile_id, pass_phrase)
            except OnlyOnceError as error:
                # Cancellation is not an outcome: the next waiter tries for itself.
                self._failed[profile_id] = (attempt, functools.partial(_same_failure, error))
                raise
            self.granted(profile_id)
            return True


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
