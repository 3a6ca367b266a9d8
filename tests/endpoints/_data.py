"""
Realistic ids and response bodies shared by the endpoint tests.
"""

from __future__ import annotations

from typing import Any

BASE_URL = "https://api.onlyonce.test/v2/"

P1 = "604c8f4d-4f2a-40a8-b918-0e945a0ce11e"
P2 = "291d2906-2509-4112-ba09-40af62f00dc4"
CARD = "35a21c76-018d-470a-ba0f-c8cdd6054267"
CARD2 = "5b1c4d0e-2f3a-4b5c-9d8e-7f6a5b4c3d2e"
FIELD = "0f8e1b52-8d3e-4f47-9b2a-6c1d2e3f4a5b"
FIELD2 = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
NOTE = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
REQUEST = "9b2e4f10-3c5d-4e6f-8a7b-1c2d3e4f5a6b"
FILE = "c56a4180-65aa-42ec-a945-5fd21dec0538"
COUNTRY = "64a26eb4-7e0d-43e0-a993-1b1535da1d63"
GENDER = "c5e1dc28-f0f8-4f72-9a2a-1ff20ece7eef"
LEGAL = "a2fadfd9-db52-45f9-b853-5f0f0e2fc36f"
ACCOUNT_ID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
ACTIVITY = "16fd2706-8baf-433b-82eb-8c7fada847da"

PROFILE_BODY: dict[str, Any] = {
    "id": P1,
    "onlyonceId": 1446,
    "name": "Alice Apideveloper",
    "viewsCount": 0,
    "incomingSharesCount": 2,
    "outgoingSharesCount": 1,
    "type": "PERSONAL",
    "createdDate": "2016-09-04T20:38:50.605",
    "publicCardId": CARD,
    "connectedDate": "2016-07-20T18:39:01.706",
    "lastModifyDate": "2016-07-20T18:39:01.7",
    "flexWorkerInfo": {"categories": ["IT"], "availableFromDate": "2016-07-20T18:39:01"},
    "bookmarked": True,
    "connected": False,
    "tags": [{"ownerId": P2, "targetId": P1, "tag": "colleague"}],
    "somethingNew": {"ignored": True},
}

PROFILE2_BODY: dict[str, Any] = {
    "id": P2,
    "onlyonceId": 1447,
    "name": "Bob",
    "type": "ORGANIZATION",
    "publicCardId": CARD2,
    "viewsCount": 3,
    "incomingSharesCount": 0,
    "outgoingSharesCount": 0,
}

SHARE_REQUEST_BODY: dict[str, Any] = {
    "id": REQUEST,
    "sender": PROFILE_BODY,
    "cardId": CARD,
    "recipient": PROFILE2_BODY,
    "status": "PENDING",
    "connected": False,
    "requested": "2016-06-09T04:10:16.787",
    "completed": None,
}


def page(*items: Any, last: bool = True) -> dict[str, Any]:
    """A paginated response body holding ``items``."""
    return {"last": last, "total": len(items), "content": list(items)}
