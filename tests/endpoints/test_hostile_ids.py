"""
Hostile ids never reach the wire: every path parameter is checked before anything is sent.
"""

from __future__ import annotations

import io
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import respx

from onlyonce_async import Client, FieldValue, Note, ProfileSettings

from ._data import CARD, FIELD, FILE, NOTE, P1, P2

HOSTILE = [
    pytest.param("../account", id="dotdot"),
    pytest.param("a/b", id="slash"),
    pytest.param("?x=1", id="query"),
    pytest.param("#frag", id="fragment"),
    pytest.param("%2e%2e", id="encoded-dotdot"),
    pytest.param("ünïcødé-☃", id="unicode"),
    pytest.param("7" * 10_000, id="10k-chars"),
    pytest.param(f"{P1}/../../account", id="uuid-then-dotdot"),
    pytest.param(f" {P1}", id="padded-uuid"),
    pytest.param("", id="empty"),
    pytest.param(None, id="None"),
    pytest.param(123, id="int"),
]

HOSTILE_VALUES: list[Any] = [p.values[0] for p in HOSTILE]

NOTE_OBJ = Note(id=NOTE, type="t", text="x", owner_id=P1)  # type: ignore[arg-type]

# One entry per (method, path parameter): a call with the hostile value in that position.
Call = Callable[[Client, Any], Awaitable[Any]]
CALLS: list[Any] = [
    pytest.param(lambda c, x: c.profiles.get(x), id="profiles.get"),
    pytest.param(lambda c, x: c.profiles.delete(x), id="profiles.delete"),
    pytest.param(lambda c, x: c.profiles.enable_access(x, "pp"), id="profiles.enable_access"),
    pytest.param(
        lambda c, x: c.profiles.change_pass_phrase(x, "a", "b"), id="profiles.change_pass_phrase"
    ),
    pytest.param(lambda c, x: c.profiles.add_bookmark(x, P2), id="profiles.add_bookmark"),
    pytest.param(lambda c, x: c.profiles.remove_bookmark(x, P2), id="profiles.remove_bookmark-id"),
    pytest.param(
        lambda c, x: c.profiles.remove_bookmark(P1, x), id="profiles.remove_bookmark-target"
    ),
    pytest.param(
        lambda c, x: c.profiles.add_note(x, owner_id=P1, type="t", text="x"), id="profiles.add_note"
    ),
    pytest.param(lambda c, x: c.profiles.list_notes(x, owner_id=P1), id="profiles.list_notes"),
    pytest.param(lambda c, x: c.profiles.update_note(x, NOTE_OBJ), id="profiles.update_note"),
    pytest.param(lambda c, x: c.profiles.delete_note(x, NOTE), id="profiles.delete_note-id"),
    pytest.param(lambda c, x: c.profiles.delete_note(P1, x), id="profiles.delete_note-note"),
    pytest.param(lambda c, x: c.profiles.get_settings(x), id="profiles.get_settings"),
    pytest.param(
        lambda c, x: c.profiles.update_settings(x, ProfileSettings()),
        id="profiles.update_settings",
    ),
    pytest.param(lambda c, x: c.datastore.get(x), id="datastore.get"),
    pytest.param(
        lambda c, x: c.datastore.add_fields(x, [FieldValue(definition_name="a", value="b")]),
        id="datastore.add_fields",
    ),
    pytest.param(
        lambda c, x: c.datastore.save_fields(x, [FieldValue(definition_name="a", value="b")]),
        id="datastore.save_fields",
    ),
    pytest.param(lambda c, x: c.datastore.delete_field(x, FIELD), id="datastore.delete_field-id"),
    pytest.param(lambda c, x: c.datastore.delete_field(P1, x), id="datastore.delete_field-field"),
    pytest.param(lambda c, x: c.cards.list(x, scope="MINE"), id="cards.list"),
    pytest.param(lambda c, x: c.cards.get(x, CARD), id="cards.get-id"),
    pytest.param(lambda c, x: c.cards.get(P1, x), id="cards.get-card"),
    pytest.param(lambda c, x: c.cards.create(x, name="n", fields=[]), id="cards.create"),
    pytest.param(lambda c, x: c.cards.clone(x, CARD), id="cards.clone-id"),
    pytest.param(lambda c, x: c.cards.clone(P1, x), id="cards.clone-card"),
    pytest.param(lambda c, x: c.cards.update(x, CARD, name="n", fields=[]), id="cards.update-id"),
    pytest.param(lambda c, x: c.cards.update(P1, x, name="n", fields=[]), id="cards.update-card"),
    pytest.param(lambda c, x: c.cards.delete(x, CARD), id="cards.delete-id"),
    pytest.param(lambda c, x: c.cards.delete(P1, x), id="cards.delete-card"),
    pytest.param(lambda c, x: c.network.list_requests(x).collect(), id="network.list_requests"),
    pytest.param(lambda c, x: c.network.accept([x]), id="network.accept"),
    pytest.param(lambda c, x: c.network.decline([P1, x]), id="network.decline"),
    pytest.param(lambda c, x: c.network.revoke([x]), id="network.revoke"),
    pytest.param(
        lambda c, x: c.network.share(x, sender_id=P1, recipient_id=P2), id="network.share"
    ),
    pytest.param(
        lambda c, x: c.network.request_card(CARD, sender_id=x, recipient_id=P2),
        id="network.request_card",
    ),
    pytest.param(lambda c, x: c.files.info(x), id="files.info"),
    pytest.param(lambda c, x: c.files.download(x, FILE), id="files.download-id"),
    pytest.param(lambda c, x: c.files.download(P1, x), id="files.download-file"),
    pytest.param(
        lambda c, x: c.files.download_to(x, FILE, io.BytesIO()), id="files.download_to-id"
    ),
    pytest.param(
        lambda c, x: c.files.download_to(P1, x, io.BytesIO()), id="files.download_to-file"
    ),
    pytest.param(lambda c, x: c.files.upload(x, b"data"), id="files.upload"),
    pytest.param(lambda c, x: c.files.delete(x, FILE), id="files.delete-id"),
    pytest.param(lambda c, x: c.files.delete(P1, x), id="files.delete-file"),
    pytest.param(lambda c, x: c.consolidated(x, ["a"]).collect(), id="client.consolidated"),
]


@pytest.mark.anyio
@pytest.mark.parametrize("call", CALLS)
async def test_hostile_id_is_refused_before_sending(
    call: Call, client: Client, mock_api: respx.MockRouter
) -> None:
    """Each hostile id raises ValueError or TypeError and no request leaves the client."""
    route = mock_api.route().respond(json={})
    for hostile in HOSTILE_VALUES:
        with pytest.raises((ValueError, TypeError)):
            await call(client, hostile)
        assert route.call_count == 0, f"{hostile!r:.40} was sent"


@pytest.mark.anyio
async def test_hostile_id_leaves_no_download_file(
    client: Client, mock_api: respx.MockRouter, tmp_path: Path
) -> None:
    """download_to refuses a hostile id before creating any file."""
    for hostile in HOSTILE_VALUES:
        with pytest.raises((ValueError, TypeError)):
            await client.files.download_to(P1, hostile, tmp_path / "out.bin")
    assert os.listdir(tmp_path) == []
    assert not mock_api.calls
