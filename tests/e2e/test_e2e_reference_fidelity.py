"""
The SDK side of issue 13 items 9-11, end to end against the sandbox: an organisation with
only the reference's required fields, the reference's ``CONNETIONS`` scope, and an expired
token surfacing as one class whichever code the server uses.
"""

from __future__ import annotations

import time

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

import onlyonce_async as oo
from onlyonce_async import Client
from onlyonce_async.testing import BASE_URL, Sandbox, SandboxUser
from tests._support import keys
from tests._support.clocks import Clock

pytestmark = pytest.mark.anyio


async def test_create_organization_with_required_fields_only(alice_client: Client) -> None:
    """create_organization needs only pass_phrase, email and trade_name, as the reference."""
    await alice_client.profiles.create_organization(
        pass_phrase="org-pp", email="org@example.com", trade_name="Only Required BV"
    )
    names = [p.name async for p in alice_client.profiles.list(scope="MINE")]
    assert "Only Required BV" in names


async def test_list_scope_connetions(
    alice_client: Client, bob_client: Client, alice: SandboxUser, bob: SandboxUser
) -> None:
    """scope="CONNETIONS" (the reference's spelling) lists the connections as CONNECTIONS."""
    card = (await alice_client.profiles.get(alice.profile_id)).public_card_id
    assert card is not None
    shared = await alice_client.network.share(
        card, sender_id=alice.profile_id, recipient_id=bob.profile_id
    )
    await bob_client.network.accept([shared.id])
    spelled = alice_client.profiles.list(scope="CONNETIONS", profile_id=alice.profile_id)
    correct = alice_client.profiles.list(
        scope=oo.ProfileScope.CONNECTIONS, profile_id=alice.profile_id
    )
    assert [p.id async for p in spelled] == [p.id async for p in correct] == [bob.profile_id]


class SlowNetwork(httpx.AsyncBaseTransport):
    """The sandbox, reached through a network taking ``delay`` seconds (of its clock)."""

    def __init__(self, sandbox: Sandbox, clock: Clock, delay: float) -> None:
        self._inner = sandbox.transport()
        self._clock = clock
        self._delay = delay

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._clock.advance(self._delay)
        return await self._inner.handle_async_request(request)


@pytest.mark.parametrize(
    ("delay", "lifetime", "code"),
    [
        pytest.param(100.0, 300, 104, id="104-older-than-60s"),
        pytest.param(30.0, 10, 101, id="101-exp-passed"),
    ],
)
async def test_expired_token_is_one_class(
    rsa_key: rsa.RSAPrivateKey, public_pem: bytes, delay: float, lifetime: int, code: int
) -> None:
    """
    An expired signed JWT (each request takes longer to arrive than its token lives, so the
    one re-signing with the server's time does not help) raises TokenNotVerifiedError (as
    TokenExpiredError) whether the server answers 104 or 101, and still matches ERROR_CODES
    for its code.
    """
    clock = Clock(time.time())
    sandbox = Sandbox(rate_limit=None, clock=clock)
    user = sandbox.create_user(email="jwt@example.com", password="pw", pass_phrase="pp")
    sandbox.register_api_client(
        api_key="k", public_key=public_pem, users=[user.user_id], projects=["p"]
    )
    pem = keys.pem(rsa_key)
    auth = oo.SignedJWTAuth("k", pem, user=user.user_id, project="p", lifetime=lifetime)
    async with Client(
        base_url=BASE_URL,
        transport=SlowNetwork(sandbox, clock, delay),
        auth=auth,
        rate_limiter=None,
        max_retries=0,
    ) as client:
        with pytest.raises(oo.TokenNotVerifiedError) as caught:
            await client.account.get()
    error = caught.value
    assert type(error) is oo.TokenExpiredError
    assert error.code == code
    assert isinstance(error, oo.ERROR_CODES[code])
