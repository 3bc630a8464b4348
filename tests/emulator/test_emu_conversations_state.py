# ruff: noqa: E501
"""Per-user state and ticket workflow: read, followup, priority, status, assign, delete (dhis2-api.md §1)."""

from __future__ import annotations

import httpx
from emu_helpers import send, wm

from dhis2w.emulator import seed

MC = "/api/messageConversations"


def test_bulk_read_lists_only_changed(admin: httpx.Client) -> None:
    """dhis2-api.md §1 read: {"markedRead": [uids actually changed]}; already-read omitted."""
    unread, read = seed.CONV_IDSR_WEEKLY.uid, seed.CONV_STOCK_OUT.uid
    r = admin.post(f"{MC}/read", json=[unread, read])
    assert r.status_code == 200 and r.json() == {"markedRead": [unread]}


def test_bulk_unread(admin: httpx.Client) -> None:
    """dhis2-api.md §1 unread: {"markedUnread": [...]}."""
    assert admin.post(f"{MC}/unread", json=[seed.CONV_STOCK_OUT.uid]).json() == {
        "markedUnread": [seed.CONV_STOCK_OUT.uid]
    }


def test_read_unknown_ids_404_rootnode(admin: httpx.Client) -> None:
    """dhis2-api.md §1 read: none exist -> 404 RootNode {"message": ...} (not a WebMessage)."""
    r = admin.post(f"{MC}/read", json=["Abcdefghij1"])
    assert r.status_code == 404 and r.json() == {
        "message": "No MessageConversations found for the given IDs."
    }


def test_read_unknown_user_404(admin: httpx.Client) -> None:
    """dhis2-api.md §1 read: unknown ?user -> 404 {"message": "No user with uid: X"}."""
    r = admin.post(f"{MC}/read", params={"user": "Nouser00001"}, json=[seed.CONV_STOCK_OUT.uid])
    assert r.status_code == 404 and r.json() == {"message": "No user with uid: Nouser00001"}


def test_read_no_access_403(as_user) -> None:  # type: ignore[no-untyped-def]
    """dhis2-api.md §1 read: no access -> 403 "Not authorized to change read property of this conversation."."""
    r = as_user("ibrahim").post(f"{MC}/read", json=[seed.CONV_CHOLERA_ALERT.uid])
    assert r.status_code == 403
    assert r.json() == wm(
        403, "Not authorized to change read property of this conversation.", "E1006"
    )


def test_per_uid_read_user_uid_param(admin: httpx.Client) -> None:
    """dhis2-api.md §1: POST /{uid}/read and /unread take userUid."""
    uid = seed.CONV_STOCK_OUT.uid
    r = admin.post(f"{MC}/{uid}/unread", params={"userUid": seed.FATMATA.uid})
    assert r.json() == {"markedUnread": [uid]}
    assert admin.post(f"{MC}/{uid}/read").json() == {"markedRead": []}


def test_read_state_is_per_user(as_user) -> None:  # type: ignore[no-untyped-def]
    """dhis2-api.md §2: read is per user; one user marking read leaves the other unread."""
    admin, fatmata = as_user("admin"), as_user("fatmata")
    uid = send(admin, [seed.FATMATA.uid, seed.ISATU.uid])
    fatmata.post(f"{MC}/read", json=[uid])
    assert as_user("isatu").get(f"{MC}/{uid}", params={"fields": "read"}).json() == {"read": False}
    assert fatmata.get(f"{MC}/{uid}", params={"fields": "read"}).json() == {"read": True}


def test_followup_lists_all_found(admin: httpx.Client) -> None:
    """dhis2-api.md §1 followup: {"markedFollowup": [...]} lists every found uid, even unchanged."""
    uid = seed.CONV_LAB_RESULTS.uid  # already followUp for admin
    assert admin.post(f"{MC}/followup", json=[uid]).json() == {"markedFollowup": [uid]}
    assert admin.post(f"{MC}/unfollowup", json=[uid]).json() == {"unmarkedFollowup": [uid]}
    assert admin.get(f"{MC}/{uid}", params={"fields": "followUp"}).json() == {"followUp": False}


def test_followup_errors(as_user) -> None:  # type: ignore[no-untyped-def]
    """dhis2-api.md §1 followup: 404 text without period; 403 texts for followups/unfollowups."""
    r = as_user("admin").post(f"{MC}/followup", json=["Abcdefghij1"])
    assert r.status_code == 404 and r.json() == {
        "message": "No MessageConversations found for the given UIDs"
    }
    ib = as_user("ibrahim")
    r = ib.post(f"{MC}/followup", json=[seed.CONV_CHOLERA_ALERT.uid])
    assert (
        r.status_code == 403
        and r.json()["message"] == "Not authorized to change followups in this conversation."
    )
    r = ib.post(f"{MC}/unfollowup", json=[seed.CONV_CHOLERA_ALERT.uid])
    assert r.json()["message"] == "Not authorized to change unfollowups in this conversation."


def test_priority(admin: httpx.Client) -> None:
    """dhis2-api.md §1 priority: 200 {"HIGH": ["uid"]}."""
    uid = seed.CONV_STOCK_OUT.uid
    r = admin.post(f"{MC}/{uid}/priority", params={"messageConversationPriority": "HIGH"})
    assert r.status_code == 200 and r.json() == {"HIGH": [uid]}
    assert admin.get(f"{MC}/{uid}", params={"fields": "priority"}).json() == {"priority": "HIGH"}


def test_priority_bad_enum_400(admin: httpx.Client) -> None:
    """dhis2-api.md §0: bad enum -> 400 "Value 'X' is not valid for parameter p. Valid values are: [..]"."""
    r = admin.post(
        f"{MC}/{seed.CONV_STOCK_OUT.uid}/priority", params={"messageConversationPriority": "URGENT"}
    )
    assert r.status_code == 400
    assert (
        r.json()["message"]
        == "Value 'URGENT' is not valid for parameter messageConversationPriority. Valid values are: [NONE, LOW, MEDIUM, HIGH]"
    )


def test_priority_not_found_and_forbidden(as_user) -> None:  # type: ignore[no-untyped-def]
    """dhis2-api.md §1 priority: 404 RootNode; 403 "Not authorized to change priority in this conversation."."""
    r = as_user("admin").post(
        f"{MC}/Abcdefghij1/priority", params={"messageConversationPriority": "LOW"}
    )
    assert r.status_code == 404 and r.json() == {
        "message": "No MessageConversation found for the given ID."
    }
    r = as_user("ibrahim").post(
        f"{MC}/{seed.CONV_CHOLERA_ALERT.uid}/priority",
        params={"messageConversationPriority": "LOW"},
    )
    assert (
        r.status_code == 403
        and r.json()["message"] == "Not authorized to change priority in this conversation."
    )


def test_status(as_user) -> None:  # type: ignore[no-untyped-def]
    """dhis2-api.md §1 status: {"SOLVED": [uid]}; a feedback manager may modify any ticket."""
    uid = seed.CONV_TICKET_DHIS2_LOGIN.uid
    r = as_user("admin").post(f"{MC}/{uid}/status", params={"messageConversationStatus": "SOLVED"})
    assert r.json() == {"SOLVED": [uid]}
    r = as_user("ibrahim").post(
        f"{MC}/{seed.CONV_CHOLERA_ALERT.uid}/status", params={"messageConversationStatus": "OPEN"}
    )
    assert (
        r.status_code == 403
        and r.json()["message"] == "Not authorized to change status in this conversation."
    )


def test_assign_and_unassign(admin: httpx.Client) -> None:
    """dhis2-api.md §1 assign: "User <name> was assigned successfully"; unassign text."""
    uid = seed.CONV_TICKET_SOLVED.uid
    r = admin.post(f"{MC}/{uid}/assign", params={"userId": seed.FATMATA.uid})
    assert r.status_code == 200 and r.json() == {
        "message": "User Fatmata Kamara was assigned successfully"
    }
    assert admin.get(f"{MC}/{uid}", params={"fields": "assignee[id]"}).json() == {
        "assignee": {"id": seed.FATMATA.uid}
    }
    r = admin.delete(f"{MC}/{uid}/assign")
    assert r.json() == {"message": "Message is no longer assigned to user"}
    assert admin.get(f"{MC}/{uid}", params={"fields": "assignee"}).json() == {}


def test_assign_errors(admin: httpx.Client) -> None:
    """dhis2-api.md §1 assign: unknown user 404; non-feedback-group assignee on a TICKET 409."""
    uid = seed.CONV_TICKET_SOLVED.uid
    r = admin.post(f"{MC}/{uid}/assign", params={"userId": "Nouser00001"})
    assert r.status_code == 404 and r.json() == {"message": "Could not find user to assign"}
    r = admin.post(f"{MC}/{uid}/assign", params={"userId": seed.ISATU.uid})
    assert r.status_code == 409
    assert r.json() == {
        "message": "User provided is not a member of the system's feedback recipient group"
    }


def test_hard_delete_superuser(admin: httpx.Client) -> None:
    """dhis2-api.md §1 DELETE /{uid}: hard delete -> 200 ObjectReport; gone for everyone."""
    uid = send(admin, [seed.FATMATA.uid])
    r = admin.delete(f"{MC}/{uid}")
    assert r.status_code == 200
    assert r.json() == {
        "httpStatus": "OK",
        "httpStatusCode": 200,
        "status": "OK",
        "response": {
            "responseType": "ObjectReport",
            "uid": uid,
            "klass": "org.hisp.dhis.message.MessageConversation",
            "errorReports": [],
        },
    }
    assert admin.get(f"{MC}/{uid}").json() == {
        "message": f"No MessageConversation found with UID: {uid}"
    }


def test_hard_delete_needs_authority(as_user) -> None:  # type: ignore[no-untyped-def]
    """dhis2-api.md §1 DELETE /{uid}: without ALL/F_METADATA_IMPORT -> 403 authority text."""
    r = as_user("fatmata").delete(f"{MC}/{seed.CONV_STOCK_OUT.uid}")
    assert r.status_code == 403
    assert r.json() == wm(403, "Access is denied, requires one Authority from [F_METADATA_IMPORT]")


def test_hard_delete_metadata_import_not_participant(as_user) -> None:  # type: ignore[no-untyped-def]
    """dhis2-api.md §1 DELETE /{uid}: F_METADATA_IMPORT but no access -> 403; unknown -> 404."""
    aminata = as_user("aminata")
    r = aminata.delete(f"{MC}/{seed.CONV_STOCK_OUT.uid}")
    assert (
        r.status_code == 403
        and r.json()["message"] == "Not authorized to delete this conversation."
    )
    r = aminata.delete(f"{MC}/Abcdefghij1")
    assert (
        r.status_code == 404
        and r.json()["message"] == "Message conversation does not exist: Abcdefghij1"
    )


def test_soft_delete_removes_only_for_user(as_user) -> None:  # type: ignore[no-untyped-def]
    """dhis2-api.md §1 DELETE /{mc}/{user}: {"removed": [mcUid]}; the other participant keeps it."""
    admin, fatmata = as_user("admin"), as_user("fatmata")
    uid = send(admin, [seed.FATMATA.uid])
    r = fatmata.delete(f"{MC}/{uid}/{seed.FATMATA.uid}")
    assert r.status_code == 200 and r.json() == {"removed": [uid]}
    mine = [
        c["id"] for c in fatmata.get(MC, params={"paging": "false"}).json()["messageConversations"]
    ]
    assert uid not in mine
    theirs = [
        c["id"] for c in admin.get(MC, params={"paging": "false"}).json()["messageConversations"]
    ]
    assert uid in theirs
    # [] when the user is no longer a participant (asked by someone with access) ...
    assert admin.delete(f"{MC}/{uid}/{seed.FATMATA.uid}").json() == {"removed": []}
    # ... while fatmata herself has lost access to it: 403 (2.42 source, BUGS.md E12)
    r = fatmata.delete(f"{MC}/{uid}/{seed.FATMATA.uid}")
    assert r.status_code == 403
    assert r.json() == wm(
        403, "Not authorized to remove assigned users to this conversation.", "E1006"
    )


def test_soft_delete_errors(as_user) -> None:  # type: ignore[no-untyped-def]
    """dhis2-api.md §1 DELETE /{mc}/{user}: 404 RootNode texts; 403 without access to the conversation."""
    fatmata = as_user("fatmata")
    r = fatmata.delete(f"{MC}/{seed.CONV_STOCK_OUT.uid}/Nouser00001")
    assert r.status_code == 404 and r.json() == {"message": "No user with uid: Nouser00001"}
    r = fatmata.delete(f"{MC}/Abcdefghij1/{seed.FATMATA.uid}")
    assert r.status_code == 404 and r.json() == {
        "message": "No messageConversation with uid: Abcdefghij1"
    }
    r = fatmata.delete(f"{MC}/{seed.CONV_CHOLERA_ALERT.uid}/{seed.EMMANUEL.uid}")
    assert (
        r.status_code == 403
        and r.json()["message"] == "Not authorized to remove assigned users to this conversation."
    )


def test_soft_delete_of_another_participant(as_user) -> None:  # type: ignore[no-untyped-def]
    """2.42 source (BUGS.md E12): only the caller's access counts, so a participant may remove
    another participant; the read/follow-up ``user`` parameters work the same way."""
    fatmata, ibrahim = as_user("fatmata"), as_user("ibrahim")
    uid = seed.CONV_STOCK_OUT.uid
    r = fatmata.post(f"{MC}/followup", params={"user": seed.IBRAHIM.uid}, json=[uid])
    assert r.json() == {"markedFollowup": [uid]}
    assert ibrahim.get(f"{MC}/{uid}", params={"fields": "followUp"}).json() == {"followUp": True}
    r = fatmata.delete(f"{MC}/{uid}/{seed.IBRAHIM.uid}")
    assert r.status_code == 200 and r.json() == {"removed": [uid]}
    r = ibrahim.get(f"{MC}/{uid}")
    assert r.status_code == 403


def test_bulk_soft_delete(as_user) -> None:  # type: ignore[no-untyped-def]
    """dhis2-api.md §1 DELETE ?mc=..&user=..: {"removed": [...]} only those removed; errors as RootNode.

    One conversation the caller has no access to refuses the whole request before anything
    is removed (2.42 source, BUGS.md E12)."""
    admin, fatmata = as_user("admin"), as_user("fatmata")
    a, b = send(admin, [seed.FATMATA.uid]), send(admin, [seed.ISATU.uid])
    r = fatmata.delete(MC, params=[("mc", a), ("mc", b), ("user", seed.FATMATA.uid)])
    assert r.status_code == 403
    assert r.json() == wm(
        403, "Not authorized to remove assigned users to this conversation.", "E1006"
    )
    r = fatmata.delete(MC, params=[("mc", a), ("mc", seed.CONV_STOCK_OUT.uid)])
    assert r.json() == {"removed": [a, seed.CONV_STOCK_OUT.uid]}
    assert admin.delete(MC, params=[("mc", a), ("mc", b)]).json() == {"removed": [a, b]}
    assert admin.delete(MC, params=[("mc", a)]).json() == {"removed": []}
    r = admin.delete(MC, params=[("mc", "Abcdefghij1")])
    assert r.status_code == 404 and r.json() == {
        "message": "No MessageConversations found for the given UIDs."
    }
    r = admin.delete(MC, params=[("mc", a), ("user", "Nouser00001")])
    assert r.status_code == 404 and r.json() == {"message": "User does not exist: Nouser00001"}
