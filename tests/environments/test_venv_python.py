"""venv_python: where a virtual environment keeps its interpreter, on each platform."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

from runlab.environments import venv_python


@pytest.mark.parametrize(
    ("platform", "expected"),
    [
        ("win32", ("Scripts", "python.exe")),
        ("linux", ("bin", "python")),
        ("darwin", ("bin", "python")),
        ("freebsd14", ("bin", "python")),
    ],
)
def test_each_platform_has_its_layout(platform: str, expected: tuple[str, str]) -> None:
    env_dir = Path("envs") / "one"
    assert venv_python(env_dir, platform=platform) == env_dir.joinpath(*expected)


def test_a_real_environment_here_has_its_interpreter_where_it_says(tmp_path: Path) -> None:
    venv.create(tmp_path / "env", with_pip=False)
    python = venv_python(tmp_path / "env")
    assert python.is_file()
    prefix = subprocess.run(
        [str(python), "-c", "import sys; print(sys.prefix)"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
    ).stdout.strip()
    assert Path(prefix).resolve() == (tmp_path / "env").resolve()
    assert Path(prefix).resolve() != Path(sys.prefix).resolve()
