"""
Every operation of the API reference: the request each method sends and the model it returns.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import httpx
import pytest
import respx

from onlyonce_async import (
    Account,
    AccountLevel,
    Activity,
    ActivityArguments,
    ActivityType,
    AvatarVisibility,
    BearerAuth,
    Card,
    CardContent,
    Client,
    CommunicationChannel,
    Company,
    ConsolidatedEntry,
    DataSetType,
    DictionaryEntry,
    EmailNotificationType,
    FieldValue,
    FileInfo,
    FlexWorkerInfo,
    Heartbeat,
    Note,
    Profile,
    ProfileScope,
    ProfileSettings,
    ProfileType,
    RequestStatus,
    ShareRequest,
    SortDirection,
    Tag,
)

from ._data import (
    ACCOUNT_ID,
    ACTIVITY,
    CARD,
    CARD2,
    COUNTRY,
    FIELD,
    FIELD2,
    FILE,
    GENDER,
    LEGAL,
    NOTE,
    P1,
    P2,
    PROFILE2_BODY,
    PROFILE_BODY,
    REQUEST,
    SHARE_REQUEST_BODY,
    page,
)

NO_BODY = object()

PROFILE = Profile(
    id=UUID(P1),
    onlyonce_id=1446,
    name="Alice Apideveloper",
    views_count=0,
    incoming_shares_count=2,
    outgoing_shares_count=1,
    type=ProfileType.PERSONAL,
    created_date=dt.datetime(2016, 9, 4, 20, 38, 50, 605000),
    public_card_id=UUID(CARD),
    connected_date=dt.datetime(2016, 7, 20, 18, 39, 1, 706000),
    last_modify_date=dt.datetime(2016, 7, 20, 18, 39, 1, 700000),
    flex_worker_info=FlexWorkerInfo(
        categories=["IT"], available_from_date=dt.datetime(2016, 7, 20, 18, 39, 1)
    ),
    bookmarked=True,
    connected=False,
    tags=[Tag(owner_id=UUID(P2), target_id=UUID(P1), tag="colleague")],
)
PROFILE2 = Profile(
    id=UUID(P2),
    onlyonce_id=1447,
    name="Bob",
    type=ProfileType.ORGANIZATION,
    public_card_id=UUID(CARD2),
    views_count=3,
    incoming_shares_count=0,
    outgoing_shares_count=0,
)
SHARE_REQUEST = ShareRequest(
    id=UUID(REQUEST),
    sender=PROFILE,
    card_id=UUID(CARD),
    recipient=PROFILE2,
    status=RequestStatus.PENDING,
    connected=False,
    requested=dt.datetime(2016, 6, 9, 4, 10, 16, 787000),
    completed=None,
)
FIELD_BODY = {"id": FIELD, "definitionName": "first_name_field", "value": "Alice"}
FIELD_VALUE = FieldValue(id=UUID(FIELD), definition_name="first_name_field", value="Alice")
COUNTRY_BODY = {
    "id": FIELD2,
    "definitionName": "country_field",
    "value": {"id": COUNTRY},
    "parentValueId": FIELD,
}
COUNTRY_VALUE = FieldValue(
    id=UUID(FIELD2),
    definition_name="country_field",
    value={"id": COUNTRY},
    parent_value_id=UUID(FIELD),
)
CARD_BODY = {
    "id": CARD,
    "name": "Public",
    "ownerId": P1,
    "dataSetType": "PUBLIC_CARD",
    "predefined": True,
    "predefinedType": "PUBLIC",
    "pendingRequestsCount": 1,
    "acceptedRequestsCount": 4,
}
CARD_MODEL = Card(
    id=UUID(CARD),
    name="Public",
    owner_id=UUID(P1),
    data_set_type=DataSetType.PUBLIC_CARD,
    predefined=True,
    predefined_type="PUBLIC",
    pending_requests_count=1,
    accepted_requests_count=4,
)
SETTINGS_BODY = {
    "searchableByName": True,
    "broadcastDataChanges": False,
    "avatarVisibility": "CONNECTED_USERS",
    "visibleExternally": False,
    "emailNotificationTypes": ["NEW_MESSAGE", "WEEKLY_SUMMARY"],
    "communicationChannelsOrder": ["communication_email1_field", "communication_skype_field"],
}
SETTINGS = ProfileSettings(
    searchable_by_name=True,
    broadcast_data_changes=False,
    avatar_visibility=AvatarVisibility.CONNECTED_USERS,
    visible_externally=False,
    email_notification_types=[
        EmailNotificationType.NEW_MESSAGE,
        EmailNotificationType.WEEKLY_SUMMARY,
    ],
    communication_channels_order=[CommunicationChannel.EMAIL1, CommunicationChannel.SKYPE],
)
ACCOUNT_ACTIVITY_BODY = {
    "id": ACTIVITY,
    "accountId": ACCOUNT_ID,
    "occurred": "2016-06-09T04:10:16.787",
    "entityName": "Account",
    "actionName": "signIn",
    "remoteIp": "192.0.2.1",
    "activityType": "ACCOUNT",
    "arguments": {
        "browserType": "Firefox",
        "browserVersion": "99",
        "deviceType": "COMPUTER",
        "deviceOS": "Linux",
    },
}
NETWORK_ACTIVITY_BODY = {
    "id": ACTIVITY,
    "accountId": ACCOUNT_ID,
    "occurred": "2016-06-09T04:10:16",
    "entityName": "ShareRequest",
    "actionName": "accept",
    "sourceId": P1,
    "targetId": P2,
    "subject": CARD,
    "activityType": "NETWORK_UPDATES",
    "arguments": {"dataSetName": "Public", "fieldsAdded": ["first_name_field"]},
}
FILE_INFO_BODY = {"id": FILE, "name": "cv.pdf", "size": 1234, "description": "My CV"}
FILE_INFO = FileInfo(id=UUID(FILE), name="cv.pdf", size=1234, description="My CV")


@dataclasses.dataclass(frozen=True)
class Case:
    """One operation: how to call it, what must be sent, what comes back."""

    call: Callable[[Client], Awaitable[Any]]
    method: str
    path: str
    query: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    body: Any = NO_BODY
    response: Any = None
    expected: Any = None
    response_headers: dict[str, str] = dataclasses.field(default_factory=dict)
    request_headers: dict[str, str] = dataclasses.field(default_factory=dict)
    raw_response: bytes | None = None


CASES = [
    # -- account ------------------------------------------------------------------------
    pytest.param(
        Case(
            lambda c: c.account.sign_up(
                pass_phrase="12341234",
                password="pw-12341234",
                email="a@example.com",
                first_name="Een",
                last_name="Papier",
                country=COUNTRY,
                middle_name="van",
                personal_phone="+318812341234",
                gender=UUID(GENDER),
                mail_pass_phrase=True,
            ),
            "POST",
            "/v2/signUp",
            body={
                "passPhrase": "12341234",
                "password": "pw-12341234",
                "email": "a@example.com",
                "firstName": "Een",
                "lastName": "Papier",
                "country": COUNTRY,
                "middleName": "van",
                "personalPhone": "+318812341234",
                "gender": GENDER,
                "mailPassPhrase": True,
            },
        ),
        id="account.sign_up",
    ),
    pytest.param(
        Case(
            lambda c: c.account.sign_in("a@example.com", "pw"),
            "POST",
            "/v2/signIn",
            body={"username": "a@example.com", "password": "pw"},
            response_headers={"Authorization": "Bearer tok-123"},
            expected="tok-123",
        ),
        id="account.sign_in",
    ),
    pytest.param(Case(lambda c: c.account.sign_out(), "GET", "/v2/signOut"), id="account.sign_out"),
    pytest.param(
        Case(
            lambda c: c.account.get(),
            "GET",
            "/v2/account",
            response={
                "email": "me@email.com",
                "accountLevel": "FREE",
                "createdDate": "2016-06-12T23:59:59",
                "emailVerified": True,
            },
            expected=Account(
                email="me@email.com",
                account_level=AccountLevel.FREE,
                created_date=dt.datetime(2016, 6, 12, 23, 59, 59),
                email_verified=True,
            ),
        ),
        id="account.get",
    ),
    pytest.param(Case(lambda c: c.account.delete(), "DELETE", "/v2/account"), id="account.delete"),
    pytest.param(
        Case(
            lambda c: c.account.request_password_reset("me@email.com"),
            "GET",
            "/v2/password/change",
            query=[("email", "me@email.com")],
        ),
        id="account.request_password_reset",
    ),
    pytest.param(
        Case(
            lambda c: c.account.change_password("old-pw", "new-pw"),
            "GET",
            "/v2/account/changePassword",
            body={"oldPassword": "old-pw", "newPassword": "new-pw"},
        ),
        id="account.change_password",
    ),
    # -- profiles -----------------------------------------------------------------------
    pytest.param(
        Case(
            lambda c: c.profiles.list(scope="MINE").collect(),
            "GET",
            "/v2/profiles",
            query=[("scope", "MINE"), ("page", "0")],
            response=page(PROFILE_BODY, PROFILE2_BODY),
            expected=[PROFILE, PROFILE2],
        ),
        id="profiles.list-mine",
    ),
    pytest.param(
        Case(
            lambda c: c.profiles.list(
                ooid=14,
                name="Ali",
                type=ProfileType.PERSONAL,
                scope=ProfileScope.CONNECTIONS,
                profile_id=P2,
                tags=["a", "b"],
                categories=("IT",),
                sort_field="name",
                sort_direction=SortDirection.DESC,
                page_size=50,
            ).collect(),
            "GET",
            "/v2/profiles",
            query=[
                ("ooId", "14"),
                ("name", "Ali"),
                ("type", "PERSONAL"),
                ("scope", "CONNECTIONS"),
                ("profileId", P2),
                ("tags", "a"),
                ("tags", "b"),
                ("categories", "IT"),
                ("sortField", "name"),
                ("sortDirection", "desc"),
                ("page", "0"),
                ("size", "50"),
            ],
            response=page(PROFILE_BODY),
            expected=[PROFILE],
        ),
        id="profiles.list-every-filter",
    ),
    pytest.param(
        Case(
            lambda c: c.profiles.get(P1, current_profile_id=P2),
            "GET",
            f"/v2/profiles/{P1}",
            query=[("currentProfileId", P2)],
            response=PROFILE_BODY,
            expected=PROFILE,
        ),
        id="profiles.get",
    ),
    pytest.param(
        Case(
            lambda c: c.profiles.create_organization(
                pass_phrase="org-secret",
                email="org@example.com",
                trade_name="Acme",
                legal_entity_type=LEGAL,
                country=COUNTRY,
            ),
            "POST",
            "/v2/profiles",
            body={
                "passPhrase": "org-secret",
                "email": "org@example.com",
                "tradeName": "Acme",
                "legalEntityType": LEGAL,
                "country": COUNTRY,
                "mailPassPhrase": False,
            },
        ),
        id="profiles.create_organization",
    ),
    pytest.param(
        Case(lambda c: c.profiles.delete(P2), "DELETE", f"/v2/profiles/{P2}"),
        id="profiles.delete",
    ),
    pytest.param(
        Case(
            lambda c: c.profiles.enable_access(P1, "my pass phrase"),
            "POST",
            f"/v2/profiles/{P1}/access",
            request_headers={"Secret-Key": "my pass phrase"},
        ),
        id="profiles.enable_access",
    ),
    pytest.param(
        Case(
            lambda c: c.profiles.change_pass_phrase(P1, "old", "new"),
            "POST",
            f"/v2/profiles/{P1}/chagePassPhrase",
            body={"passPhrase": "old", "newPassPhrase": "new"},
        ),
        id="profiles.change_pass_phrase",
    ),
    pytest.param(
        Case(
            lambda c: c.profiles.add_bookmark(P1, P2),
            "POST",
            f"/v2/profiles/{P1}/bookmarks",
            body={"id": P2},
        ),
        id="profiles.add_bookmark",
    ),
    pytest.param(
        Case(
            lambda c: c.profiles.remove_bookmark(P1, UUID(P2)),
            "DELETE",
            f"/v2/profiles/{P1}/bookmarks/{P2}",
        ),
        id="profiles.remove_bookmark",
    ),
    pytest.param(
        Case(
            lambda c: c.profiles.add_tag(owner_id=P1, target_id=P2, tag="vip"),
            "POST",
            "/v2/profiles/tags",
            body={"ownerId": P1, "targetId": P2, "tag": "vip"},
        ),
        id="profiles.add_tag",
    ),
    pytest.param(
        Case(
            lambda c: c.profiles.remove_tag(owner_id=P1, target_id=P2, tag="vip"),
            "DELETE",
            "/v2/profiles/tags",
            body={"ownerId": P1, "targetId": P2, "tag": "vip"},
        ),
        id="profiles.remove_tag",
    ),
    pytest.param(
        Case(
            lambda c: c.profiles.add_note(P2, owner_id=P1, type="MEMO", text="met at a fair"),
            "POST",
            f"/v2/profiles/{P2}/notes",
            body={"type": "MEMO", "text": "met at a fair", "ownerId": P1},
            response=NOTE,
            expected=UUID(NOTE),
        ),
        id="profiles.add_note",
    ),
    pytest.param(
        Case(
            lambda c: c.profiles.list_notes(P2, owner_id=P1),
            "GET",
            f"/v2/profiles/{P2}/notes",
            query=[("ownerId", P1)],
            response=[{"id": NOTE, "type": "MEMO", "text": "hi", "ownerId": P1}],
            expected=[Note(id=UUID(NOTE), type="MEMO", text="hi", owner_id=UUID(P1))],
        ),
        id="profiles.list_notes",
    ),
    pytest.param(
        Case(
            lambda c: c.profiles.update_note(
                P2, Note(id=UUID(NOTE), type="MEMO", text="edited", owner_id=UUID(P1))
            ),
            "PUT",
            f"/v2/profiles/{P2}/notes",
            body={"id": NOTE, "type": "MEMO", "text": "edited", "ownerId": P1},
        ),
        id="profiles.update_note",
    ),
    pytest.param(
        Case(
            lambda c: c.profiles.delete_note(P2, NOTE),
            "DELETE",
            f"/v2/profiles/{P2}/notes/{NOTE}",
        ),
        id="profiles.delete_note",
    ),
    pytest.param(
        Case(
            lambda c: c.profiles.get_settings(P1),
            "GET",
            f"/v2/profiles/{P1}/settings",
            response=SETTINGS_BODY,
            expected=SETTINGS,
        ),
        id="profiles.get_settings",
    ),
    pytest.param(
        Case(
            lambda c: c.profiles.update_settings(P1, SETTINGS),
            "PUT",
            f"/v2/profiles/{P1}/settings",
            body=SETTINGS_BODY,
        ),
        id="profiles.update_settings",
    ),
    pytest.param(
        Case(
            lambda c: c.activities.list(scope="ACCOUNT").collect(),
            "GET",
            "/v2/activities",
            query=[("scope", "ACCOUNT"), ("page", "0")],
            response=page(ACCOUNT_ACTIVITY_BODY, NETWORK_ACTIVITY_BODY),
            expected=[
                Activity(
                    id=UUID(ACTIVITY),
                    account_id=UUID(ACCOUNT_ID),
                    occurred=dt.datetime(2016, 6, 9, 4, 10, 16, 787000),
                    entity_name="Account",
                    action_name="signIn",
                    remote_ip="192.0.2.1",
                    activity_type=ActivityType.ACCOUNT,
                    arguments=ActivityArguments(
                        browser_type="Firefox",
                        browser_version="99",
                        device_type="COMPUTER",
                        device_os="Linux",
                    ),
                ),
                Activity(
                    id=UUID(ACTIVITY),
                    account_id=UUID(ACCOUNT_ID),
                    occurred=dt.datetime(2016, 6, 9, 4, 10, 16),
                    entity_name="ShareRequest",
                    action_name="accept",
                    source_id=UUID(P1),
                    target_id=UUID(P2),
                    subject=UUID(CARD),
                    activity_type=ActivityType.NETWORK_UPDATES,
                    arguments=ActivityArguments(
                        data_set_name="Public", fields_added=["first_name_field"]
                    ),
                ),
            ],
        ),
        id="activities.list-account",
    ),
    pytest.param(
        Case(
            lambda c: c.activities.list(
                scope="PDS_MUTATIONS", profile_id=P1, page_size=5
            ).collect(),
            "GET",
            "/v2/activities",
            query=[("scope", "PDS_MUTATIONS"), ("profileId", P1), ("page", "0"), ("size", "5")],
            response=page(),
            expected=[],
        ),
        id="activities.list-profile",
    ),
    pytest.param(
        Case(
            lambda c: c.companies.list("acme"),
            "GET",
            "/v2/companies",
            query=[("employerName", "acme")],
            response=[{"onlyOnceId": 77, "name": "Acme B.V."}],
            expected=[Company(onlyonce_id=77, name="Acme B.V.")],
        ),
        id="companies.list",
    ),
    # -- datastore ----------------------------------------------------------------------
    pytest.param(
        Case(
            lambda c: c.datastore.get(P1),
            "GET",
            f"/v2/profiles/{P1}/dataStore",
            response=[FIELD_BODY, COUNTRY_BODY],
            expected=[FIELD_VALUE, COUNTRY_VALUE],
        ),
        id="datastore.get",
    ),
    pytest.param(
        Case(
            lambda c: c.datastore.add_fields(
                P1,
                [
                    FieldValue(definition_name="first_name_field", value="Alice"),
                    FieldValue(
                        definition_name="country_field",
                        value={"id": UUID(COUNTRY)},
                        parent_value_id=UUID(FIELD),
                    ),
                ],
            ),
            "POST",
            f"/v2/profiles/{P1}/dataStore/addFields",
            body=[
                {"definitionName": "first_name_field", "value": "Alice"},
                {
                    "definitionName": "country_field",
                    "value": {"id": COUNTRY},
                    "parentValueId": FIELD,
                },
            ],
            response=[FIELD_BODY, COUNTRY_BODY],
            expected=[FIELD_VALUE, COUNTRY_VALUE],
        ),
        id="datastore.add_fields",
    ),
    pytest.param(
        Case(
            lambda c: c.datastore.save_fields(
                P1, [FIELD_VALUE, FieldValue(definition_name="job_title_field", value="Dev")]
            ),
            "POST",
            f"/v2/profiles/{P1}/dataStore/saveFields",
            body=[FIELD_BODY, {"definitionName": "job_title_field", "value": "Dev"}],
            response=[FIELD_BODY],
            expected=[FIELD_VALUE],
        ),
        id="datastore.save_fields",
    ),
    pytest.param(
        Case(
            lambda c: c.datastore.delete_field(P1, FIELD),
            "DELETE",
            f"/v2/profiles/{P1}/dataStore/fields/{FIELD}",
        ),
        id="datastore.delete_field",
    ),
    # -- cards --------------------------------------------------------------------------
    pytest.param(
        Case(
            lambda c: c.cards.list(P1, scope="MINE"),
            "GET",
            f"/v2/profiles/{P1}/cards",
            query=[("scope", "MINE")],
            response=[CARD_BODY],
            expected=[CARD_MODEL],
        ),
        id="cards.list",
    ),
    pytest.param(
        Case(
            lambda c: c.cards.get(P1, CARD),
            "GET",
            f"/v2/profiles/{P1}/cards/{CARD}",
            response={**CARD_BODY, "fields": [FIELD_BODY]},
            expected=CardContent(
                id=UUID(CARD),
                name="Public",
                owner_id=UUID(P1),
                data_set_type=DataSetType.PUBLIC_CARD,
                predefined=True,
                predefined_type="PUBLIC",
                pending_requests_count=1,
                accepted_requests_count=4,
                fields=[FIELD_VALUE],
            ),
        ),
        id="cards.get",
    ),
    pytest.param(
        Case(
            lambda c: c.cards.create(P1, name="Work", fields=[FIELD, UUID(FIELD2)]),
            "POST",
            f"/v2/profiles/{P1}/cards",
            body={"name": "Work", "fields": [FIELD, FIELD2]},
            response={"id": CARD2},
            expected=UUID(CARD2),
        ),
        id="cards.create",
    ),
    pytest.param(
        Case(
            lambda c: c.cards.clone(P1, CARD),
            "POST",
            f"/v2/profiles/{P1}/cards/{CARD}/clone",
            response={"id": CARD2},
            expected=UUID(CARD2),
        ),
        id="cards.clone",
    ),
    pytest.param(
        Case(
            lambda c: c.cards.update(P1, CARD2, name="Work 2", fields=[]),
            "PUT",
            f"/v2/profiles/{P1}/cards/{CARD2}",
            body={"name": "Work 2", "fields": []},
        ),
        id="cards.update",
    ),
    pytest.param(
        Case(lambda c: c.cards.delete(P1, CARD2), "DELETE", f"/v2/profiles/{P1}/cards/{CARD2}"),
        id="cards.delete",
    ),
    # -- network ------------------------------------------------------------------------
    pytest.param(
        Case(
            lambda c: c.network.list_requests(P1).collect(),
            "GET",
            f"/v2/profiles/{P1}/requests",
            query=[("page", "0")],
            response=page(SHARE_REQUEST_BODY),
            expected=[SHARE_REQUEST],
        ),
        id="network.list_requests-plain",
    ),
    pytest.param(
        Case(
            lambda c: c.network.list_requests(
                P1,
                type="INCOMING",
                target_id=P2,
                statuses=["PENDING", RequestStatus.ACCEPTED],
                card_id=CARD,
                sort_field="requested",
                sort_direction="asc",
                page_size=10,
            ).collect(),
            "GET",
            f"/v2/profiles/{P1}/requests",
            query=[
                ("type", "INCOMING"),
                ("targetId", P2),
                ("statuses", "PENDING"),
                ("statuses", "ACCEPTED"),
                ("cardId", CARD),
                ("sortField", "requested"),
                ("sortDirection", "asc"),
                ("page", "0"),
                ("size", "10"),
            ],
            response=page(SHARE_REQUEST_BODY),
            expected=[SHARE_REQUEST],
        ),
        id="network.list_requests-every-filter",
    ),
    pytest.param(
        Case(
            lambda c: c.network.share(CARD, sender_id=P1, recipient_id=P2),
            "POST",
            "/v2/requests",
            body={"cardId": CARD, "recipient": {"id": P2}, "sender": {"id": P1}, "reversed": False},
            response=SHARE_REQUEST_BODY,
            expected=SHARE_REQUEST,
        ),
        id="network.share",
    ),
    pytest.param(
        Case(
            lambda c: c.network.request_card(CARD2, sender_id=P1, recipient_id=P2),
            "POST",
            "/v2/requests",
            body={"cardId": CARD2, "recipient": {"id": P2}, "sender": {"id": P1}, "reversed": True},
            response=SHARE_REQUEST_BODY,
            expected=SHARE_REQUEST,
        ),
        id="network.request_card",
    ),
    pytest.param(
        Case(
            lambda c: c.network.accept([REQUEST, UUID(NOTE)]),
            "POST",
            "/v2/requests/accept",
            body={"ids": [REQUEST, NOTE]},
        ),
        id="network.accept",
    ),
    pytest.param(
        Case(
            lambda c: c.network.decline(iter([REQUEST])),
            "POST",
            "/v2/requests/decline",
            body={"ids": [REQUEST]},
        ),
        id="network.decline",
    ),
    pytest.param(
        Case(
            lambda c: c.network.revoke((REQUEST,)),
            "POST",
            "/v2/requests/revoke",
            body={"ids": [REQUEST]},
        ),
        id="network.revoke",
    ),
    # -- support ------------------------------------------------------------------------
    pytest.param(
        Case(
            lambda c: c.dictionaries.list("country_field"),
            "GET",
            "/v2/dictionaries",
            query=[("fieldDefinitionName", "country_field")],
            response=[
                {"id": "88e43225-4127-4092-bf6a-3b4e0a67f8bc", "order": 0, "value": "Afghanistan"}
            ],
            expected=[
                DictionaryEntry(
                    id=UUID("88e43225-4127-4092-bf6a-3b4e0a67f8bc"), order=0, value="Afghanistan"
                )
            ],
        ),
        id="dictionaries.list",
    ),
    pytest.param(
        Case(
            lambda c: c.consolidated(
                P1, ["first_name_field", "communication_email1_field"]
            ).collect(),
            "GET",
            "/v2/consolidated",
            query=[
                ("profileId", P1),
                ("fieldNames", "first_name_field"),
                ("fieldNames", "communication_email1_field"),
                ("page", "0"),
            ],
            response=page(
                {P2: {"first_name_field": "Bob", "communication_email1_field": None}},
            ),
            expected=[
                ConsolidatedEntry(
                    profile_id=UUID(P2),
                    values={"first_name_field": "Bob", "communication_email1_field": None},
                )
            ],
        ),
        id="client.consolidated",
    ),
    pytest.param(
        Case(
            lambda c: c.heartbeat(),
            "GET",
            "/v2/heartbeat",
            response={"nodeName": "onlyonce-api-web-1", "since": "2016-07-20T19:35:40.3"},
            expected=Heartbeat(
                node_name="onlyonce-api-web-1", since=dt.datetime(2016, 7, 20, 19, 35, 40, 300000)
            ),
        ),
        id="client.heartbeat",
    ),
    pytest.param(
        Case(
            lambda c: c.files.info(FILE),
            "GET",
            f"/v2/files/{FILE}/info",
            response=FILE_INFO_BODY,
            expected=FILE_INFO,
        ),
        id="files.info",
    ),
    pytest.param(
        Case(
            lambda c: c.files.download(P1, FILE),
            "GET",
            f"/v2/profiles/{P1}/files/{FILE}/download",
            raw_response=b"\x00\x01binary\xff",
            expected=b"\x00\x01binary\xff",
        ),
        id="files.download",
    ),
    pytest.param(
        Case(
            lambda c: c.files.download_to(P1, FILE, io.BytesIO()),
            "GET",
            f"/v2/profiles/{P1}/files/{FILE}/download",
            raw_response=b"0123456789",
            expected=10,
        ),
        id="files.download_to",
    ),
    pytest.param(
        Case(lambda c: c.files.delete(P1, FILE), "DELETE", f"/v2/profiles/{P1}/files/{FILE}"),
        id="files.delete",
    ),
]


@pytest.mark.anyio
@pytest.mark.parametrize("case", CASES)
async def test_operation_on_the_wire(
    case: Case, client: Client, mock_api: respx.MockRouter
) -> None:
    """The method sends the documented method, path, query and body and decodes the answer."""
    if case.raw_response is not None:
        response = httpx.Response(200, content=case.raw_response, headers=case.response_headers)
    elif case.response is None:
        response = httpx.Response(200, headers=case.response_headers)
    else:
        response = httpx.Response(200, json=case.response, headers=case.response_headers)
    route = mock_api.route().mock(return_value=response)

    result = await case.call(client)

    assert route.call_count == 1
    request = route.calls.last.request
    assert request.method == case.method
    assert request.url.raw_path.split(b"?")[0].decode() == case.path
    assert list(request.url.params.multi_items()) == case.query
    if case.body is NO_BODY:
        assert request.content == b""
    else:
        assert request.headers["Content-Type"] == "application/json"
        assert json.loads(request.content) == case.body
    for name, value in case.request_headers.items():
        assert request.headers[name] == value
    assert result == case.expected


@pytest.mark.anyio
async def test_upload_on_the_wire(client: Client, mock_api: respx.MockRouter) -> None:
    """Upload posts multipart to the profile's files and returns the stored FileInfo."""
    route = mock_api.post(f"/profiles/{P1}/files").respond(json=FILE_INFO_BODY)
    result = await client.files.upload(P1, b"%PDF-1.4", filename="cv.pdf", description="My CV")
    assert result == FILE_INFO
    request = route.calls.last.request
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert b'name="metadata"' in request.content
    assert b'{"avatar":false,"description":"My CV"}' in request.content


@pytest.mark.anyio
async def test_sign_in_installs_the_token(client: Client, mock_api: respx.MockRouter) -> None:
    """After sign_in the client sends the token; sign_out clears it."""
    mock_api.post("/signIn").respond(headers={"Authorization": "Bearer tok-9"})
    account = mock_api.get("/account").respond(json={"email": "a@example.com"})
    mock_api.get("/signOut").respond()
    await client.account.sign_in("a@example.com", "pw")
    assert isinstance(client.auth, BearerAuth)
    await client.account.get()
    assert account.calls.last.request.headers["Authorization"] == "Bearer tok-9"
    await client.account.sign_out()
    assert client.auth.token is None


def test_every_operation_has_a_row() -> None:
    """The table covers all 45 operations of the reference (49 methods with variants)."""
    ids = {str(p.id).split("-")[0] for p in CASES} | {"files.upload"}
    assert len(ids) == 49
