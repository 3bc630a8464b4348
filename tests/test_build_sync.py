"""build_sync.py: unasync underneath, and what the script adds around it.

Prose mapping, anyio marks, refused leftovers (forbidden tokens, an unmapped ``Async`` name
that unasync would quietly turn into ``Sync...``), ``--check`` naming stale, missing and
orphan files, the raw (ruff-free) build output having the committed AST, and the archive
comparison CI runs on built wheels and sdists.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load_build_sync() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_sync", ROOT / "build_sync.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_sync = _load_build_sync()


def sync_of(source: str) -> str:
    return str(build_sync.unasync_source(textwrap.dedent(source)))


def test_code_is_rewritten_by_unasync_with_our_names() -> None:
    out = sync_of(
        """
        async def fetch(client: AsyncClient) -> None:
            async with client:
                async for item in client.messaging.iter_conversations():
                    await client.aclose()
        """
    )
    assert "def fetch(client: Client) -> None:" in out
    assert "    with client:" in out
    assert "for item in client.messaging.iter_conversations():" in out
    assert "client.close()" in out
    assert "async" not in out and "await" not in out


def test_docstrings_strings_and_comments_get_the_same_words() -> None:
    out = sync_of(
        '''
        def f() -> None:
            """Use ``async with AsyncClient(p)`` then ``await client.aclose()``."""
            message = "call aiter_bytes() on the AsyncByteStream"  # see AsyncClient.aclose
        '''
    )
    assert '"""Use ``with Client(p)`` then ``client.close()``."""' in out
    assert '"call iter_bytes() on the SyncByteStream"' in out
    assert "# see Client.close" in out


def test_anyio_marks_are_removed() -> None:
    out = sync_of(
        """
        import pytest

        pytestmark = pytest.mark.anyio


        @pytest.mark.anyio
        async def test_x() -> None:
            pass
        """
    )
    assert "anyio" not in out
    assert "def test_x() -> None:" in out


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("source", "refusal"),
    [
        ("import anyio\n", "still contains anyio"),
        ('WORD = "await"\n', "still contains await"),
        ("class AsyncWidget:\n    pass\n", "unmapped name 'SyncWidget', unasync's default for"),
        ("from x import AsyncThing\n", "unmapped name 'SyncThing'"),
    ],
)
def test_leftovers_are_refused(tmp_path: Path, source: str, refusal: str) -> None:
    root = _tree(tmp_path, {"dhis2w/_async/mod.py": source})
    with pytest.raises(build_sync.BuildError, match=refusal):
        build_sync.generate(root, formatted=False)


def test_the_build_output_needs_no_ruff_and_has_the_committed_ast(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_ruff() -> str:
        raise AssertionError("a package build must not need ruff")

    monkeypatch.setattr(build_sync, "_ruff_binary", no_ruff)
    outputs = build_sync.generate(formatted=False)
    assert Path("dhis2w/_sync/client.py") in outputs
    for path, text in outputs.items():
        committed = (ROOT / path).read_text(encoding="utf-8")
        assert ast.dump(ast.parse(text)) == ast.dump(ast.parse(committed)), path


def test_imported_names_unsorted_by_renaming_are_put_back_in_order() -> None:
    text = "from collections.abc import Iterator, Callable, Sequence\nfrom x import b, A, C_K\n"
    assert build_sync._sort_import_names(text) == (
        "from collections.abc import Callable, Iterator, Sequence\nfrom x import C_K, A, b\n"
    )


def test_writing_a_build_tree_never_writes_through_hard_links(tmp_path: Path) -> None:
    working = tmp_path / "work" / "dhis2w" / "_sync" / "client.py"
    working.parent.mkdir(parents=True)
    working.write_text("# my local edit\n", encoding="utf-8")
    release = tmp_path / "release"
    (release / "dhis2w" / "_sync").mkdir(parents=True)
    os.link(working, release / "dhis2w" / "_sync" / "client.py")  # as sdist trees are made
    pair = [(Path("dhis2w/_async"), Path("dhis2w/_sync"))]
    build_sync.write({Path("dhis2w/_sync/client.py"): "GENERATED = 1\n"}, release, pairs=pair)
    assert (release / "dhis2w/_sync/client.py").read_text(encoding="utf-8") == "GENERATED = 1\n"
    assert working.read_text(encoding="utf-8") == "# my local edit\n"


def test_check_names_stale_missing_and_orphan_files(tmp_path: Path) -> None:
    """The real script, run in a small project of its own."""
    shutil.copy(ROOT / "build_sync.py", tmp_path / "build_sync.py")
    shutil.copy(ROOT / "ruff.toml", tmp_path / "ruff.toml")
    _tree(
        tmp_path,
        {
            "dhis2w/_async/__init__.py": "",
            "dhis2w/_async/one.py": "async def one() -> int:\n    return 1\n",
            "dhis2w/_async/two.py": "async def two() -> int:\n    return 2\n",
        },
    )

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "build_sync.py", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )

    assert run().returncode == 0
    assert run("--check").returncode == 0
    generated = tmp_path / "dhis2w" / "_sync"
    assert "def one() -> int:" in (generated / "one.py").read_text(encoding="utf-8")
    (generated / "one.py").write_text("# edited by hand\n", encoding="utf-8")
    (generated / "two.py").unlink()
    (generated / "three.py").write_text("THREE = 3\n", encoding="utf-8")
    checked = run("--check")
    assert checked.returncode == 1
    assert "dhis2w/_sync/one.py: stale" in checked.stderr
    assert "dhis2w/_sync/two.py: missing" in checked.stderr
    assert "dhis2w/_sync/three.py: has no async source" in checked.stderr
    assert run().returncode == 0  # regenerating wipes the folder: the orphan is gone
    assert not (generated / "three.py").exists()
    assert run("--check").returncode == 0


def _wheel(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


def test_same_ast_compares_a_built_archive_with_the_committed_twin(tmp_path: Path) -> None:
    built = {
        path.as_posix(): text
        for path, text in build_sync.generate(formatted=False).items()
        if path.parts[0] == "dhis2w"
    }
    assert build_sync.same_ast(_wheel(tmp_path / "good.whl", built)) == []

    changed = dict(built)
    changed["dhis2w/_sync/paging.py"] += "\nEXTRA = 1\n"
    assert build_sync.same_ast(_wheel(tmp_path / "changed.whl", changed)) == [
        "dhis2w/_sync/paging.py: AST differs from changed.whl"
    ]

    partial = {k: v for k, v in built.items() if k != "dhis2w/_sync/files.py"}
    partial["dhis2w/_sync/stray.py"] = "X = 1\n"
    assert build_sync.same_ast(_wheel(tmp_path / "partial.whl", partial)) == [
        "dhis2w/_sync/files.py: committed but not in partial.whl",
        "dhis2w/_sync/stray.py: in partial.whl but not committed",
    ]

    empty = _wheel(tmp_path / "empty.whl", {"dhis2w/__init__.py": ""})
    assert build_sync.same_ast(empty) == ["empty.whl: holds no generated sync file to compare"]
