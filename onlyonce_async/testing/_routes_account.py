"""
Account routes: ``/signUp``, ``/signIn``, ``/signOut``, ``/account``, password changes.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .._endpoints.account import Account as AccountModel
from .._wire import AccountLevel
from ._context import Context, empty, endpoint, json_response
from ._dictionaries import entry_by_id
from ._errors import ApiError, status_error
from ._records import Account, StoredFile, timestamp
from ._shape import Shape
from ._validate import MAX_TEXT, Fields, parse_uuid, present

__all__ = ["AccountRoutes", "SignUp"]

_ACCOUNT: Final = Shape(AccountModel)

_SIGN_UP_TEXT = (
    "email",
    "password",
    "passPhrase",
    "firstName",
    "lastName",
)
_SIGN_UP_OPTIONAL_TEXT = (
    "middleName",
    "personalEmail",
    "personalPhone",
    "employer",
    "jobTitle",
    "businessEmail",
    "businessPhone",
    "avatar",
)


def _data_uri(uri: str) -> tuple[str, bytes] | None:
    """The (content type, bytes) of a base64 ``data:`` URI, or ``None`` when malformed."""
    header, comma, payload = uri.partition(",")
    if not comma or not header.startswith("data:") or not header.endswith(";base64"):
        return None
    try:
        content = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return None
    return header[5:-7] or "application/octet-stream", content


class SignUp:
    """
    Sign-up validation and creation, shared by ``POST /signUp`` and `Sandbox.create_user`.
    """

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def invalid_fields(self, data: Any) -> list[str]:
        """Every missing or invalid field of a sign-up body (camelCase names)."""
        if not isinstance(data, dict):
            return [*_SIGN_UP_TEXT, "country"]
        bad = [
            name
            for name in _SIGN_UP_TEXT
            if not isinstance(data.get(name), str) or not data[name].strip()
        ]
        bad += [
            name
            for name in _SIGN_UP_OPTIONAL_TEXT
            if data.get(name) is not None and not isinstance(data[name], str)
        ]
        email = data.get("email")
        if isinstance(email, str) and "email" not in bad:
            taken = self._ctx.store.account_by_email(email) is not None
            if taken or "@" not in email or len(email) > 254:
                bad.append("email")
        avatar = data.get("avatar")
        if isinstance(avatar, str) and _data_uri(avatar) is None:
            bad.append("avatar")
        for name, dictionary, required in (
            ("country", "country_field", True),
            ("gender", "gender_field", False),
        ):
            value = data.get(name)
            if value is None and not required:
                continue
            entry_id = parse_uuid(value)
            if entry_id is None or entry_by_id(dictionary, entry_id) is None:
                bad.append(name)
        if data.get("mailPassPhrase") is not None and not isinstance(data["mailPassPhrase"], bool):
            bad.append("mailPassPhrase")
        bad += [
            name
            for name in (*_SIGN_UP_TEXT, *_SIGN_UP_OPTIONAL_TEXT)
            if name != "avatar"
            and name not in bad
            and isinstance(data.get(name), str)
            and len(data[name]) > MAX_TEXT
        ]
        return bad

    def create(self, data: dict[str, Any]) -> Account:
        """Create the account of a validated sign-up body."""
        store = self._ctx.store
        names = [data["firstName"], data.get("middleName"), data["lastName"]]
        account = store.create_account(
            email=data["email"],
            password=data["password"],
            pass_phrase=data["passPhrase"],
            names=[name.strip() for name in names if isinstance(name, str) and name.strip()],
        )
        avatar = _data_uri(data["avatar"]) if isinstance(data.get("avatar"), str) else None
        if avatar is not None:
            profile = store.profiles[account.personal_profile_id]
            content_type, content = avatar
            stored = StoredFile(store.new_id(), profile.id, "avatar", content_type, content)
            store.files[stored.id] = stored
            profile.files[stored.id] = None
            profile.avatar_id = stored.id
        return account


class AccountRoutes:
    """The account area of seed 002."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._sign_up = SignUp(ctx)

    def routes(self) -> list[BaseRoute]:
        """The area's routes."""
        return [
            Route("/signUp", self.sign_up, methods=["POST"]),
            Route("/signIn", self.sign_in, methods=["POST"]),
            Route("/signOut", self.sign_out, methods=["GET"]),
            Route("/account", self.get_account, methods=["GET"]),
            Route("/account", self.delete_account, methods=["DELETE"]),
            Route("/password/change", self.password_reset, methods=["GET"]),
            Route("/account/changePassword", self.change_password, methods=["GET"]),
        ]

    @endpoint(public=True)
    async def sign_up(self, request: Request) -> Response:
        """POST /signUp: 200 empty, or 400 ``registration-failed`` naming every bad field."""
        data = self._ctx.json(request)
        bad = self._sign_up.invalid_fields(data)
        if bad:
            raise status_error(400, "registration-failed", "Registration failed", {"fields": bad})
        account = self._sign_up.create(data)
        self._ctx.log_account(request, account, "SIGN_UP")
        return empty()

    @endpoint(public=True)
    async def sign_in(self, request: Request) -> Response:
        """POST /signIn: the token in the ``Authorization`` response header."""
        fields = Fields(self._ctx.json(request))
        username = fields.text("username")
        password = fields.text("password")
        fields.check()
        account = self._ctx.store.account_by_email(present(username))
        if account is None or account.password != present(password):
            raise ApiError(401, {"message": "Invalid credentials"})
        token = self._ctx.auth.issue_token(account)
        self._ctx.log_account(request, account, "SIGN_IN")
        return Response(status_code=200, headers={"Authorization": f"Bearer {token}"})

    async def sign_out(self, request: Request) -> Response:
        """
        GET /signOut: ends the session of the sign-in token presented, and only that one
        (a signed JWT has no session: nothing to end).
        """
        account = self._ctx.account(request)
        identity = self._ctx.identity(request)
        if identity is not None and identity.session is not None:
            self._ctx.auth.end_session(identity.session)
        self._ctx.log_account(request, account, "SIGN_OUT")
        return empty()

    async def get_account(self, request: Request) -> Response:
        """GET /account."""
        account = self._ctx.account(request)
        return json_response(
            _ACCOUNT(
                email=account.email,
                account_level=AccountLevel.FREE.value,
                created_date=timestamp(account.created),
                email_verified=True,
            )
        )

    async def delete_account(self, request: Request) -> Response:
        """DELETE /account: the account, its profiles and its tokens."""
        account = self._ctx.account(request)
        self._ctx.auth.revoke_tokens(account.id)
        self._ctx.store.delete_account(account)
        return empty()

    @endpoint(public=True, query=("email",))
    async def password_reset(self, request: Request) -> Response:
        """GET /password/change?email=: always 200 (does not reveal accounts)."""
        query = self._ctx.query(request)
        email = query.text("email", required=True)
        query.check()
        account = self._ctx.store.account_by_email(email or "")
        if account is not None:
            self._ctx.log_account(request, account, "PASSWORD_RESET_REQUESTED")
        return empty()

    async def change_password(self, request: Request) -> Response:
        """GET /account/changePassword with a JSON body (sic)."""
        account = self._ctx.account(request)
        fields = Fields(self._ctx.json(request))
        old = fields.text("oldPassword")
        new = fields.text("newPassword")
        fields.check()
        if old != account.password or new is None:
            raise status_error(401, "authentication-failed", "Wrong password")
        account.password = new
        self._ctx.auth.revoke_tokens(account.id)
        self._ctx.log_account(request, account, "CHANGE_PASSWORD")
        return empty()
