"""
Wire-level tests of files, dictionaries, heartbeat and routing errors.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable

import httpx
import pytest
from starlette.types import Message

from onlyonce_async.testing import BASE_URL, Sandbox, SandboxUser

Headers = Callable[[SandboxUser], dict[str, str]]
Unlock = Callable[[SandboxUser], Awaitable[dict[str, str]]]
pytestmark = pytest.mark.anyio


def _files(content: bytes, metadata: object) -> dict[str, tuple[str | None, bytes | str, str]]:
    return {
        "file": ("report.pdf", content, "application/pdf"),
        "metadata": (None, json.dumps(metadata), "application/json"),
    }


async def test_upload_info_download_delete(
    http: httpx.AsyncClient, alice: SandboxUser, bob: SandboxUser, unlock: Unlock, auth: Headers
) -> None:
    """A file uploads, reports its info, downloads byte for byte, and deletes."""
    headers = await unlock(alice)
    uploaded = await http.post(
        f"profiles/{alice.profile_id}/files",
        files=_files(b"%PDF-1.4 data", {"avatar": True, "description": "cv"}),
        headers=headers,
    )
    assert uploaded.status_code == 200
    info = uploaded.json()
    assert info["name"] == "report.pdf"
    assert info["size"] == 13
    assert info["description"] == "cv"
    assert (await http.get(f"files/{info['id']}/info", headers=headers)).json() == info
    assert (await http.get(f"files/{info['id']}/info", headers=auth(bob))).status_code == 403
    profile = (await http.get(f"profiles/{alice.profile_id}", headers=headers)).json()
    assert profile["avatarId"] == info["id"]
    download = await http.get(
        f"profiles/{alice.profile_id}/files/{info['id']}/download", headers=headers
    )
    assert download.content == b"%PDF-1.4 data"
    assert download.headers["content-type"] == "application/octet-stream"
    assert 'filename="report.pdf"' in download.headers["content-disposition"]
    path = f"profiles/{alice.profile_id}/files/{info['id']}"
    assert (await http.delete(path, headers=headers)).status_code == 200
    assert (await http.delete(path, headers=headers)).status_code == 404
    assert (await http.get(f"files/{info['id']}/info", headers=headers)).status_code == 404


async def test_upload_to_datastore_needs_access(
    http: httpx.AsyncClient, alice: SandboxUser, auth: Headers, unlock: Unlock
) -> None:
    """With fieldDefinitionName the upload needs access and adds a datastore field."""
    metadata = {"avatar": False, "fieldDefinitionName": "cv_field"}
    locked = await http.post(
        f"profiles/{alice.profile_id}/files", files=_files(b"x", metadata), headers=auth(alice)
    )
    assert locked.status_code == 401
    headers = await unlock(alice)
    ok = await http.post(
        f"profiles/{alice.profile_id}/files", files=_files(b"x", metadata), headers=headers
    )
    fields = (await http.get(f"profiles/{alice.profile_id}/dataStore", headers=headers)).json()
    assert {"id": ok.json()["id"]} in [
        f["value"] for f in fields if f["definitionName"] == "cv_field"
    ]


async def test_upload_size_limit() -> None:
    """A file over max_upload_bytes gets 413, announced or streamed."""
    sandbox = Sandbox(rate_limit=None, max_upload_bytes=1000)
    user = sandbox.create_user(email="u@example.com", password="p", pass_phrase="q")
    headers = {"Authorization": f"Bearer {sandbox.sign_in(user)}"}
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=BASE_URL) as http:
        path = f"profiles/{user.profile_id}/files"
        exact = await http.post(path, files=_files(b"a" * 1000, {"avatar": False}), headers=headers)
        assert exact.status_code == 200
        over = await http.post(path, files=_files(b"a" * 1001, {"avatar": False}), headers=headers)
        assert over.status_code == 413
        assert over.json()["message"]
        huge = await http.post(
            path, files=_files(b"a" * 200_000, {"avatar": False}), headers=headers
        )
        assert huge.status_code == 413


async def test_streamed_body_over_limit_without_length() -> None:
    """A body without Content-Length is cut off at the limit with 413 (raw ASGI)."""
    sandbox = Sandbox(rate_limit=None)
    chunks = [b"x" * 300_000] * 5
    sent: list[Message] = []

    async def receive() -> Message:
        chunk = chunks.pop() if chunks else b""
        return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/v2/signIn",
        "raw_path": b"/v2/signIn",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json")],
        "client": ("127.0.0.1", 1),
        "server": ("sandbox", 443),
        "scheme": "https",
        "http_version": "1.1",
        "root_path": "",
        "asgi": {"version": "3.0"},
    }
    await sandbox.app(scope, receive, send)
    assert sent[0]["status"] == 413
    assert len(chunks) == 1  # stopped reading once over the 1 MiB JSON limit


@pytest.mark.parametrize(
    ("kwargs", "errors"),
    [
        pytest.param(
            {"files": {"metadata": (None, '{"avatar": false}', "application/json")}},
            {"file"},
            id="no-file",
        ),
        pytest.param(
            {"files": {"file": ("a", b"x", "text/plain")}}, {"metadata"}, id="no-metadata"
        ),
        pytest.param(
            {
                "files": {
                    "file": ("a", b"x", "text/plain"),
                    "metadata": (None, "{bad", "application/json"),
                }
            },
            {"metadata"},
            id="bad-metadata",
        ),
        pytest.param({"json": {"file": "x"}}, {"file", "metadata"}, id="not-multipart"),
    ],
)
async def test_upload_validation(
    http: httpx.AsyncClient,
    alice: SandboxUser,
    auth: Headers,
    kwargs: dict[str, object],
    errors: set[str],
) -> None:
    """Missing or malformed parts get 422."""
    response = await http.post(f"profiles/{alice.profile_id}/files", headers=auth(alice), **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 422
    assert set(response.json()["errors"]) >= errors


async def test_dictionaries(http: httpx.AsyncClient) -> None:
    """The three dictionaries answer without auth with stable ids; unknown ones 404."""
    countries = (
        await http.get("dictionaries", params={"fieldDefinitionName": "country_field"})
    ).json()
    assert len(countries) >= 10
    assert "Netherlands" in [c["value"] for c in countries]
    assert [c["order"] for c in countries] == list(range(len(countries)))
    assert countries == [e.to_wire() for e in Sandbox.dictionary("country_field")]
    for name in ("gender_field", "legal_entity_type_field"):
        assert (
            await http.get("dictionaries", params={"fieldDefinitionName": name})
        ).status_code == 200
    assert (await http.get("dictionaries", params={"fieldDefinitionName": "x"})).status_code == 404
    assert (await http.get("dictionaries")).status_code == 422


async def test_heartbeat_and_routing(http: httpx.AsyncClient) -> None:
    """Heartbeat needs no auth; unknown paths and methods answer JSON 404/405."""
    beat = (await http.get("heartbeat")).json()
    assert beat["nodeName"].startswith("onlyonce-sandbox-")
    assert beat["since"].startswith("2023-11-14T22:13:20.")
    assert (await http.get("nowhere")).json() == {"message": "Not found"}
    assert (await http.delete("heartbeat")).status_code == 405
    assert (await http.get(f"files/{uuid.UUID(int=1, version=4)}/info")).status_code == 401
