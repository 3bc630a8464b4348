"""``dhis2w files resources|documents ...`` against the emulator."""

from __future__ import annotations

from pathlib import Path

from cli_helpers import UID_RE, Dhis2Runner, lines

from dhis2w.emulator import seed as S


def test_upload_prints_the_uid_alone(dhis2: Dhis2Runner, tmp_path: Path) -> None:
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.4 not really\n")
    result = dhis2("files", "resources", "upload", str(report), "--domain", "message_attachment")
    uid = result.stdout.strip()
    assert result.stdout == uid + "\n" and UID_RE.match(uid)
    data = dhis2.json("files", "resources", "get", uid)
    assert data["storageStatus"] == "STORED"
    assert data["domain"] == "MESSAGE_ATTACHMENT"
    assert data["name"] == "report.pdf"


def test_upload_no_wait_and_json(dhis2: Dhis2Runner, tmp_path: Path) -> None:
    f = tmp_path / "data.csv"
    f.write_bytes(b"a,b\n1,2\n")
    data = dhis2.json("files", "resources", "upload", str(f), "--no-wait", "--domain", "DOCUMENT")
    assert UID_RE.match(data["id"])
    assert data["domain"] == "DOCUMENT"
    assert data["storageStatus"] in {"PENDING", "STORED"}


def test_upload_missing_file_is_a_usage_error(dhis2: Dhis2Runner) -> None:
    result = dhis2("files", "resources", "upload", "no-such-file.pdf", code=2)
    assert "does not exist" in result.stderr


def test_get_table(dhis2: Dhis2Runner) -> None:
    out = dhis2("files", "resources", "get", S.FILE_STOCK_REPORT.uid).stdout
    for needle in (S.FILE_STOCK_REPORT.uid, S.FILE_STOCK_REPORT.name, "text/csv", "STORED"):
        assert needle in out


def test_download_to_cwd_to_path_and_to_stdout(
    dhis2: Dhis2Runner, isolated_env: Path, tmp_path: Path
) -> None:
    fr = S.FILE_LAB_RESULTS
    out = dhis2("files", "resources", "download", fr.uid).stdout.strip()
    assert out == fr.name
    assert (isolated_env / fr.name).read_bytes() == fr.content
    dest = tmp_path / "out.txt"
    assert dhis2.json("files", "resources", "download", fr.uid, str(dest))["path"] == str(dest)
    assert dest.read_bytes() == fr.content
    assert dhis2("files", "resources", "download", fr.uid, "-").stdout_bytes == fr.content


def test_documents_list_and_get(dhis2: Dhis2Runner) -> None:
    out = dhis2("files", "documents", "list").stdout
    header, *rows, footer = lines(out)
    assert "name" in header and "kind" in header
    assert {r.split()[0] for r in rows} == {d.uid for d in S.DOCUMENTS}
    assert footer.startswith("page 1 of 1")
    data = dhis2.json("files", "documents", "list")
    assert {d["id"] for d in data["documents"]} == {d.uid for d in S.DOCUMENTS}
    ext = next(d for d in S.DOCUMENTS if d.external)
    shown = dhis2("files", "documents", "get", ext.uid).stdout
    assert ext.url in shown and "external" in shown
    assert dhis2.json("files", "documents", "get", ext.uid)["url"] == ext.url


def test_documents_upload_download_add_url_delete(dhis2: Dhis2Runner, tmp_path: Path) -> None:
    f = tmp_path / "guide.txt"
    f.write_bytes(b"how to report\n")
    uid = dhis2("files", "documents", "upload", str(f), "--name", "Reporting guide").stdout.strip()
    assert UID_RE.match(uid)
    assert dhis2("files", "documents", "download", uid, "-").stdout_bytes == f.read_bytes()
    link = dhis2.json("files", "documents", "add-url", "DHIS2 docs", "https://docs.dhis2.org")
    assert link["external"] is True
    names = {d["name"] for d in dhis2.json("files", "documents", "list")["documents"]}
    assert {"Reporting guide", "DHIS2 docs"} <= names
    assert f"{uid}  deleted" in dhis2("files", "documents", "delete", uid).stdout
    assert dhis2.json("files", "documents", "delete", link["id"]) == {
        "id": link["id"],
        "deleted": True,
    }
    left = {d["id"] for d in dhis2.json("files", "documents", "list")["documents"]}
    assert uid not in left and link["id"] not in left
    dhis2("files", "documents", "get", uid, code=4)


def test_download_to_a_missing_directory_names_it_not_a_part_file(
    dhis2: Dhis2Runner, tmp_path: Path
) -> None:
    conv, msg = S.CONV_STOCK_OUT.uid, S.CONV_STOCK_OUT.messages[0].uid
    fr = S.FILE_STOCK_REPORT
    args = ("messaging", "attachment", "download", conv, msg, fr.uid)
    missing_dir = dhis2(*args, f"{tmp_path}/nowhere/", code=2)
    assert f"no such directory: {tmp_path}/nowhere/" in missing_dir.stderr
    assert ".part" not in missing_dir.stderr
    missing_parent = dhis2("files", "resources", "download", fr.uid, f"{tmp_path}/no/x.csv", code=2)
    assert f"no such directory {tmp_path}/no/" in missing_parent.stderr
    assert not (tmp_path / "nowhere").exists() and not (tmp_path / "no").exists()
