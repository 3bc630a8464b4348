"""The seed examples of the issue, run in order as one script (README: "From the shell")."""

from __future__ import annotations

from pathlib import Path

from cli_helpers import UID_RE, Dhis2Runner, lines

from dhis2w.emulator import seed as S


def test_seed_scenario(dhis2: Dhis2Runner, tmp_path: Path) -> None:
    # dhis2w messaging send "Pilot rollout" "Please review the attached plan." --user .. --user ..
    pilot = dhis2(
        "messaging",
        "send",
        "Pilot rollout",
        "Please review the attached plan.",
        "--user",
        S.FATMATA.uid,
        "--user",
        S.IBRAHIM.uid,
    ).stdout.strip()
    assert UID_RE.match(pilot)

    # dhis2w files resources upload report.pdf --domain MESSAGE_ATTACHMENT
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.4\n% the latest numbers\n")
    fr = dhis2(
        "files", "resources", "upload", str(report), "--domain", "MESSAGE_ATTACHMENT"
    ).stdout.strip()
    assert UID_RE.match(fr)

    # dhis2w messaging send "Report" "latest numbers" --user .. --attachment <fr-uid>
    sent = dhis2(
        "messaging", "send", "Report", "latest numbers", "--user", S.FATMATA.uid, "--attachment", fr
    ).stdout.strip()
    assert dhis2.json("messaging", "get", sent)["messages"][0]["attachments"][0]["id"] == fr

    # dhis2w messaging reply <conversation-uid> "thanks — reviewed"
    assert "replied to" in dhis2("messaging", "reply", pilot, "thanks — reviewed").stdout

    # dhis2w messaging list
    table = dhis2("messaging", "list").stdout
    assert "Pilot rollout" in table and "Report" in table
    assert lines(table)[-1].startswith("page 1 of 1, total ")

    # dhis2w messaging list --filter "read:eq:false"
    dhis2("messaging", "list", "--filter", "read:eq:false")

    # dhis2w --json messaging list
    page = dhis2.json("messaging", "list")
    assert {pilot, sent} <= {c["id"] for c in page["messageConversations"]}

    # dhis2w messaging mark-unread <uid> [<uid> ...]  /  mark-read
    assert "marked unread" in dhis2("messaging", "mark-unread", pilot, sent).stdout
    unread = dhis2.json("messaging", "list", "--filter", "read:eq:false")
    assert {pilot, sent} <= {c["id"] for c in unread["messageConversations"]}
    assert "marked read" in dhis2("messaging", "mark-read", pilot, sent).stdout

    # dhis2w messaging delete <uid>
    assert "removed from your inbox" in dhis2("messaging", "delete", sent).stdout
    left = dhis2.json("messaging", "list")["messageConversations"]
    assert sent not in {c["id"] for c in left}
