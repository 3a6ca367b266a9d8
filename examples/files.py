"""
Files: upload bytes, a path and a file object; read their info; download into memory and
to a path; delete them.

Paths and file objects are streamed (not read into memory first); ``download_to`` writes
through a temporary file beside the target and renames it into place only when the whole
body has arrived, so a failed download never leaves a partial file.

With no environment set it runs against the embedded sandbox. Against a real server, set
``ONLYONCE_BASE_URL``, ``ONLYONCE_USERNAME``, ``ONLYONCE_PASSWORD`` and
``ONLYONCE_PASS_PHRASE`` (the personal profile's pass phrase); the files it uploads are
deleted again.

Run: ``python examples/files.py``
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import anyio

from onlyonce_async import Client, NotFoundError, ProfileType


async def tour(client: Client, username: str, password: str, pass_phrase: str) -> None:
    """Upload, inspect, download and delete three files."""
    await client.account.sign_in(username, password)
    profiles = await client.profiles.list(scope="MINE").collect()
    profile = next(p for p in profiles if p.type is ProfileType.PERSONAL)
    await client.profiles.enable_access(profile.id, pass_phrase)

    with tempfile.TemporaryDirectory(prefix="onlyonce-files-") as directory:
        folder = Path(directory)
        source = folder / "report.csv"
        source.write_text("id,name\n1,Ada\n2,Grace\n", encoding="utf-8")

        uploaded = [
            # bytes need a filename (the content type is guessed from it)
            await client.files.upload(profile.id, b"hello, files", filename="hello.txt"),
            # a path is opened, streamed and closed for you
            await client.files.upload(profile.id, source, description="a small CSV"),
            # a binary file object is sent from its start
            await client.files.upload(profile.id, io.BytesIO(b"\x89PNG fake"), filename="x.png"),
        ]
        for info in uploaded:
            print(f"uploaded {info.name!r}: id {info.id}, {info.size} bytes")

        info = await client.files.info(uploaded[1].id)
        print(f"info: {info.name!r} described as {info.description!r}")

        data = await client.files.download(profile.id, uploaded[0].id)
        print(f"downloaded into memory: {data!r}")

        target = folder / "copy-of-report.csv"
        written = await client.files.download_to(profile.id, uploaded[1].id, target)
        same = target.read_bytes() == source.read_bytes()
        print(f"downloaded {written} bytes to {target.name}; identical to the upload: {same}")

    for info in uploaded:
        await client.files.delete(profile.id, info.id)
    print(f"deleted {len(uploaded)} files")
    try:
        await client.files.info(uploaded[0].id)
    except NotFoundError:
        print("the deleted file's info is gone (NotFoundError)")


async def main() -> None:
    env = os.environ
    if env.get("ONLYONCE_BASE_URL"):
        async with Client(base_url=env["ONLYONCE_BASE_URL"]) as client:
            await tour(
                client,
                env["ONLYONCE_USERNAME"],
                env["ONLYONCE_PASSWORD"],
                env["ONLYONCE_PASS_PHRASE"],
            )
        return

    from onlyonce_async.testing import Sandbox

    sandbox = Sandbox()
    user = sandbox.create_user(
        email="files@example.com", password="files-password-1", pass_phrase="files phrase"
    )
    print("running against the embedded sandbox")
    async with sandbox.client() as client:
        await tour(client, user.email, user.password, user.pass_phrase)


if __name__ == "__main__":
    anyio.run(main)
