"""
End-to-end: ``client.companies``, ``client.dictionaries`` and ``client.heartbeat`` against
the sandbox.
"""

from __future__ import annotations

import pytest

from onlyonce_async import Client, NotFoundError, ValidationError
from onlyonce_async.testing import Sandbox

pytestmark = pytest.mark.anyio


async def test_companies_by_employer_name(alice_client: Client, sandbox: Sandbox) -> None:
    """An organization is found by part of its trade name, case-insensitively."""
    await alice_client.profiles.create_organization(
        pass_phrase="org-pp",
        email="org@example.com",
        trade_name="Northwind Traders",
        legal_entity_type=sandbox.dictionary("legal_entity_type_field")[0].id,
        country=sandbox.dictionary("country_field")[0].id,
    )
    found = await alice_client.companies.list("WIND")
    assert [c.name for c in found] == ["Northwind Traders"]
    assert found[0].onlyonce_id > 0
    assert await alice_client.companies.list("nothing like it") == []


async def test_companies_with_blank_name(alice_client: Client, sandbox: Sandbox) -> None:
    """A blank employer name is refused locally; the server's 422 for it backs that up."""
    for blank in ("", " "):
        with pytest.raises(ValueError, match="employer_name"):
            await alice_client.companies.list(blank)
    with pytest.raises(ValidationError) as caught:
        await alice_client.get("/companies")
    assert "employerName" in caught.value.errors
    assert sandbox.stats.requests == 3  # sign-in, access, the raw GET: nothing else was sent


@pytest.mark.parametrize("name", ["country_field", "gender_field", "legal_entity_type_field"])
async def test_dictionaries(sandbox: Sandbox, name: str) -> None:
    """Each dictionary lists the sandbox's entries, in order, without auth."""
    async with sandbox.client() as client:
        entries = await client.dictionaries.list(name)
    assert [(e.id, e.value) for e in entries] == [(e.id, e.value) for e in sandbox.dictionary(name)]


async def test_unknown_dictionary(sandbox: Sandbox) -> None:
    """A field without a dictionary raises NotFoundError."""
    async with sandbox.client() as client:
        with pytest.raises(NotFoundError):
            await client.dictionaries.list("first_name_field")


async def test_heartbeat(sandbox: Sandbox) -> None:
    """heartbeat names the node and when it started."""
    async with sandbox.client() as client:
        beat = await client.heartbeat()
    assert beat.node_name.startswith("onlyonce-sandbox")
    assert beat.since is not None


async def test_heartbeat_server_error(sandbox: Sandbox) -> None:
    """A failing node raises ServerError after the retries are spent."""
    from onlyonce_async import ServerError

    sandbox.faults(error_rate=1.0, statuses=[500])
    async with sandbox.client(max_retries=1) as client:
        with pytest.raises(ServerError):
            await client.heartbeat()
    assert sandbox.stats.requests >= 2
