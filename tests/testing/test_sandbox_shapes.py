"""
The sandbox renders its answers through `Shape`: the keys are the SDK models' wire names.
"""

from __future__ import annotations

import datetime as dt
import uuid

import attrs
import pytest

from onlyonce_async import Account, Company, Profile
from onlyonce_async._convert import make_converter
from onlyonce_async.testing._shape import Shape


def test_keys_are_the_converters_wire_names() -> None:
    """A render is what the strict converter decodes: camelCase, metadata names honoured."""
    company = Shape(Company)(onlyonce_id=1001, name="Acme")
    assert company == {"onlyOnceId": 1001, "name": "Acme"}
    account = Shape(Account)(
        email="a@b.test",
        account_level="FREE",
        created_date="2016-06-09T04:10:16.787",
        email_verified=True,
    )
    assert list(account) == ["email", "accountLevel", "createdDate", "emailVerified"]
    decoded = make_converter(strict=True).structure(account, Account)
    assert decoded.created_date == dt.datetime(2016, 6, 9, 4, 10, 16, 787000)


def test_nulls_are_written_out() -> None:
    """A member given as None is sent as null, not left out (unlike a request body)."""
    body = Shape(Company)(onlyonce_id=1, name=None)
    assert body == {"onlyOnceId": 1, "name": None}


def test_a_member_the_model_lacks_fails() -> None:
    """The sandbox cannot send a key the SDK would not read."""
    with pytest.raises(TypeError, match=r"members \['nickname'\]"):
        Shape(Company)(onlyonce_id=1, name="Acme", nickname="A")


def test_a_field_the_sandbox_leaves_out_fails() -> None:
    """A field added to an SDK model makes the sandbox's render fail until it sends it."""

    @attrs.frozen(kw_only=True)
    class Grown:
        id: uuid.UUID
        added_later: str | None = None

    with pytest.raises(TypeError, match=r"without its fields \['added_later'\]"):
        Shape(Grown)(id="x")


def test_partial_shapes_may_leave_fields_out_but_add_none() -> None:
    """An object sent in several forms (activities) may omit fields, never invent one."""
    partial = Shape(Profile, partial=True)
    assert partial(id="x", onlyonce_id=1) == {"id": "x", "onlyonceId": 1}
    with pytest.raises(TypeError, match="onlyOnceId"):
        partial(id="x", onlyOnceId=1)
    assert Shape(Profile, partial=True).key("public_card_id") == "publicCardId"
