"""Port of DHIS2's ``MessageConversationControllerTest`` (2.42).

Source: dhis2/dhis2-core, branch 2.42,
dhis-2/dhis-test-web-api/src/test/java/org/hisp/dhis/webapi/controller/
MessageConversationControllerTest.java. One test per Java test, same name, same assertions.

Fixtures: the Java tests run as the superuser ``admin`` and create users on the fly
(``switchToNewUser("ringo")``: a user with no authorities who takes part in nothing); the
emulator has no user-creation endpoint, so the seeded ``isatu`` (no special authority, not a
participant of the conversations created here) plays ringo, and ``fatmata``, a seeded member
of the feedback-recipient group, plays the ringo the Java test puts in that group.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from dhis2_test_api import DELETE, POST, assert_status, assert_web_message, content

from dhis2w.emulator import seed

ADMIN_UID = seed.ADMIN.uid
NEW_CONVERSATION = "{'subject':'Subject','text':'Text','users':[{'id':'" + ADMIN_UID + "'}]}"


@pytest.fixture
def ringo(as_user: Callable[..., httpx.Client]) -> httpx.Client:
    """``switchToNewUser("ringo")``: a user with no authorities (seeded ``isatu``)."""
    return as_user("isatu")


def _created(admin: httpx.Client) -> str:
    uid = assert_status(201, POST(admin, "/messageConversations/", NEW_CONVERSATION))
    assert uid is not None
    return uid


def testPostJsonObject(admin: httpx.Client) -> None:
    assert_web_message(
        "Created",
        201,
        "OK",
        "Message conversation created",
        content(POST(admin, "/messageConversations/", NEW_CONVERSATION), 201),
    )


def testPostJsonObject_MissingProperty(admin: httpx.Client) -> None:
    assert_web_message(
        "Conflict",
        409,
        "ERROR",
        "No recipients selected.",
        content(
            POST(admin, "/messageConversations/", "{'subject':'Subject','text':'Text','users':[]}"),
            409,
        ),
    )


def testDeleteObject(admin: httpx.Client) -> None:
    uid = _created(admin)
    assert_web_message(
        "OK", 200, "OK", None, content(DELETE(admin, "/messageConversations/" + uid), 200)
    )


def testPostMessageConversationReply(admin: httpx.Client) -> None:
    uid = _created(admin)
    assert_web_message(
        "Created",
        201,
        "OK",
        "Message conversation created",
        content(POST(admin, "/messageConversations/" + uid, "The message"), 201),
    )


def testPostMessageConversationReply_NoSuchObject(admin: httpx.Client) -> None:
    assert_web_message(
        "Not Found",
        404,
        "ERROR",
        "Message conversation does not exist: xyz",
        content(POST(admin, "/messageConversations/xyz", "The message"), 404),
    )


def testPostMessageConversationReply_NoSuchAttachment(admin: httpx.Client) -> None:
    uid = _created(admin)
    assert_web_message(
        "Conflict",
        409,
        "ERROR",
        "Attachment 'xyz' not found.",
        content(
            POST(admin, "/messageConversations/" + uid + "?attachments=xyz", "The message"), 409
        ),
    )


def testPostMessageConversationFeedback(admin: httpx.Client) -> None:
    assert_web_message(
        "Created",
        201,
        "OK",
        "Feedback created",
        content(POST(admin, "/messageConversations/feedback?subject=test", "The message"), 201),
    )


def testChangeFeedbackMessage(admin: httpx.Client, as_user: Callable[..., httpx.Client]) -> None:
    """Change feedback message when in the recipient group."""
    uid = assert_status(
        201, POST(admin, "/messageConversations/feedback?subject=test", "The message")
    )
    in_group = as_user("fatmata")  # seeded member of the feedback-recipient group
    content(
        POST(in_group, f"/messageConversations/read?user={seed.FATMATA.uid}", f"['{uid}']"), 200
    )


def testChangeFeedbackMessageWithoutPermission(admin: httpx.Client, ringo: httpx.Client) -> None:
    """Change feedback message when not in the recipient group."""
    uid = assert_status(
        201, POST(admin, "/messageConversations/feedback?subject=test", "The message")
    )
    content(POST(ringo, f"/messageConversations/read?user={seed.ISATU.uid}", f"['{uid}']"), 403)


def testPostToConversationWithoutPermission(admin: httpx.Client, ringo: httpx.Client) -> None:
    """Post message to conversation without permission."""
    uid = _created(admin)
    assert_web_message(
        "Forbidden",
        403,
        "ERROR",
        "Not authorized to send messages to this conversation.",
        content(POST(ringo, f"/messageConversations/{uid}", "{'text':'text'}"), 403),
    )


RECIPIENTS_BODY = (
    "{'users':[{'id':'" + seed.ISATU.uid + "'}],'userGroups':[],'organisationUnits':[]}"
)


def testAddRecipientWithoutPermission(admin: httpx.Client, ringo: httpx.Client) -> None:
    """Add recipient without permission."""
    uid = _created(admin)
    assert_web_message(
        "Forbidden",
        403,
        "ERROR",
        "Not authorized to change recipients in this conversation.",
        content(POST(ringo, f"/messageConversations/{uid}/recipients", RECIPIENTS_BODY), 403),
    )


def testChangePriorityWithoutPermission(admin: httpx.Client, ringo: httpx.Client) -> None:
    """Change priority without permission."""
    uid = _created(admin)
    url = f"/messageConversations/{uid}/priority?messageConversationPriority=HIGH"
    assert_web_message(
        "Forbidden",
        403,
        "ERROR",
        "Not authorized to change priority in this conversation.",
        content(POST(ringo, url, RECIPIENTS_BODY), 403),
    )


def testChangeStatusWithoutPermission(admin: httpx.Client, ringo: httpx.Client) -> None:
    """Change status without permission."""
    uid = _created(admin)
    url = f"/messageConversations/{uid}/status?messageConversationStatus=SOLVED"
    assert_web_message(
        "Forbidden",
        403,
        "ERROR",
        "Not authorized to change status in this conversation.",
        content(POST(ringo, url, RECIPIENTS_BODY), 403),
    )


def testAssignUsersWithoutPermission(admin: httpx.Client, ringo: httpx.Client) -> None:
    """Assign user without permission."""
    uid = _created(admin)
    url = f"/messageConversations/{uid}/assign?userId={seed.ISATU.uid}"
    assert_web_message(
        "Forbidden",
        403,
        "ERROR",
        "Not authorized to assign a user to this conversation.",
        content(POST(ringo, url, RECIPIENTS_BODY), 403),
    )


def testDeleteAssignUsersWithoutPermission(admin: httpx.Client, ringo: httpx.Client) -> None:
    """Delete assigned user without permission."""
    uid = _created(admin)
    assert_web_message(
        "Forbidden",
        403,
        "ERROR",
        "Not authorized to remove the assigned user to this conversation.",
        content(DELETE(ringo, f"/messageConversations/{uid}/assign", RECIPIENTS_BODY), 403),
    )


def testChangeFollowupWithoutPermission(admin: httpx.Client, ringo: httpx.Client) -> None:
    """Change followup without permission."""
    uid = _created(admin)
    assert_web_message(
        "Forbidden",
        403,
        "ERROR",
        "Not authorized to change followups in this conversation.",
        content(
            POST(ringo, f"/messageConversations/followup?userUid={seed.ISATU.uid}", f"['{uid}']"),
            403,
        ),
    )


def testChangeUnFollowupWithoutPermission(admin: httpx.Client, ringo: httpx.Client) -> None:
    """Change unfollowup without permission."""
    uid = _created(admin)
    assert_web_message(
        "Forbidden",
        403,
        "ERROR",
        "Not authorized to change unfollowups in this conversation.",
        content(
            POST(ringo, f"/messageConversations/unfollowup?userUid={seed.ISATU.uid}", f"['{uid}']"),
            403,
        ),
    )


def testRemoveUserWithoutPermission(admin: httpx.Client, ringo: httpx.Client) -> None:
    """Remove user from conversation without permission."""
    uid = _created(admin)
    assert_web_message(
        "Forbidden",
        403,
        "ERROR",
        "Not authorized to remove assigned users to this conversation.",
        content(DELETE(ringo, f"/messageConversations/{uid}/{ADMIN_UID}"), 403),
    )


def testRemoveUsersBatchWithoutPermission(admin: httpx.Client, ringo: httpx.Client) -> None:
    """Remove user from conversation without permission."""
    uid = _created(admin)
    assert_web_message(
        "Forbidden",
        403,
        "ERROR",
        "Not authorized to remove assigned users to this conversation.",
        content(DELETE(ringo, f"/messageConversations?mc={uid}&user={ADMIN_UID}"), 403),
    )


def testChangeReadStatusWithoutPermission(admin: httpx.Client, ringo: httpx.Client) -> None:
    """Change read status without permission."""
    uid = _created(admin)
    assert_web_message(
        "Forbidden",
        403,
        "ERROR",
        "Not authorized to change read property of this conversation.",
        content(
            POST(ringo, f"/messageConversations/read?user={seed.ISATU.uid}", f"['{uid}']"), 403
        ),
    )
