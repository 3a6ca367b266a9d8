"""
Argument checks of the endpoint methods: bad arguments raise before anything is sent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import respx

from onlyonce_async import Client, FieldValue, ProfileScope, ProfileSettings

from ._data import CARD, COUNTRY, FIELD, P1, P2

Call = Callable[[Client], Awaitable[Any]]

BAD_CALLS = [
    pytest.param(
        lambda c: c.profiles.list(scope="CONNECTIONS").collect(), ValueError, id="scope-no-profile"
    ),
    pytest.param(
        lambda c: c.profiles.list(scope="CONECTIONS", profile_id=P1).collect(),
        ValueError,
        id="scope-typo",
    ),
    pytest.param(lambda c: c.profiles.list(scope=3).collect(), TypeError, id="scope-int"),
    pytest.param(lambda c: c.profiles.list(type="personal").collect(), ValueError, id="type-case"),
    pytest.param(lambda c: c.profiles.list(tags="vip").collect(), TypeError, id="tags-str"),
    pytest.param(lambda c: c.profiles.list(tags=[""]).collect(), ValueError, id="tags-empty"),
    pytest.param(lambda c: c.profiles.list(ooid=True).collect(), TypeError, id="ooid-bool"),
    pytest.param(lambda c: c.profiles.list(page_size=0).collect(), ValueError, id="page-size-0"),
    pytest.param(
        lambda c: c.profiles.list(sort_direction="up").collect(), ValueError, id="sort-direction"
    ),
    pytest.param(lambda c: c.activities.list().collect(), ValueError, id="activities-no-profile"),
    pytest.param(
        lambda c: c.activities.list(scope="PROFILE").collect(),
        ValueError,
        id="activities-scope-no-profile",
    ),
    pytest.param(lambda c: c.network.accept([]), ValueError, id="accept-empty"),
    pytest.param(lambda c: c.network.revoke(P1), TypeError, id="revoke-single-str"),
    pytest.param(
        lambda c: c.network.list_requests(P1, statuses=[]).collect(),
        ValueError,
        id="statuses-empty",
    ),
    pytest.param(
        lambda c: c.network.list_requests(P1, statuses=["OPEN"]).collect(),
        ValueError,
        id="statuses-unknown",
    ),
    pytest.param(lambda c: c.consolidated(P1, []).collect(), ValueError, id="field-names-empty"),
    pytest.param(
        lambda c: c.consolidated(P1, "first_name_field").collect(), TypeError, id="field-names-str"
    ),
    pytest.param(lambda c: c.cards.list(P1, scope="ALL"), ValueError, id="card-scope"),
    pytest.param(lambda c: c.cards.create(P1, name="", fields=[]), ValueError, id="card-no-name"),
    pytest.param(
        lambda c: c.cards.create(P1, name="n", fields=FIELD), TypeError, id="card-fields-str"
    ),
    pytest.param(lambda c: c.datastore.add_fields(P1, []), ValueError, id="add-fields-empty"),
    pytest.param(
        lambda c: c.datastore.add_fields(
            P1,
            [FieldValue(definition_name="a", value="b", id=FIELD)],  # type: ignore[arg-type]
        ),
        ValueError,
        id="add-fields-with-id",
    ),
    pytest.param(
        lambda c: c.datastore.add_fields(P1, [FieldValue(definition_name="a")]),
        ValueError,
        id="add-fields-null-value",
    ),
    pytest.param(
        lambda c: c.datastore.save_fields(P1, [FieldValue(definition_name="a", id=FIELD)]),  # type: ignore[arg-type]
        ValueError,
        id="save-fields-null-value",
    ),
    pytest.param(
        lambda c: c.datastore.save_fields(P1, [{"definitionName": "a"}]),
        TypeError,
        id="save-fields-dict",
    ),
    pytest.param(
        lambda c: c.profiles.update_note(P1, {"id": FIELD}), TypeError, id="update-note-dict"
    ),
    pytest.param(
        lambda c: c.profiles.update_settings(
            P1,
            ProfileSettings(avatar_visibility="EVERYONE"),  # type: ignore[arg-type]
        ),
        ValueError,
        id="settings-bad-string",
    ),
    pytest.param(
        lambda c: c.profiles.enable_access(P1, "pp", remember="yes"), TypeError, id="remember"
    ),
    pytest.param(lambda c: c.profiles.enable_access(P1, ""), ValueError, id="empty-pass-phrase"),
    pytest.param(lambda c: c.profiles.add_tag(owner_id=P1, target_id=P2, tag=" "), ValueError),
    pytest.param(lambda c: c.companies.list(""), ValueError, id="employer-empty"),
    pytest.param(lambda c: c.dictionaries.list(None), TypeError, id="dictionary-none"),
    pytest.param(
        lambda c: c.account.sign_up(
            pass_phrase="p",
            password="pw",
            email="e@x",
            first_name="A",
            last_name="B",
            country=COUNTRY,
            middle_name="",
        ),
        ValueError,
        id="sign-up-empty-optional",
    ),
    pytest.param(
        lambda c: c.account.sign_up(
            pass_phrase="p",
            password="pw",
            email="e@x",
            first_name="A",
            last_name="B",
            country="Netherlands",
        ),
        ValueError,
        id="sign-up-country-not-uuid",
    ),
    pytest.param(
        lambda c: c.account.sign_up(
            pass_phrase="p",
            password="pw",
            email="e@x",
            first_name="A",
            last_name="B",
            country=COUNTRY,
            mail_pass_phrase=1,
        ),
        TypeError,
        id="sign-up-flag-int",
    ),
    pytest.param(lambda c: c.account.sign_in("", "pw"), ValueError, id="sign-in-empty"),
    pytest.param(lambda c: c.account.change_password("a", ""), ValueError, id="password-empty"),
    pytest.param(lambda c: c.network.share(CARD, sender_id=P1, recipient_id=None), TypeError),
]


@pytest.mark.anyio
@pytest.mark.parametrize(("call", "error"), BAD_CALLS)
async def test_bad_arguments_raise_before_sending(
    call: Call, error: type[Exception], client: Client, mock_api: respx.MockRouter
) -> None:
    """The bad argument raises the documented error and nothing is sent."""
    route = mock_api.route().respond(json={"last": True, "content": []})
    with pytest.raises(error):
        await call(client)
    assert route.call_count == 0


@pytest.mark.anyio
async def test_enum_member_and_string_are_the_same(
    client: Client, mock_api: respx.MockRouter
) -> None:
    """scope="MINE" and scope=ProfileScope.MINE send the same request."""
    route = mock_api.get("/profiles").respond(json={"last": True, "content": []})
    await client.profiles.list(scope="MINE").collect()
    await client.profiles.list(scope=ProfileScope.MINE).collect()
    first, second = (call.request.url for call in route.calls)
    assert first == second
