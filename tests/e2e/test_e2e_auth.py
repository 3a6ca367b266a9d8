"""
End-to-end: bearer sign-in and re-authentication, signed JWTs (every request kind, the
JWT-API errors, clock skew) and profile access expiry, against the sandbox.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives import serialization

from onlyonce_async import (
    BearerAuth,
    Client,
    ClientNotFoundError,
    FieldValue,
    ProjectAccessError,
    SignedJWTAuth,
    UnauthorizedError,
    UserNotAccessibleError,
    WrongSecretKeyError,
)
from onlyonce_async.testing import Sandbox, SandboxUser
from tests._support.clocks import Clock
from tests._support.keys import pem, rsa_key

from .conftest import SignedIn

pytestmark = pytest.mark.anyio

API_KEY = "e2e-api-key"
PROJECT = "e2e-project"


@pytest.fixture(scope="module")
def private_pem() -> bytes:
    """A fresh RSA key (PEM), generated at test time."""
    return pem(rsa_key())


@pytest.fixture
def registered(sandbox: Sandbox, alice: SandboxUser, private_pem: bytes) -> None:
    """Register an API client that may act as Alice in PROJECT."""
    key = serialization.load_pem_private_key(private_pem, password=None)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    sandbox.register_api_client(
        api_key=API_KEY, public_key=public, users=[alice.user_id], projects=[PROJECT]
    )


JWTClient = Callable[..., Client]


@pytest.fixture
def jwt_client(sandbox: Sandbox, private_pem: bytes, registered: None) -> JWTClient:
    """Build a client signing with the registered key (claims overridable)."""

    def make(**kwargs: object) -> Client:
        auth = SignedJWTAuth(API_KEY, private_pem, **kwargs)  # type: ignore[arg-type]
        return sandbox.client(auth=auth, max_retries=0)

    return make


async def test_with_credentials_signs_in_again_after_password_change(
    sandbox: Sandbox, alice: SandboxUser
) -> None:
    """A password change kills the token; with_credentials (new password) signs in again."""
    auth = BearerAuth.with_credentials(alice.email, alice.password)
    async with sandbox.client(auth=auth, max_retries=0) as client:
        assert (await client.account.get()).email == alice.email
        first = auth.token
        async with sandbox.client(max_retries=0) as other:
            await other.account.sign_in(alice.email, alice.password)
            await other.account.change_password(alice.password, "changed")
        with pytest.raises(UnauthorizedError):
            await client.account.get()  # the remembered password is now wrong
    renewed = BearerAuth.with_credentials(alice.email, "changed")
    renewed.token = first
    async with sandbox.client(auth=renewed, max_retries=0) as client:
        assert (await client.account.get()).email == alice.email
        assert renewed.token not in (None, first)


async def test_sign_out_then_sign_in_again(signed_in: SignedIn, alice: SandboxUser) -> None:
    """After sign_out the client has no token; sign_in installs a fresh one."""
    client = await signed_in(alice)
    await client.account.sign_out()
    with pytest.raises(UnauthorizedError):
        await client.account.get()
    await client.account.sign_in(alice.email, alice.password)
    assert (await client.account.get()).email == alice.email


async def test_signed_jwt_every_request_kind(
    jwt_client: JWTClient, alice: SandboxUser, sandbox: Sandbox
) -> None:
    """GET with a query, POST and PUT with JSON, DELETE and a multipart upload all verify."""
    async with jwt_client(user=alice.user_id, project=PROJECT) as client:
        assert (await client.account.get()).email == alice.email
        await client.profiles.enable_access(alice.profile_id, alice.pass_phrase)
        (added,) = await client.datastore.add_fields(
            alice.profile_id, [FieldValue(definition_name="x_field", value="a b&c=d")]
        )
        settings = await client.profiles.get_settings(alice.profile_id)
        await client.profiles.update_settings(alice.profile_id, settings)
        found = [p async for p in client.profiles.list(name="Alice User", page_size=5)]
        assert [p.id for p in found] == [alice.profile_id]
        info = await client.files.upload(
            alice.profile_id, io.BytesIO(b"payload" * 100), filename="f.bin", description="d"
        )
        assert await client.files.download(alice.profile_id, info.id) == b"payload" * 100
        outgoing = client.network.list_requests(
            alice.profile_id, statuses=["PENDING", "ACCEPTED"], sort_direction="desc"
        )
        assert [r async for r in outgoing] == []
        assert added.id is not None
        await client.datastore.delete_field(alice.profile_id, added.id)
        await client.files.delete(alice.profile_id, info.id)
    assert sandbox.stats.internal_errors == 0


async def test_signed_jwt_wrong_project(jwt_client: JWTClient, alice: SandboxUser) -> None:
    """A project the client may not use raises ProjectAccessError."""
    async with jwt_client(user=alice.user_id, project="other") as client:
        with pytest.raises(ProjectAccessError):
            await client.account.get()


async def test_signed_jwt_unknown_user(jwt_client: JWTClient, bob: SandboxUser) -> None:
    """A user the client may not act as (or that does not exist) raises UserNotAccessibleError."""
    for user in (bob.user_id, 999_999):
        async with jwt_client(user=user, project=PROJECT) as client:
            with pytest.raises(UserNotAccessibleError):
                await client.account.get()


async def test_signed_jwt_disabled_client(
    jwt_client: JWTClient, alice: SandboxUser, sandbox: Sandbox
) -> None:
    """A deactivated API client raises ClientNotFoundError."""
    sandbox.disable_api_client(API_KEY)
    async with jwt_client(user=alice.user_id, project=PROJECT) as client:
        with pytest.raises(ClientNotFoundError):
            await client.account.get()


async def test_signed_jwt_with_server_clock_behind(
    jwt_client: JWTClient, alice: SandboxUser, clock: Clock
) -> None:
    """A sandbox clock 30 s behind is learned from Date headers: every call succeeds."""
    import time

    clock.now = time.time() - 30
    async with jwt_client(user=alice.user_id, project=PROJECT) as client:
        for _ in range(3):
            assert (await client.account.get()).email == alice.email


async def test_access_expiry_renewed_with_remember(
    signed_in: SignedIn, alice: SandboxUser, clock: Clock
) -> None:
    """An expired access is renewed transparently when the pass phrase is remembered."""
    client = await signed_in(alice)
    await client.profiles.enable_access(alice.profile_id, alice.pass_phrase, remember=True)
    assert await client.datastore.get(alice.profile_id)
    clock.advance(301)
    assert await client.datastore.get(alice.profile_id)


async def test_access_expiry_without_remember(
    signed_in: SignedIn, alice: SandboxUser, clock: Clock
) -> None:
    """Without remember, an expired access raises WrongSecretKeyError(expired=True)."""
    client = await signed_in(alice)
    await client.profiles.enable_access(alice.profile_id, alice.pass_phrase, remember=False)
    clock.advance(301)
    with pytest.raises(WrongSecretKeyError) as caught:
        await client.datastore.get(alice.profile_id)
    assert caught.value.expired is True
    assert str(alice.profile_id) in str(caught.value)


async def test_unknown_profile_access(signed_in: SignedIn, alice: SandboxUser) -> None:
    """Enabling access to an unknown profile raises NotFoundError."""
    from onlyonce_async import NotFoundError

    client = await signed_in(alice)
    with pytest.raises(NotFoundError):
        await client.profiles.enable_access(uuid.uuid4(), "x")
