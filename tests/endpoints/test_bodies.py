"""
Request bodies are attrs classes the one converter unstructures: camelCase, round-tripping,
secrets out of ``repr``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from onlyonce_async import (
    AvatarVisibility,
    BearerAuth,
    Client,
    EmailNotificationType,
    FieldValue,
    Note,
    ProfileSettings,
)
from onlyonce_async._auth import SignInBody
from onlyonce_async._convert import make_converter
from onlyonce_async._endpoints._base import IdBody
from onlyonce_async._endpoints._shares import ShareBody, share_bodies
from onlyonce_async._endpoints.account import PasswordChangeBody, SignUpBody
from onlyonce_async._endpoints.cards import CardBody
from onlyonce_async._endpoints.files import UploadMetadata
from onlyonce_async._endpoints.network import IdsBody
from onlyonce_async._endpoints.notes import NoteBody
from onlyonce_async._endpoints.profiles import OrganizationBody, PassPhraseChangeBody, TagBody
from onlyonce_async._json import encode_json
from tests._support.helpers import Recorder, fast_client

A, B, C = (uuid.UUID(int=n) for n in (1, 2, 3))

BODIES: list[Any] = [
    pytest.param(
        SignUpBody(
            pass_phrase="s3cret phrase",
            password="hunter22",
            email="a@b.test",
            first_name="Ada",
            last_name="Lovelace",
            country=A,
            mail_pass_phrase=False,
            job_title="Analyst",
        ),
        {
            "passPhrase": "s3cret phrase",
            "password": "hunter22",
            "email": "a@b.test",
            "firstName": "Ada",
            "lastName": "Lovelace",
            "country": str(A),
            "mailPassPhrase": False,
            "jobTitle": "Analyst",
        },
        id="sign-up",
    ),
    pytest.param(
        SignInBody(username="a@b.test", password="hunter22"),
        {"username": "a@b.test", "password": "hunter22"},
        id="sign-in",
    ),
    pytest.param(
        PasswordChangeBody(old_password="hunter22", new_password="hunter23"),
        {"oldPassword": "hunter22", "newPassword": "hunter23"},
        id="password-change",
    ),
    pytest.param(
        OrganizationBody(
            pass_phrase="s3cret phrase", email="o@b.test", trade_name="Org", mail_pass_phrase=True
        ),
        {
            "passPhrase": "s3cret phrase",
            "email": "o@b.test",
            "tradeName": "Org",
            "mailPassPhrase": True,
        },
        id="organization",
    ),
    pytest.param(
        PassPhraseChangeBody(pass_phrase="s3cret phrase", new_pass_phrase="n3w phrase"),
        {"passPhrase": "s3cret phrase", "newPassPhrase": "n3w phrase"},
        id="pass-phrase-change",
    ),
    pytest.param(
        TagBody(owner_id=A, target_id=B, tag="vip"),
        {"ownerId": str(A), "targetId": str(B), "tag": "vip"},
        id="tag",
    ),
    pytest.param(
        NoteBody(type="CALL", text="hi", owner_id=A),
        {"type": "CALL", "text": "hi", "ownerId": str(A)},
        id="note",
    ),
    pytest.param(
        CardBody(name="c", fields=[A, B]), {"name": "c", "fields": [str(A), str(B)]}, id="card"
    ),
    pytest.param(
        ShareBody(card_id=C, recipient=IdBody(id=B), sender=IdBody(id=A), reversed=False),
        {
            "cardId": str(C),
            "recipient": {"id": str(B)},
            "sender": {"id": str(A)},
            "reversed": False,
        },
        id="share",
    ),
    pytest.param(IdsBody(ids=[A]), {"ids": [str(A)]}, id="ids"),
    pytest.param(
        UploadMetadata(
            field_definition_name="avatar_field",
            parent_field_value_id=A,
            avatar=True,
            description="me",
        ),
        {
            "fieldDefinitionName": "avatar_field",
            "parentFieldValueId": str(A),
            "avatar": True,
            "description": "me",
        },
        id="upload-metadata",
    ),
    pytest.param(UploadMetadata(avatar=False), {"avatar": False}, id="upload-metadata-bare"),
]


@pytest.mark.parametrize(("body", "wire"), BODIES)
def test_body_is_unstructured_by_the_converter_and_round_trips(
    body: Any, wire: dict[str, Any]
) -> None:
    """A body becomes its documented camelCase object and decodes back to itself."""
    converter = make_converter(strict=True)
    assert converter.unstructure(body) == wire
    assert json.loads(encode_json(body)) == wire
    assert converter.structure(wire, type(body)) == body


@pytest.mark.parametrize(("body", "wire"), BODIES)
def test_body_repr_holds_no_secret(body: Any, wire: dict[str, Any]) -> None:
    """Passwords and pass phrases never appear in a body's repr."""
    for secret in ("hunter22", "hunter23", "s3cret phrase", "n3w phrase"):
        assert secret not in repr(body)


async def _sent_body(call: Callable[[Client], Awaitable[Any]], answer: Any = None) -> Any:
    """The JSON body ``call`` sends (the server answers ``answer``)."""
    recorder = Recorder(httpx.Response(200, json=answer))
    async with fast_client(transport=recorder.transport()) as client:
        await call(client)
    (request,) = recorder.requests
    assert request.headers["Content-Type"] == "application/json"
    return json.loads(request.content)


def test_a_bulk_share_sends_the_bytes_of_its_share_body() -> None:
    """`share_many`'s bodies, made once per run, are byte for byte the `ShareBody`'s."""
    body = share_bodies(C, A)
    for recipient in (B, uuid.uuid4()):
        whole = ShareBody(
            card_id=C, recipient=IdBody(id=recipient), sender=IdBody(id=A), reversed=False
        )
        assert encode_json(body(recipient)) == encode_json(whole)


@pytest.mark.anyio
async def test_notes_update_sends_the_note_as_the_converter_writes_it() -> None:
    """notes.update sends the whole note in camelCase, its id included."""
    note = Note(id=C, type="CALL", text="hi", owner_id=A)
    sent = await _sent_body(lambda c: c.profiles.notes.update(B, note))
    assert sent == {"id": str(C), "type": "CALL", "text": "hi", "ownerId": str(A)}


@pytest.mark.anyio
async def test_settings_update_sends_enum_values_and_omits_unset_fields() -> None:
    """settings.update sends wire values of its enumerations; None fields are not sent."""
    settings = ProfileSettings(
        searchable_by_name=False,
        avatar_visibility=AvatarVisibility.NOBODY,
        email_notification_types=[EmailNotificationType.NEW_MESSAGE],
        communication_channels_order=["communication_skype_field"],  # type: ignore[list-item]
    )
    sent = await _sent_body(lambda c: c.profiles.settings.update(A, settings))
    assert sent == {
        "searchableByName": False,
        "avatarVisibility": "NOBODY",
        "emailNotificationTypes": ["NEW_MESSAGE"],
        "communicationChannelsOrder": ["communication_skype_field"],
    }


@pytest.mark.anyio
async def test_save_fields_sends_each_value_as_the_converter_writes_it() -> None:
    """datastore.save_fields sends a list of camelCase field values, unset ones left out."""
    fields = [
        FieldValue(definition_name="first_name_field", value="Ada", id=B),
        FieldValue(definition_name="country_field", value={"id": str(C)}, parent_value_id=A),
    ]
    sent = await _sent_body(lambda c: c.datastore.save_fields(A, fields), answer=[])
    assert sent == [
        {"definitionName": "first_name_field", "value": "Ada", "id": str(B)},
        {"definitionName": "country_field", "value": {"id": str(C)}, "parentValueId": str(A)},
    ]


@pytest.mark.anyio
async def test_bearer_auth_signs_in_with_the_sign_in_body() -> None:
    """BearerAuth.with_credentials' own sign-in sends the SignInBody as the converter writes it."""
    answers = iter(
        [httpx.Response(200, headers={"Authorization": "Bearer t0ken"}), httpx.Response(200)]
    )
    recorder = Recorder()
    auth = BearerAuth.with_credentials("a@b.test", "hunter22")

    def answer(request: httpx.Request) -> httpx.Response:
        recorder(request)
        return next(answers)

    async with fast_client(transport=httpx.MockTransport(answer), auth=auth) as client:
        await client.get("account")
    sign_in, call = recorder.requests
    assert sign_in.url.path.endswith("/signIn")
    assert sign_in.content == encode_json(SignInBody(username="a@b.test", password="hunter22"))
    assert json.loads(sign_in.content) == {"username": "a@b.test", "password": "hunter22"}
    assert call.headers["Authorization"] == "Bearer t0ken"
