"""
End-to-end: ``client.files`` against the sandbox.
"""

from __future__ import annotations

import io
import os
import pathlib
import uuid

import pytest

from onlyonce_async import (
    AccessDeniedError,
    Client,
    NotFoundError,
    PayloadTooLargeError,
    WrongSecretKeyError,
)
from onlyonce_async.testing import Sandbox, SandboxUser

from .conftest import SignedIn

pytestmark = pytest.mark.anyio

CONTENT = b"%PDF-1.4 not really a pdf\n" * 40


async def test_upload_bytes_info_download(alice_client: Client, alice: SandboxUser) -> None:
    """Uploaded bytes come back from info and download unchanged."""
    info = await alice_client.files.upload(
        alice.profile_id, CONTENT, filename="cv.pdf", description="my CV"
    )
    assert (info.name, info.size, info.description) == ("cv.pdf", len(CONTENT), "my CV")
    assert await alice_client.files.info(info.id) == info
    assert await alice_client.files.download(alice.profile_id, info.id) == CONTENT


async def test_upload_path_and_file_object(
    alice_client: Client, alice: SandboxUser, tmp_path: pathlib.Path
) -> None:
    """A path is named after its base name; a file object is sent from its start."""
    source = tmp_path / "photo.png"
    source.write_bytes(CONTENT)
    from_path = await alice_client.files.upload(alice.profile_id, source, avatar=True)
    assert (from_path.name, from_path.size) == ("photo.png", len(CONTENT))
    assert (await alice_client.profiles.get(alice.profile_id)).avatar_id == from_path.id
    handle = io.BytesIO(b"hello")
    handle.seek(3)
    from_object = await alice_client.files.upload(alice.profile_id, handle, filename="h.txt")
    assert await alice_client.files.download(alice.profile_id, from_object.id) == b"hello"


async def test_upload_as_datastore_field(alice_client: Client, alice: SandboxUser) -> None:
    """With field_definition_name the file becomes a datastore value pointing at it."""
    info = await alice_client.files.upload(
        alice.profile_id, CONTENT, filename="id.pdf", field_definition_name="passport_scan_field"
    )
    values = await alice_client.datastore.get(alice.profile_id)
    (field,) = [v for v in values if v.definition_name == "passport_scan_field"]
    assert field.value == {"id": str(info.id)}


async def test_upload_as_field_without_access(
    signed_in: SignedIn, alice: SandboxUser, sandbox: Sandbox
) -> None:
    """A datastore upload without access raises WrongSecretKeyError and stores nothing."""
    client = await signed_in(alice)
    with pytest.raises(WrongSecretKeyError):
        await client.files.upload(alice.profile_id, CONTENT, field_definition_name="scan_field")
    plain = await client.files.upload(alice.profile_id, CONTENT)
    assert plain.size == len(CONTENT)


async def test_upload_too_large() -> None:
    """A file over max_upload_bytes raises PayloadTooLargeError."""
    small = Sandbox(rate_limit=None, max_upload_bytes=100)
    user = small.create_user(email="u@example.com", password="pw", pass_phrase="pp")
    async with small.client(max_retries=0) as client:
        await client.account.sign_in(user.email, user.password)
        with pytest.raises(PayloadTooLargeError):
            await client.files.upload(user.profile_id, b"x" * 101)
        info = await client.files.upload(user.profile_id, b"x" * 100)
        assert info.size == 100


async def test_download_to_path_and_file_object(
    alice_client: Client, alice: SandboxUser, tmp_path: pathlib.Path
) -> None:
    """download_to writes to a path (atomically) and to a binary file object."""
    info = await alice_client.files.upload(alice.profile_id, CONTENT)
    target = tmp_path / "out.bin"
    assert await alice_client.files.download_to(alice.profile_id, info.id, target) == len(CONTENT)
    assert target.read_bytes() == CONTENT
    sink = io.BytesIO()
    assert await alice_client.files.download_to(alice.profile_id, info.id, sink) == len(CONTENT)
    assert sink.getvalue() == CONTENT


async def test_download_to_unknown_file_leaves_no_file(
    alice_client: Client, alice: SandboxUser, tmp_path: pathlib.Path
) -> None:
    """An unknown file raises NotFoundError and leaves the destination untouched."""
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(NotFoundError):
        await alice_client.files.download_to(alice.profile_id, uuid.uuid4(), target)
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["out.bin"]


async def test_download_without_access(
    signed_in: SignedIn, alice: SandboxUser, tmp_path: pathlib.Path
) -> None:
    """Downloading without access raises WrongSecretKeyError (both download methods)."""
    client = await signed_in(alice)
    info = await client.files.upload(alice.profile_id, CONTENT)
    with pytest.raises(WrongSecretKeyError):
        await client.files.download(alice.profile_id, info.id)
    with pytest.raises(WrongSecretKeyError):
        await client.files.download_to(alice.profile_id, info.id, tmp_path / "x")
    assert not (tmp_path / "x").exists()


async def test_info_failures(alice_client: Client, bob_client: Client, alice: SandboxUser) -> None:
    """Another account's file raises AccessDeniedError; an unknown one NotFoundError."""
    info = await alice_client.files.upload(alice.profile_id, CONTENT)
    with pytest.raises(AccessDeniedError):
        await bob_client.files.info(info.id)
    with pytest.raises(NotFoundError):
        await alice_client.files.info(uuid.uuid4())


async def test_delete(alice_client: Client, bob_client: Client, alice: SandboxUser) -> None:
    """delete removes the file; a foreign profile is denied, a second delete is not found."""
    info = await alice_client.files.upload(alice.profile_id, CONTENT)
    with pytest.raises(AccessDeniedError):
        await bob_client.files.delete(alice.profile_id, info.id)
    await alice_client.files.delete(alice.profile_id, info.id)
    with pytest.raises(NotFoundError):
        await alice_client.files.info(info.id)
    with pytest.raises(NotFoundError):
        await alice_client.files.delete(alice.profile_id, info.id)
