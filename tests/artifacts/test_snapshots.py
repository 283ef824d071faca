"""Snapshots of source folders: ignore rules, caps, content ids, restore."""

from __future__ import annotations

from pathlib import Path

import pytest

from runlab.artifacts import FsspecArtifactStore
from runlab.artifacts.snapshots import pack_folder, restore_snapshot, store_snapshot
from runlab.errors import NotFoundError, ValidationError


def _tree(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def test_ignore_rules_prefer_runlabignore(tmp_path: Path) -> None:
    source = _tree(
        tmp_path / "src",
        {
            "train.py": b"print(1)",
            "utils/helpers.py": b"x = 1",
            "data/big.bin": b"0" * 100,
            "notes.log": b"log",
            ".git/HEAD": b"ref",
            "__pycache__/a.pyc": b"c",
            ".gitignore": b"*.py\n",
            ".runlabignore": b"data/\n*.log\n",
        },
    )
    snapshot = pack_folder(source)
    assert snapshot.files == (".gitignore", ".runlabignore", "train.py", "utils/helpers.py")
    (source / ".runlabignore").unlink()
    assert "train.py" not in pack_folder(source).files  # now .gitignore's rules apply


def test_same_files_same_id(tmp_path: Path) -> None:
    files = {"a.py": b"a", "b/c.py": b"c"}
    first = pack_folder(_tree(tmp_path / "one", files))
    second = pack_folder(_tree(tmp_path / "two", files))
    assert first.snapshot_id == second.snapshot_id and first.data == second.data
    (tmp_path / "two" / "a.py").write_bytes(b"changed")
    assert pack_folder(tmp_path / "two").snapshot_id != first.snapshot_id


def test_caps_name_the_largest_files_and_how_to_ignore_them(tmp_path: Path) -> None:
    source = _tree(
        tmp_path / "src",
        {"train.py": b"x", "data/huge.bin": b"0" * 5000, "data/other.bin": b"0" * 10},
    )
    with pytest.raises(ValidationError) as caught:
        pack_folder(source, max_bytes=1000)
    message = str(caught.value)
    assert "data/huge.bin" in message and "data/" in message and ".runlabignore" in message
    with pytest.raises(ValidationError, match="3 files, more than 2"):
        pack_folder(source, max_files=2)
    (source / ".runlabignore").write_text("data/\n")
    assert pack_folder(source, max_bytes=1000, max_files=2).files == (".runlabignore", "train.py")


def test_store_once_and_restore(tmp_path: Path) -> None:
    store = FsspecArtifactStore(str(tmp_path / "artifacts"))
    source = _tree(tmp_path / "src", {"train.py": b"print(1)", "pkg/m.py": b"m"})
    (source / "run.sh").write_text("#!/bin/sh\n")
    (source / "run.sh").chmod(0o755)
    snapshot = pack_folder(source)
    assert store_snapshot(store, snapshot) is True
    assert store_snapshot(store, pack_folder(source)) is False
    assert store.list_files("snapshots") == [f"snapshots/{snapshot.snapshot_id}.tar.gz"]
    restored = restore_snapshot(store, snapshot.snapshot_id, tmp_path / "out")
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in restored) == [
        "pkg/m.py",
        "run.sh",
        "train.py",
    ]
    assert (tmp_path / "out" / "pkg" / "m.py").read_bytes() == b"m"
    assert (tmp_path / "out" / "run.sh").stat().st_mode & 0o100


def test_errors(tmp_path: Path) -> None:
    store = FsspecArtifactStore(str(tmp_path / "artifacts"))
    with pytest.raises(NotFoundError, match="does not exist"):
        pack_folder(tmp_path / "missing")
    with pytest.raises(ValidationError, match="snapshot id"):
        restore_snapshot(store, "../../etc", tmp_path / "out")
    with pytest.raises(NotFoundError):
        restore_snapshot(store, "0" * 64, tmp_path / "out")


def test_links_inside_are_packed_and_a_link_leaving_is_refused_unless_ignored(
    tmp_path: Path,
) -> None:
    source = _tree(tmp_path / "src", {"train.py": b"print(1)", "lib/util.py": b"x = 1"})
    outside = _tree(tmp_path / "outside", {"secret.txt": b"secret"})
    (source / "alias.py").symlink_to(source / "lib" / "util.py")
    (source / "lib_link").symlink_to(source / "lib", target_is_directory=True)
    (source / "dangling.py").symlink_to(source / "missing.py")
    assert pack_folder(source).files == ("alias.py", "lib/util.py", "train.py")

    (source / "data").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ValidationError, match=r"data'.*outside.*runlabignore"):
        pack_folder(source)
    (source / ".runlabignore").write_text("data/\n")
    assert "data" not in " ".join(pack_folder(source).files)
