"""vet_path and safe_local_path: the one gate for relative paths from outside."""

from __future__ import annotations

import os
import pathlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runlab.artifacts import safe_local_path, vet_path
from runlab.errors import ValidationError


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("a", "a"),
        ("a/b/c", "a/b/c"),
        ("./a", "a"),
        ("a//b///c", "a/b/c"),
        ("a/./b/.", "a/b"),
        ("a/b/", "a/b"),
        ("..hidden/a..b/...", "..hidden/a..b/..."),
        ("a~/b", "a~/b"),
        ("a/~b", "a/~b"),
        ("12:30:00.log", "12:30:00.log"),
        ("données/ü.txt", "données/ü.txt"),
        ("with space/x", "with space/x"),
    ],
)
def test_normal_form(path: str, expected: str) -> None:
    assert vet_path(path) == expected
    assert vet_path(expected) == expected


@pytest.mark.parametrize(
    "path",
    [
        "",
        ".",
        "./",
        "//",
        "../x",
        "..",
        "a/..",
        "a/../b",
        "a/../../b",
        "a/b/../../../c",
        "/etc/passwd",
        "/",
        "C:\\x",
        "c:x",
        "C:/x",
        "./C:",
        "a/c:x",
        "a/D:/b",
        "a\\..\\..\\b",
        "a\\b",
        "a\x00b",
        "a\nb",
        "a\tb",
        "a\x7fb",
        "a\x85b",
        "~",
        "~/x",
        "~user/x",
        "./~",
        ".//~/x",
    ],
)
def test_refused(path: str) -> None:
    with pytest.raises(ValidationError, match="unsafe artifact path") as caught:
        vet_path(path)
    assert repr(path) in str(caught.value)
    assert "expected a relative POSIX path" in str(caught.value)


@pytest.mark.parametrize("path", [None, b"a", 1, pathlib.PurePosixPath("a")])
def test_refuses_non_str(path: object) -> None:
    with pytest.raises(ValidationError, match="must be a str"):
        vet_path(path)  # type: ignore[arg-type]


@pytest.mark.parametrize("path", ["", ".", "./", ".//."])
def test_allow_empty_names_the_root(path: str) -> None:
    assert vet_path(path, allow_empty=True) == ""


def test_allow_empty_still_refuses_escapes() -> None:
    with pytest.raises(ValidationError):
        vet_path("..", allow_empty=True)


def test_validation_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        vet_path("../x")


_COMPONENTS = st.one_of(
    st.sampled_from(["", ".", "..", "a", "b.txt", "~", "C:", "c:x", "a\\..", "\x00", "..."]),
    st.text(max_size=8),
)


@given(st.lists(_COMPONENTS, max_size=8).map("/".join) | st.text(max_size=30))
def test_vetted_paths_stay_under_the_root(path: str) -> None:
    try:
        vetted = vet_path(path)
    except ValidationError:
        return
    root = "/srv/runlab/root"
    joined = os.path.normpath(os.path.join(root, vetted))
    assert joined.startswith(root + "/")
    assert vet_path(vetted) == vetted
    assert ".." not in vetted.split("/")


def test_safe_local_path_joins(tmp_path: pathlib.Path) -> None:
    root = tmp_path / "not_yet_created"
    assert safe_local_path(root, "./a//b.txt") == root / "a" / "b.txt"
    assert safe_local_path(os.fspath(root), "a") == root / "a"
    assert safe_local_path(root, "", allow_empty=True) == root


def test_safe_local_path_vets(tmp_path: pathlib.Path) -> None:
    for bad_path in ["../x", "/etc/passwd", "", "a\x00b"]:
        with pytest.raises(ValidationError):
            safe_local_path(tmp_path, bad_path)


def test_safe_local_path_refuses_links_leading_outside(tmp_path: pathlib.Path) -> None:
    root = tmp_path / "root"
    (root / "inner").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (root / "inner" / "escape").symlink_to(tmp_path / "outside", target_is_directory=True)
    (root / "to_etc").symlink_to("/etc")
    (root / "dangling").symlink_to(tmp_path / "outside" / "later")
    (root / "up").symlink_to("..")

    for path in ["inner/escape", "inner/escape/x/y", "to_etc/passwd", "dangling", "up/x"]:
        with pytest.raises(ValidationError, match="leads outside"):
            safe_local_path(root, path)


def test_safe_local_path_keeps_links_inside_root(tmp_path: pathlib.Path) -> None:
    root = tmp_path / "root"
    (root / "real").mkdir(parents=True)
    (root / "alias").symlink_to(root / "real", target_is_directory=True)
    (root / "relative_alias").symlink_to("real", target_is_directory=True)
    assert safe_local_path(root, "alias/x") == root / "alias" / "x"
    assert safe_local_path(root, "relative_alias/x") == root / "relative_alias" / "x"


def test_safe_local_path_through_a_linked_root(tmp_path: pathlib.Path) -> None:
    (tmp_path / "real_root").mkdir()
    (tmp_path / "root_link").symlink_to(tmp_path / "real_root", target_is_directory=True)
    assert safe_local_path(tmp_path / "root_link", "a") == tmp_path / "root_link" / "a"


def test_safe_local_path_refuses_sibling_with_common_prefix(tmp_path: pathlib.Path) -> None:
    (tmp_path / "root").mkdir()
    (tmp_path / "root2").mkdir()
    (tmp_path / "root" / "link").symlink_to(tmp_path / "root2", target_is_directory=True)
    with pytest.raises(ValidationError, match="leads outside"):
        safe_local_path(tmp_path / "root", "link/x")
