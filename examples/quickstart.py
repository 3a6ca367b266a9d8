"""
Quickstart: sign in, list your profiles, and make one call of each kind.

It shows a paginated list (``profiles.list``), a GET with query parameters
(``cards.list(scope=...)``), a POST (``profiles.enable_access``, ``cards.create``), a PUT
(``cards.update``) and a DELETE (``cards.delete``). The card it creates is deleted again.

With no environment set it runs against the embedded sandbox (in-process, nothing to
install beyond ``onlyonce-async[testing]``). Against a real server, set:

    ONLYONCE_BASE_URL       e.g. https://api.onlyonce.com/v2/
    ONLYONCE_USERNAME       the account e-mail
    ONLYONCE_PASSWORD
    ONLYONCE_PASS_PHRASE    the personal profile's pass phrase

Run: ``python examples/quickstart.py``
"""

from __future__ import annotations

import os

import anyio

from onlyonce_async import Client, ProfileType


async def tour(client: Client, username: str, password: str, pass_phrase: str) -> None:
    """The calls themselves: the same against the sandbox and a real server."""
    await client.account.sign_in(username, password)
    account = await client.account.get()
    print(f"signed in as {account.email}")

    # A paginated list: `async for` walks every page (page/size are handled for you).
    personal = None
    async for profile in client.profiles.list(scope="MINE"):
        print(f"  profile {profile.id} {profile.name!r} ({profile.type.value})")
        if profile.type is ProfileType.PERSONAL:
            personal = profile
    if personal is None:
        raise SystemExit("the account has no personal profile")

    # POST: enable access to the profile with its pass phrase (remembered for renewals).
    await client.profiles.enable_access(personal.id, pass_phrase)
    fields = await client.datastore.get(personal.id)
    field_ids = [f.id for f in fields if f.id is not None][:2]

    # POST: create a card holding two datastore values.
    card_id = await client.cards.create(personal.id, name="Quickstart card", fields=field_ids)
    print(f"created card {card_id}")
    # PUT: rename it.
    await client.cards.update(
        personal.id, card_id, name="Quickstart card (renamed)", fields=field_ids
    )
    # GET with query parameters: ?scope=MINE
    names = [card.name for card in await client.cards.list(personal.id, scope="MINE")]
    print(f"cards now: {names}")
    # DELETE: remove it again.
    await client.cards.delete(personal.id, card_id)
    print(f"deleted card {card_id}")

    await client.account.sign_out()
    print("signed out")


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
        email="quick@example.com", password="quick-password-1", pass_phrase="quick phrase"
    )
    print("running against the embedded sandbox")
    async with sandbox.client() as client:
        await tour(client, user.email, user.password, user.pass_phrase)


if __name__ == "__main__":
    anyio.run(main)
