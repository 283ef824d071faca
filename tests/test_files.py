"""The one atomic write and the one folder walk (``runlab._files``)."""

from __future__ import annotations

import multiprocessing
import os
import stat
import threading
from pathlib import Path

import pytest

from runlab._files import PARTIAL_SUFFIX, is_partial, partial_file, walk_files, write_atomic
from runlab.errors import ValidationError

# -- atomic writes ---------------------------------------------------------------------------

_SIZE = 256 * 1024
_WRITES = 40


def _content(writer: int) -> bytes:
    """What writer ``writer`` writes: big enough that a torn write would show."""
    return bytes([writer]) * _SIZE


def _write_many(target: str, writer: int) -> None:
    for _ in range(_WRITES):
        write_atomic(target, _content(writer), sync=False)


def _partials(folder: Path) -> list[str]:
    return [name for name in os.listdir(folder) if is_partial(name)]


def test_write_atomic_writes_bytes_and_text(tmp_path: Path) -> None:
    write_atomic(tmp_path / "a.bin", b"\x00\x01")
    write_atomic(tmp_path / "b.txt", "héllo\n")
    write_atomic(tmp_path / "a.bin", b"again")

    assert (tmp_path / "a.bin").read_bytes() == b"again"
    assert (tmp_path / "b.txt").read_text(encoding="utf-8") == "héllo\n"
    assert _partials(tmp_path) == []


def test_mode_is_honoured_and_the_default_follows_the_umask(tmp_path: Path) -> None:
    write_atomic(tmp_path / "secret.json", "{}", mode=0o600)
    previous = os.umask(0o022)
    try:
        write_atomic(tmp_path / "shared.txt", "x")
    finally:
        os.umask(previous)
    # A secret replaced over a readable file does not inherit the old permissions.
    (tmp_path / "was-open.json").write_text("old")
    os.chmod(tmp_path / "was-open.json", 0o644)
    write_atomic(tmp_path / "was-open.json", "new", mode=0o600)

    assert stat.S_IMODE((tmp_path / "secret.json").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "shared.txt").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "was-open.json").stat().st_mode) == 0o600


def test_threads_writing_one_target_never_leave_a_torn_file(tmp_path: Path) -> None:
    target = tmp_path / "shared.bin"
    write_atomic(target, _content(0))
    whole = {_content(writer) for writer in range(5)}
    seen: list[bytes] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            seen.append(target.read_bytes())

    reader = threading.Thread(target=read)
    writers = [
        threading.Thread(target=_write_many, args=(str(target), writer)) for writer in range(1, 5)
    ]
    reader.start()
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    done.set()
    reader.join()

    assert seen and all(data in whole for data in seen)
    assert target.read_bytes() in whole
    assert _partials(tmp_path) == []


def test_processes_writing_one_target_never_leave_a_torn_file(tmp_path: Path) -> None:
    target = tmp_path / "shared.bin"
    write_atomic(target, _content(0))
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_write_many, args=(str(target), w)) for w in range(1, 4)]
    for writer in writers:
        writer.start()
    seen = []
    while any(writer.is_alive() for writer in writers):
        seen.append(target.read_bytes())
    for writer in writers:
        writer.join()

    assert [writer.exitcode for writer in writers] == [0, 0, 0]
    whole = {_content(writer) for writer in range(4)}
    assert all(data in whole for data in seen)
    assert target.read_bytes() in {_content(writer) for writer in range(1, 4)}
    assert _partials(tmp_path) == []


def test_a_failed_write_leaves_no_partial_and_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "kept.txt"
    target.write_text("old")

    with pytest.raises(RuntimeError), partial_file(target) as out:
        out.write(b"half of it")
        raise RuntimeError("the source broke")
    with partial_file(target) as out:
        out.write(b"checked and found wrong")  # no commit: nothing lands
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "inside").write_text("x")
    with pytest.raises(OSError):
        write_atomic(tmp_path / "folder", b"cannot replace a folder")

    assert target.read_text() == "old"
    assert _partials(tmp_path) == []
    assert sorted(os.listdir(tmp_path)) == ["folder", "kept.txt"]


def test_a_write_into_a_missing_folder_fails_cleanly(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_atomic(tmp_path / "missing" / "file.txt", b"x")
    assert os.listdir(tmp_path) == []


def test_partial_names_are_recognised(tmp_path: Path) -> None:
    long_name = "n" * 250
    with partial_file(tmp_path / long_name) as out:
        name = os.path.basename(out.path)
        out.commit()

    assert is_partial(name) and name.endswith(PARTIAL_SUFFIX) and len(name) < 255
    assert is_partial(f"run/{name}")
    assert not is_partial("visible.runlab-partial") and not is_partial(".hidden.txt")
    assert os.listdir(tmp_path) == [long_name]


# -- walking a folder ------------------------------------------------------------------------


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A folder with a file, a subfolder, and links to both inside it."""
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_bytes(b"a")
    (root / "sub" / "b.txt").write_bytes(b"bb")
    (root / "alias.txt").symlink_to(root / "sub" / "b.txt")
    (root / "relative_alias.txt").symlink_to(Path("sub") / "b.txt")
    (root / "alias_dir").symlink_to(root / "sub", target_is_directory=True)
    return root


def _listed(root: Path, **options: object) -> dict[str, int]:
    return {file.relative: file.size for file in walk_files(root, **options)}  # type: ignore[arg-type]


@pytest.mark.parametrize("links", ["refuse", "skip"])
def test_links_inside_are_files_and_linked_folders_are_not_walked(tree: Path, links: str) -> None:
    found = walk_files(tree, links=links)  # type: ignore[arg-type]

    assert [file.relative for file in found] == [
        "a.txt",
        "alias.txt",
        "relative_alias.txt",
        "sub/b.txt",
    ]
    alias = found[1]
    assert alias.path == tree / "alias.txt" and alias.size == 2


@pytest.mark.parametrize("to_folder", [False, True])
def test_a_link_leaving_the_folder_is_refused_or_skipped(
    tree: Path, tmp_path: Path, to_folder: bool
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"secret")
    (tree / "sub" / "leak").symlink_to(outside if to_folder else outside / "secret.txt")

    with pytest.raises(ValidationError, match=r"sub/leak'.*outside") as refused:
        walk_files(tree, links="refuse")
    assert str(outside) in str(refused.value)
    assert "leak" not in " ".join(_listed(tree, links="skip"))


def test_a_link_through_another_link_that_leaves_is_caught(tree: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_bytes(b"secret")
    (tree / "hop").symlink_to(tmp_path / "secret.txt")
    (tree / "second_hop.txt").symlink_to(tree / "hop")

    with pytest.raises(ValidationError, match="hop"):
        walk_files(tree, links="refuse")
    assert "second_hop.txt" not in _listed(tree, links="skip")


def test_dangling_links_and_loops_are_skipped(tree: Path) -> None:
    (tree / "dangling.txt").symlink_to(tree / "not-yet.txt")
    (tree / "loop_a").symlink_to(tree / "loop_b")
    (tree / "loop_b").symlink_to(tree / "loop_a")
    (tree / "sub" / "up").symlink_to(tree, target_is_directory=True)

    for links in ("refuse", "skip"):
        assert sorted(_listed(tree, links=links)) == [
            "a.txt",
            "alias.txt",
            "relative_alias.txt",
            "sub/b.txt",
        ]


def test_ignored_folders_are_not_walked_and_ignored_links_not_checked(
    tree: Path, tmp_path: Path
) -> None:
    (tree / "data").symlink_to(tmp_path, target_is_directory=True)  # leaves, but ignored
    asked: list[tuple[str, bool]] = []

    def ignore(relative: str, is_folder: bool) -> bool:
        asked.append((relative, is_folder))
        return relative in {"data", "sub"}

    assert sorted(_listed(tree, links="refuse", ignore=ignore)) == [
        "a.txt",
        "alias.txt",
        "relative_alias.txt",
    ]
    assert ("data", True) in asked and ("sub", True) in asked
    assert not any(relative.startswith("sub/") for relative, _folder in asked)


def test_within_widens_where_links_may_lead(tree: Path) -> None:
    (tree / "sub" / "to_a.txt").symlink_to(tree / "a.txt")

    with pytest.raises(ValidationError):
        walk_files(tree / "sub", links="refuse")
    assert _listed(tree / "sub", links="refuse", within=tree) == {"b.txt": 2, "to_a.txt": 1}


def test_a_missing_folder_has_no_files(tmp_path: Path) -> None:
    assert walk_files(tmp_path / "missing", links="refuse") == []
    (tmp_path / "file").write_text("x")
    assert walk_files(tmp_path / "file", links="refuse") == []
