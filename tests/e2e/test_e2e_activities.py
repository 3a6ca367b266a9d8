"""
End-to-end: ``client.activities`` against the sandbox.
"""

from __future__ import annotations

import pytest

from onlyonce_async import AccessDeniedError, ActivityType, Client, FieldValue
from onlyonce_async.testing import SandboxUser

pytestmark = pytest.mark.anyio


async def test_account_activities(alice_client: Client) -> None:
    """The ACCOUNT scope lists the sign-in, newest first."""
    activities = [a async for a in alice_client.activities.list(scope="ACCOUNT")]
    assert activities
    assert {a.activity_type for a in activities} == {ActivityType.ACCOUNT}
    assert activities[0].action_name == "SIGN_IN"
    assert activities[0].arguments is not None


async def test_pds_mutations_of_a_profile(alice_client: Client, alice: SandboxUser) -> None:
    """Adding a field is logged as a PDS mutation of the profile, paginated."""
    for name in ("a_field", "b_field", "c_field"):
        await alice_client.datastore.add_fields(
            alice.profile_id, [FieldValue(definition_name=name, value="v")]
        )
    found = alice_client.activities.list(
        scope="PDS_MUTATIONS", profile_id=alice.profile_id, page_size=2
    )
    items = [a async for a in found]
    assert [a.arguments.fields_added for a in items if a.arguments] == [
        ["c_field"],
        ["b_field"],
        ["a_field"],
    ]
    assert {a.source_id for a in items} == {alice.profile_id}
    assert {a.activity_type for a in items} == {ActivityType.PDS_MUTATIONS}


async def test_activities_of_another_accounts_profile(
    alice_client: Client, bob: SandboxUser
) -> None:
    """Another account's profile raises AccessDeniedError; no profile raises ValueError."""
    with pytest.raises(AccessDeniedError):
        await alice_client.activities.list(scope="PROFILE", profile_id=bob.profile_id).collect()
    with pytest.raises(ValueError, match="profile_id"):
        alice_client.activities.list(scope="PROFILE")
