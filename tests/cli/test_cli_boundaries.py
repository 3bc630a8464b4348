"""Error messages at the command line's boundaries that used to mislead."""

from __future__ import annotations

from pathlib import Path

from cli_helpers import Dhis2Runner, single_error_line


def test_upload_dev_null_says_empty_not_missing(dhis2: Dhis2Runner) -> None:
    result = dhis2("files", "resources", "upload", "/dev/null", code=2)
    line = single_error_line(result)
    assert "/dev/null is empty" in line and "no such file" not in line


def test_latin1_on_stdin_says_not_utf8(dhis2: Dhis2Runner) -> None:
    result = dhis2(
        "messaging", "send", "Subject", "-", "--user", "admin", input=b"caf\xe9\n", code=2
    )
    line = single_error_line(result)
    assert "not UTF-8" in line and "0xE9" in line and "surrogate" not in line


def test_max_size_raises_dhis2ws_limit(dhis2: Dhis2Runner, tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    big.write_bytes(b"a,b\n" * 2_600_000)  # 10.4 MB: over the default limit
    refused = single_error_line(dhis2("files", "resources", "upload", str(big), code=2))
    assert "dhis2w's upload limit of 10,000,000 bytes" in refused and "--max-size" in refused
    # Raised, the upload goes out: the emulator's own 10 MB limit (DHIS2's default
    # max.upload.size) answers this time, with the server's message.
    raised = dhis2("files", "resources", "upload", str(big), "--max-size", "20000000", code=1)
    assert "HTTP 409" in raised.stderr and "File size can't be bigger" in raised.stderr


def test_upload_default_domain_is_message_attachment(dhis2: Dhis2Runner, tmp_path: Path) -> None:
    small = tmp_path / "s.csv"
    small.write_bytes(b"a,b\n")
    uid = dhis2("files", "resources", "upload", str(small), "--max-size", "100").stdout.strip()
    assert dhis2.json("files", "resources", "get", uid)["domain"] == "MESSAGE_ATTACHMENT"


def test_url_without_host_is_named(dhis2: Dhis2Runner) -> None:
    result = dhis2("system", "me", env={"DHIS2_URL": "http://"}, code=2)
    line = single_error_line(result)
    assert "(this profile)" not in line and "host" in line


def test_documents_upload_takes_max_size(dhis2: Dhis2Runner, tmp_path: Path) -> None:
    doc = tmp_path / "notes.txt"
    doc.write_bytes(b"0123456789")
    refused = dhis2("files", "documents", "upload", str(doc), "--max-size", "5", code=2)
    assert "dhis2w's upload limit of 5 bytes" in single_error_line(refused)
    uid = dhis2("files", "documents", "upload", str(doc), "--max-size", "50").stdout.strip()
    assert dhis2.json("files", "documents", "get", uid)["name"] == "notes.txt"


def test_send_attach_takes_max_size(dhis2: Dhis2Runner, tmp_path: Path) -> None:
    """``messaging send --attach`` uploads under the same limit as ``files resources upload``,
    raised with ``--max-size`` (before, only the upload commands could raise it)."""
    note = tmp_path / "note.txt"
    note.write_bytes(b"0123456789")
    refused = dhis2(
        "messaging", "send", "S", "T", "-u", "admin", "--attach", str(note), "--max-size", "5",
        code=2,
    )  # fmt: skip
    assert "dhis2w's upload limit of 5 bytes" in single_error_line(refused)
    sent = dhis2.json(
        "messaging", "send", "S", "T", "-u", "admin", "--attach", str(note), "--max-size", "50"
    )
    (message,) = sent["messages"]
    assert [a["name"] for a in message["attachments"]] == ["note.txt"]
