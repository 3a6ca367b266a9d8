"""
The wire vocabulary: one definition of the API's enumerations, limits and ``htu`` rule,
used by the SDK and the sandbox alike.
"""

from __future__ import annotations

import ast
import contextlib
import pathlib

import anyio
import httpx
import pytest

import onlyonce_async as oo
import onlyonce_async.testing as sandbox_package
from onlyonce_async import _wire
from onlyonce_async._jwt import canonical_target
from onlyonce_async.testing import Sandbox, _records, _routes_network, _routes_profiles, _validate

_SANDBOX = pathlib.Path(sandbox_package.__file__).parent
_VALUES = {enumeration: set(_wire.values(enumeration)) for enumeration in _wire.ENUMERATIONS}


def _string_collections(tree: ast.AST) -> list[tuple[int, set[str]]]:
    """Each tuple, list or set literal of two or more strings, with its line."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and len(node.elts) >= 2:
            texts = {
                e.value
                for e in node.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            }
            if all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
                found.append((node.lineno, texts))
    return found


@pytest.mark.parametrize("module", sorted(p.name for p in _SANDBOX.glob("*.py")))
def test_sandbox_spells_no_enumeration_itself(module: str) -> None:
    """No sandbox module lists all of an enumeration's values as strings: it imports them."""
    tree = ast.parse((_SANDBOX / module).read_text(encoding="utf-8"))
    copies = [
        (line, enumeration.__name__)
        for line, texts in _string_collections(tree)
        for enumeration, values in _VALUES.items()
        if texts == values
    ]
    assert copies == []


def test_the_scanner_finds_a_copy() -> None:
    """The scan above recognises a string tuple copy of an enumeration."""
    tree = ast.parse('STATUSES = ("PENDING", "ACCEPTED")\nOTHER = ("a", "b")')
    assert [texts for _, texts in _string_collections(tree)] == [
        {"PENDING", "ACCEPTED"},
        {"a", "b"},
    ]


def test_sandbox_enumerations_are_the_vocabulary() -> None:
    """What the sandbox accepts and renders is the SDK's enumerations, member for member."""
    assert set(_routes_network.STATUSES) == {s.value for s in oo.RequestStatus}
    assert set(_routes_profiles.SCOPES) == {s.value for s in oo.ProfileScope}
    assert set(_records.CHANNELS) == {c.value for c in oo.CommunicationChannel}
    assert set(_records.NOTIFICATION_TYPES) == {n.value for n in oo.EmailNotificationType}
    assert (_validate.DEFAULT_SIZE, _validate.MAX_SIZE) == (
        _wire.DEFAULT_PAGE_SIZE,
        _wire.MAX_PAGE_SIZE,
    )


def test_public_enumerations_are_the_vocabulary() -> None:
    """Each enumeration the SDK exports is the vocabulary's class, not a copy."""
    for enumeration in _wire.ENUMERATIONS:
        assert getattr(oo, enumeration.__name__) is enumeration


@pytest.mark.parametrize(
    ("url", "htu"),
    [
        pytest.param("https://h/v2/profiles", "/v2/profiles", id="no-query"),
        pytest.param("https://h/v2/p?b=2&a=1", "/v2/p?a=1&b=2", id="sorted"),
        pytest.param("https://h/v2/p?a=x%20y&a=", "/v2/p?a=&a=x%20y", id="encoded-and-blank"),
        pytest.param("https://h/v2/p%2Fq?n=%7E", "/v2/p%2Fq?n=~", id="path-as-sent"),
        pytest.param("https://h/v2/p?&", "/v2/p", id="no-pairs"),
    ],
)
def test_htu_is_one_rule_for_client_and_server(url: str, htu: str) -> None:
    """The SDK signs the ``htu`` the sandbox's verifier computes from the same request."""
    parsed = httpx.URL(url)
    assert canonical_target(parsed) == htu
    assert _wire.canonical_target(parsed.raw_path.partition(b"?")[0], parsed.query) == htu


@pytest.mark.parametrize("name", sorted(_wire.REQUEST_ACTIONS))
def test_request_actions_come_from_one_table(name: str) -> None:
    """Each row of the action table is a network method and the sandbox's rule for it: a
    request in a movable status moves to the row's outcome, one in any other is refused."""
    action = _wire.REQUEST_ACTIONS[name]
    method = getattr(oo.NetworkAPI, name)
    assert f"POST /requests/{name}" in (method.__doc__ or "")
    after = {status: anyio.run(_answer_in_status, name, status) for status in oo.RequestStatus}
    assert after == {
        status: action.outcome if status in action.movable else status
        for status in oo.RequestStatus
    }


async def _answer_in_status(name: str, status: oo.RequestStatus) -> oo.RequestStatus:
    """Answer (``network.<name>``) a share request brought to ``status`` first, as the side
    the action is for; return the status the sandbox then holds (the same one when the
    sandbox refused the answer with `WrongRequestStatusError`)."""
    sandbox = Sandbox(rate_limit=None)
    users = [
        sandbox.create_user(email=f"{who}@example.com", password="pw", pass_phrase="pp")
        for who in ("sender", "recipient")
    ]
    async with contextlib.AsyncExitStack() as stack:
        sender, recipient = [
            await stack.enter_async_context(sandbox.client(max_retries=0)) for _ in users
        ]
        for client, user in zip((sender, recipient), users, strict=True):
            await client.account.sign_in(user.email, user.password)
            await client.profiles.enable_access(user.profile_id, user.pass_phrase)
        card = (await sender.profiles.get(users[0].profile_id)).public_card_id
        assert card is not None
        share = await sender.network.share(
            card, sender_id=users[0].profile_id, recipient_id=users[1].profile_id
        )
        if status is oo.RequestStatus.REVOKED:
            await sender.network.revoke([share.id])
        elif status is not oo.RequestStatus.PENDING:
            answer = "accept" if status is oo.RequestStatus.ACCEPTED else "decline"
            await getattr(recipient.network, answer)([share.id])
        (record,) = sandbox.share_requests()
        assert record.status == status.value
        actor = recipient if _wire.REQUEST_ACTIONS[name].side == "received" else sender
        with contextlib.suppress(oo.WrongRequestStatusError):
            await getattr(actor.network, name)([share.id])
    (record,) = sandbox.share_requests()
    return oo.RequestStatus(record.status)
