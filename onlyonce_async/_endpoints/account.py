"""
The account: `Account` and ``client.account`` (sign-up, sign-in, password operations).
"""

from __future__ import annotations

import datetime as dt
import uuid

import attrs

from .._args import flag, non_empty, optional_str, pass_phrase_arg, password_arg, uuid_arg
from .._auth import BearerAuth, SignInBody
from .._wire import AccountLevel
from ._base import Namespace

__all__ = ["Account", "AccountAPI", "AccountLevel"]


@attrs.frozen(kw_only=True)
class Account:
    """
    The signed-in account (``GET /account``).

    Attributes:
        email: The account's email address (its user name).
        account_level: The subscription level.
        created_date: When the account was created.
        email_verified: Whether the email address was verified.
    """

    email: str
    account_level: AccountLevel | None = None
    created_date: dt.datetime | None = None
    email_verified: bool | None = None


@attrs.frozen(kw_only=True)
class SignUpBody:
    """
    The body of ``POST /signUp`` (optional fields left ``None`` are not sent).
    """

    pass_phrase: str = attrs.field(repr=False)
    password: str = attrs.field(repr=False)
    email: str
    first_name: str
    last_name: str
    country: uuid.UUID
    mail_pass_phrase: bool
    middle_name: str | None = None
    avatar: str | None = None
    personal_email: str | None = None
    personal_phone: str | None = None
    employer: str | None = None
    job_title: str | None = None
    business_email: str | None = None
    business_phone: str | None = None
    gender: uuid.UUID | None = None


@attrs.frozen(kw_only=True)
class PasswordChangeBody:
    """
    The body of ``GET /account/changePassword``.
    """

    old_password: str = attrs.field(repr=False)
    new_password: str = attrs.field(repr=False)


class AccountAPI(Namespace):
    """
    ``client.account``: the account operations.
    """

    __slots__ = ()

    async def sign_up(
        self,
        *,
        pass_phrase: str,
        password: str,
        email: str,
        first_name: str,
        last_name: str,
        country: uuid.UUID | str,
        middle_name: str | None = None,
        avatar: str | None = None,
        personal_email: str | None = None,
        personal_phone: str | None = None,
        gender: uuid.UUID | str | None = None,
        employer: str | None = None,
        job_title: str | None = None,
        business_email: str | None = None,
        business_phone: str | None = None,
        mail_pass_phrase: bool = False,
    ) -> None:
        """
        Create an account and its personal profile (``POST /signUp``).

        Args:
            pass_phrase: The personal profile's pass phrase.
            password: The account's password.
            email: The account's email address (its user name).
            first_name: The person's first name.
            last_name: The person's last name.
            country: A ``country_field`` dictionary entry id.
            middle_name: The person's middle name, if any.
            avatar: The avatar as a ``data:`` URI.
            personal_email: A personal email address for the personal profile.
            personal_phone: A personal phone number for the personal profile.
            gender: A ``gender_field`` dictionary entry id.
            employer: The person's employer.
            job_title: The person's job title.
            business_email: A business email address for the personal profile.
            business_phone: A business phone number for the personal profile.
            mail_pass_phrase: Whether to mail the pass phrase to ``email``.

        Raises:
            ValueError, TypeError: A bad argument (nothing is sent).
            RegistrationFailedError: The server refused fields (``.fields`` names them).
        """
        body = SignUpBody(
            pass_phrase=pass_phrase_arg(pass_phrase, "pass_phrase"),
            password=password_arg(password, "password"),
            email=non_empty(email, "email"),
            first_name=non_empty(first_name, "first_name"),
            last_name=non_empty(last_name, "last_name"),
            country=uuid_arg(country, "country"),
            middle_name=optional_str(middle_name, "middleName"),
            avatar=optional_str(avatar, "avatar"),
            personal_email=optional_str(personal_email, "personalEmail"),
            personal_phone=optional_str(personal_phone, "personalPhone"),
            employer=optional_str(employer, "employer"),
            job_title=optional_str(job_title, "jobTitle"),
            business_email=optional_str(business_email, "businessEmail"),
            business_phone=optional_str(business_phone, "businessPhone"),
            gender=None if gender is None else uuid_arg(gender, "gender"),
            mail_pass_phrase=flag(mail_pass_phrase, "mail_pass_phrase"),
        )
        await self._client.post("/signUp", json=body)

    async def sign_in(self, username: str, password: str) -> str:
        """
        Sign in (``POST /signIn``) and install the bearer token on the client.

        Args:
            username: The account's email address.
            password: The account's password.

        Returns:
            The bearer token (also set on the client's `BearerAuth`, created if needed).

        Raises:
            ValueError, TypeError: An empty or non-string argument (nothing is sent).
            UnauthorizedError: Invalid credentials.
        """
        body = SignInBody(
            username=password_arg(username, "username"),
            password=password_arg(password, "password"),
        )
        response = await self._client.request_raw("POST", "/signIn", json=body)
        client = self._client
        auth = client.auth if isinstance(client.auth, BearerAuth) else BearerAuth()
        token = auth.accept_sign_in(response)
        client.auth = auth
        return token

    async def sign_out(self) -> None:
        """
        Sign out (``GET /signOut``): the token is invalidated and cleared from the client.

        With a `BearerAuth` that holds no token there is nothing to invalidate, and nothing
        is sent (a `BearerAuth.with_credentials` would otherwise sign in just to sign out).
        """
        auth = self._client.auth
        if isinstance(auth, BearerAuth) and auth.token is None:
            return
        await self._client.request("GET", "/signOut")
        if isinstance(auth, BearerAuth):
            auth.token = None

    async def get(self) -> Account:
        """
        Get the signed-in account (``GET /account``).

        Returns:
            The `Account`.
        """
        return await self._client.get("/account", cast_to=Account)

    async def delete(self) -> None:
        """
        Delete the account and all its profiles (``DELETE /account``).
        """
        await self._client.delete("/account")

    async def request_password_reset(self, email: str) -> None:
        """
        Ask for a password-reset email (``GET /password/change?email=``).

        The server answers the same whether or not an account has that address.

        Args:
            email: The account's email address.

        Raises:
            ValueError, TypeError: An empty or non-string email (nothing is sent).
        """
        await self._client.get("/password/change", params={"email": non_empty(email, "email")})

    async def change_password(self, old_password: str, new_password: str) -> None:
        """
        Change the password (``GET /account/changePassword``, with a JSON body as the
        reference documents it).

        The server invalidates the account's bearer tokens: sign in again afterwards.

        Args:
            old_password: The current password.
            new_password: The password to set.

        Raises:
            ValueError, TypeError: An empty or non-string password (nothing is sent).
            AuthenticationFailedError: ``old_password`` is wrong.
        """
        body = PasswordChangeBody(
            old_password=password_arg(old_password, "old_password"),
            new_password=password_arg(new_password, "new_password"),
        )
        await self._client.request("GET", "/account/changePassword", json=body)
