"""
End-to-end: ``client.account`` against the sandbox.
"""

from __future__ import annotations

import pytest

from onlyonce_async import (
    AuthenticationFailedError,
    BearerAuth,
    RegistrationFailedError,
    UnauthorizedError,
)
from onlyonce_async.testing import Sandbox, SandboxUser

from .conftest import SignedIn

pytestmark = pytest.mark.anyio


def _country(sandbox: Sandbox) -> str:
    return str(sandbox.dictionary("country_field")[0].id)


async def test_sign_up_then_sign_in_and_get(sandbox: Sandbox) -> None:
    """sign_up creates an account whose personal profile carries the full name."""
    async with sandbox.client(max_retries=0) as client:
        await client.account.sign_up(
            pass_phrase="pp",
            password="pw",
            email="carol@example.com",
            first_name="Carol",
            middle_name="Ann",
            last_name="Smith",
            country=_country(sandbox),
            gender=sandbox.dictionary("gender_field")[0].id,
            employer="Acme",
            job_title="Engineer",
        )
        token = await client.account.sign_in("carol@example.com", "pw")
        assert token
        account = await client.account.get()
        assert account.email == "carol@example.com"
        mine = [p async for p in client.profiles.list(scope="MINE")]
        assert [p.name for p in mine] == ["Carol Ann Smith"]


async def test_sign_up_refused_names_fields(sandbox: Sandbox, alice: SandboxUser) -> None:
    """A taken email and a country outside the dictionary raise RegistrationFailedError."""
    async with sandbox.client(max_retries=0) as client:
        with pytest.raises(RegistrationFailedError) as caught:
            await client.account.sign_up(
                pass_phrase="pp",
                password="pw",
                email=alice.email,
                first_name="A",
                last_name="B",
                country="00000000-0000-0000-0000-000000000001",
            )
    assert set(caught.value.fields) == {"email", "country"}


async def test_sign_in_with_bad_password_is_unauthorized(
    sandbox: Sandbox, alice: SandboxUser
) -> None:
    """Bad credentials raise UnauthorizedError and install no token."""
    async with sandbox.client(max_retries=0) as client:
        with pytest.raises(UnauthorizedError):
            await client.account.sign_in(alice.email, "wrong")
        with pytest.raises(UnauthorizedError):
            await client.account.get()


async def test_sign_out_invalidates_the_token(signed_in: SignedIn, alice: SandboxUser) -> None:
    """After sign_out the old token is refused by the server."""
    client = await signed_in(alice)
    auth = client.auth
    assert isinstance(auth, BearerAuth)
    token = auth.token
    await client.account.sign_out()
    assert auth.token is None
    async with client.with_options(auth=BearerAuth(token)) as stale:
        with pytest.raises(UnauthorizedError):
            await stale.account.get()


async def test_change_password(signed_in: SignedIn, sandbox: Sandbox, alice: SandboxUser) -> None:
    """change_password with the right old password switches the sign-in password."""
    client = await signed_in(alice)
    await client.account.change_password(alice.password, "new-pw")
    async with sandbox.client(max_retries=0) as other:
        with pytest.raises(UnauthorizedError):
            await other.account.sign_in(alice.email, alice.password)
        await other.account.sign_in(alice.email, "new-pw")


async def test_change_password_with_wrong_old_password(
    signed_in: SignedIn, alice: SandboxUser
) -> None:
    """A wrong old password raises AuthenticationFailedError and keeps the password."""
    client = await signed_in(alice)
    with pytest.raises(AuthenticationFailedError):
        await client.account.change_password("not-it", "new-pw")
    await client.account.sign_in(alice.email, alice.password)


async def test_request_password_reset(sandbox: Sandbox, alice: SandboxUser) -> None:
    """A reset request succeeds for known and unknown emails alike; an empty one is refused."""
    async with sandbox.client(max_retries=0) as client:
        await client.account.request_password_reset(alice.email)
        await client.account.request_password_reset("nobody@example.com")
        with pytest.raises(ValueError, match="email"):
            await client.account.request_password_reset("")


async def test_delete_account(signed_in: SignedIn, sandbox: Sandbox, alice: SandboxUser) -> None:
    """delete removes the account: its token and its credentials stop working."""
    client = await signed_in(alice)
    await client.account.delete()
    with pytest.raises(UnauthorizedError):
        await client.account.get()
    with pytest.raises(UnauthorizedError):
        await client.account.delete()
    async with sandbox.client(max_retries=0) as other:
        with pytest.raises(UnauthorizedError):
            await other.account.sign_in(alice.email, alice.password)
