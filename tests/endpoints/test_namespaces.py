"""
The client's endpoint namespaces and their methods are exactly those of DESIGN.md §2.6.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from onlyonce_async import Client

# DESIGN.md §2.6, one entry per public method: its parameters, keyword-only ones after "*".
EXPECTED: dict[str, dict[str, str]] = {
    "account": {
        "sign_up": "* pass_phrase password email first_name last_name country middle_name "
        "avatar personal_email personal_phone gender employer job_title business_email "
        "business_phone mail_pass_phrase",
        "sign_in": "username password",
        "sign_out": "",
        "get": "",
        "delete": "",
        "request_password_reset": "email",
        "change_password": "old_password new_password",
    },
    "profiles": {
        "list": "* ooid name type scope profile_id tags categories sort_field sort_direction "
        "page_size",
        "get": "profile_id * current_profile_id",
        "create_organization": "* pass_phrase email trade_name legal_entity_type country "
        "mail_pass_phrase",
        "delete": "profile_id",
        "enable_access": "profile_id pass_phrase * remember",
        "change_pass_phrase": "profile_id pass_phrase new_pass_phrase",
        "add_bookmark": "profile_id target_id",
        "remove_bookmark": "profile_id target_id",
        "add_tag": "* owner_id target_id tag",
        "remove_tag": "* owner_id target_id tag",
        "add_note": "profile_id * owner_id type text",
        "list_notes": "profile_id * owner_id",
        "update_note": "profile_id note",
        "delete_note": "profile_id note_id",
        "get_settings": "profile_id",
        "update_settings": "profile_id settings",
    },
    "activities": {"list": "* scope profile_id page_size"},
    "companies": {"list": "employer_name"},
    "datastore": {
        "get": "profile_id",
        "add_fields": "profile_id fields",
        "save_fields": "profile_id fields",
        "delete_field": "profile_id field_id",
    },
    "cards": {
        "list": "profile_id * scope",
        "get": "profile_id card_id",
        "create": "profile_id * name fields",
        "clone": "profile_id card_id",
        "update": "profile_id card_id * name fields",
        "delete": "profile_id card_id",
    },
    "network": {
        "list_requests": "profile_id * type target_id statuses card_id sort_field "
        "sort_direction page_size",
        "share": "card_id * sender_id recipient_id",
        "request_card": "card_id * sender_id recipient_id",
        "accept": "ids",
        "decline": "ids",
        "revoke": "ids",
        "share_many": (
            "card_id * sender_id recipient_ids concurrency on_progress journal skip_existing"
        ),
        "share_all": (
            "card_id * sender_id recipient_ids concurrency on_progress report journal skip_existing"
        ),
    },
    "dictionaries": {"list": "field_definition_name"},
    "files": {
        "info": "file_id",
        "download": "profile_id file_id",
        "download_to": "profile_id file_id destination",
        "upload": "profile_id file * filename content_type description field_definition_name "
        "parent_field_value_id avatar",
        "delete": "profile_id file_id",
    },
}
CLIENT_METHODS = {"consolidated": "profile_id field_names * page_size", "heartbeat": ""}


def _signature(method: Any) -> str:
    words: list[str] = []
    for param in inspect.signature(method).parameters.values():
        if param.kind is inspect.Parameter.KEYWORD_ONLY and "*" not in words:
            words.append("*")
        words.append(param.name)
    return " ".join(words)


def _public_methods(obj: Any) -> set[str]:
    return {name for name in dir(obj) if not name.startswith("_") and callable(getattr(obj, name))}


def test_namespaces_are_exactly_the_designed_ones() -> None:
    """Every namespace of §2.6 is on the client, and no other endpoint namespace is."""
    client = Client()
    areas = {
        name
        for name in dir(client)
        if not name.startswith("_") and type(getattr(client, name)).__name__.endswith("API")
    }
    assert areas == set(EXPECTED)


@pytest.mark.parametrize("namespace", sorted(EXPECTED))
def test_namespace_methods_match_the_design(namespace: str) -> None:
    """The namespace has exactly the designed public methods, with the designed parameters."""
    area = getattr(Client(), namespace)
    assert _public_methods(area) == set(EXPECTED[namespace])
    for method, params in EXPECTED[namespace].items():
        assert _signature(getattr(area, method)) == params, f"{namespace}.{method}"


@pytest.mark.parametrize("method", sorted(CLIENT_METHODS))
def test_client_level_operations(method: str) -> None:
    """consolidated and heartbeat are Client methods with the designed parameters."""
    assert _signature(getattr(Client(), method)) == CLIENT_METHODS[method]


def test_with_options_gets_its_own_namespaces() -> None:
    """A with_options client's namespaces are bound to that client, not to the original."""
    client = Client()
    other = client.with_options(max_retries=0)
    assert other.cards is not client.cards
    assert other.cards._client is other


def test_with_options_does_not_inherit_namespaces_already_made() -> None:
    """A namespace made on the original before with_options is not shared with the copy."""
    client = Client()
    original = client.cards
    other = client.with_options(max_retries=0)
    assert other.cards is not original
    assert other.cards._client is other
    assert client.cards is original


def test_each_namespace_is_made_once_per_client() -> None:
    """A namespace is made on first use and the same object afterwards."""
    client = Client()
    assert client.profiles is client.profiles


@pytest.mark.parametrize(
    ("flat", "sub", "method"),
    [
        pytest.param("add_note", "notes", "add", id="add_note"),
        pytest.param("list_notes", "notes", "list", id="list_notes"),
        pytest.param("update_note", "notes", "update", id="update_note"),
        pytest.param("delete_note", "notes", "delete", id="delete_note"),
        pytest.param("get_settings", "settings", "get", id="get_settings"),
        pytest.param("update_settings", "settings", "update", id="update_settings"),
    ],
)
def test_profiles_sub_namespaces_back_the_flat_names(flat: str, sub: str, method: str) -> None:
    """profiles.notes and profiles.settings take what the designed flat names take."""
    profiles = Client().profiles
    assert _signature(getattr(getattr(profiles, sub), method)) == _signature(
        getattr(profiles, flat)
    )
