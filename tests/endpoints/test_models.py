"""
Decoding edge cases of the endpoint models: unknown fields and values, missing and wrong ones.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import httpx
import pytest
import respx

from onlyonce_async import (
    Activity,
    Card,
    Client,
    Company,
    ConsolidatedEntry,
    DecodeError,
    FieldValue,
    Profile,
    ProfileSettings,
    ProfileType,
    RequestStatus,
    ShareRequest,
)
from onlyonce_async._convert import structure

from ._data import ACTIVITY, CARD, P1, P2, PROFILE2_BODY, SHARE_REQUEST_BODY


def test_unknown_fields_are_ignored() -> None:
    """Fields a model does not know are dropped, not an error."""
    card = structure(
        {
            "id": CARD,
            "name": "c",
            "ownerId": P1,
            "dataSetType": "SHAREABLE_CARD",
            "shinyNewField": [1, 2],
        },
        Card,
    )
    assert card.name == "c"
    assert not hasattr(card, "shiny_new_field")


def test_unknown_enum_value_is_a_pseudo_member() -> None:
    """A value this SDK does not know decodes to a pseudo-member, not an error."""
    request = structure({**SHARE_REQUEST_BODY, "status": "EXPIRED"}, ShareRequest)
    assert request.status == "EXPIRED"
    assert isinstance(request.status, RequestStatus)
    assert not request.status.is_known
    assert RequestStatus.PENDING.is_known


def test_unknown_values_inside_lists_are_pseudo_members() -> None:
    """Unknown values in an enumerated list decode one by one."""
    settings = structure(
        {"emailNotificationTypes": ["NEW_MESSAGE", "DAILY_DIGEST"]}, ProfileSettings
    )
    kinds = settings.email_notification_types
    assert kinds is not None
    assert [k.is_known for k in kinds] == [True, False]


def test_missing_optional_fields_are_none() -> None:
    """A profile with only its required fields has None for every optional one."""
    profile = structure({"id": P2, "onlyonceId": 5, "type": "ORGANIZATION"}, Profile)
    assert profile.type is ProfileType.ORGANIZATION
    assert profile.name is None
    assert profile.tags is None
    assert profile.flex_worker_info is None
    assert profile.created_date is None


@pytest.mark.parametrize(
    ("body", "model"),
    [
        pytest.param({**PROFILE2_BODY, "onlyonceId": "1447"}, Profile, id="string-for-int"),
        pytest.param({**PROFILE2_BODY, "id": "not-a-uuid"}, Profile, id="bad-uuid"),
        pytest.param({**PROFILE2_BODY, "bookmarked": "yes"}, Profile, id="string-for-bool"),
        pytest.param({**PROFILE2_BODY, "tags": {"tag": "x"}}, Profile, id="object-for-list"),
        pytest.param({**PROFILE2_BODY, "createdDate": "yesterday"}, Profile, id="bad-timestamp"),
        pytest.param({"onlyonceId": 1, "type": "PERSONAL"}, Profile, id="missing-required"),
        pytest.param({**PROFILE2_BODY, "type": 3}, Profile, id="number-for-enum"),
        pytest.param([PROFILE2_BODY], Profile, id="list-for-object"),
        pytest.param({"onlyOnceId": 1.5, "name": "x"}, Company, id="float-for-int"),
        pytest.param({"definitionName": "a", "value": 3}, FieldValue, id="number-field-value"),
        pytest.param({P1: {"a": "b"}, P2: {"a": "c"}}, ConsolidatedEntry, id="two-keys"),
        pytest.param({"nope": {"a": "b"}}, ConsolidatedEntry, id="key-not-uuid"),
        pytest.param({P1: ["a"]}, ConsolidatedEntry, id="values-not-object"),
        pytest.param({"id": ACTIVITY, "arguments": "x"}, Activity, id="arguments-not-object"),
    ],
)
def test_wrong_types_are_decode_errors(body: Any, model: type[Any]) -> None:
    """A body of the wrong shape raises DecodeError, never a bare TypeError or ValueError."""
    with pytest.raises(DecodeError):
        structure(body, model)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "2016-06-09T04:10:16.787", dt.datetime(2016, 6, 9, 4, 10, 16, 787000), id="millis"
        ),
        pytest.param(
            "2016-07-20T19:35:40.3", dt.datetime(2016, 7, 20, 19, 35, 40, 300000), id="tenths"
        ),
        pytest.param("2016-06-12T23:59:59", dt.datetime(2016, 6, 12, 23, 59, 59), id="seconds"),
    ],
)
def test_timestamps_in_the_three_reference_forms(text: str, expected: dt.datetime) -> None:
    """Every timestamp form of the reference decodes into the same naive datetime."""
    request = structure({**SHARE_REQUEST_BODY, "requested": text, "completed": text}, ShareRequest)
    assert request.requested == expected
    assert request.completed == expected


def test_company_reads_its_capital_o_wire_name() -> None:
    """Company.onlyonce_id comes from the wire name onlyOnceId."""
    assert structure({"onlyOnceId": 9, "name": "Acme"}, Company).onlyonce_id == 9


def test_consolidated_entry_from_a_one_key_object() -> None:
    """A consolidated item is split into the profile id and its values."""
    entry = structure(
        {P1: {"first_name_field": "A", "country_field": {"id": P2}}}, ConsolidatedEntry
    )
    assert entry == ConsolidatedEntry(
        profile_id=UUID(P1), values={"first_name_field": "A", "country_field": {"id": P2}}
    )


@pytest.mark.anyio
async def test_a_malformed_response_surfaces_as_decode_error(
    client: Client, mock_api: respx.MockRouter
) -> None:
    """An endpoint method turns a wrongly shaped 2xx body into DecodeError."""
    mock_api.get(f"/profiles/{P1}").mock(return_value=httpx.Response(200, json={"id": 1}))
    with pytest.raises(DecodeError):
        await client.profiles.get(P1)


@pytest.mark.anyio
async def test_add_note_needs_a_uuid_string(client: Client, mock_api: respx.MockRouter) -> None:
    """add_note's answer must be a JSON UUID string."""
    mock_api.post(f"/profiles/{P2}/notes").respond(json={"id": P1})
    with pytest.raises(DecodeError):
        await client.profiles.add_note(P2, owner_id=P1, type="t", text="x")
