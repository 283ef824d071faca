"""What keeps runlab's source portable to macOS and Windows, checked on every platform.

Each check reads ``src/runlab`` as Python syntax trees, so it holds on Linux CI for code
that only runs elsewhere: text is read and written as UTF-8 (Windows' default is the
locale's code page), no command goes through a shell, locks go through ``filelock``
(``fcntl`` is POSIX-only) and no temporary path is hard-coded (``tempfile`` knows each
platform's). Ruff's PLW1514 would cover part of the first, but it is a preview rule.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src" / "runlab"
SUBPROCESS_CALLS = {"run", "Popen", "check_output", "check_call", "call"}


def _modules() -> list[Path]:
    return sorted(SOURCE.rglob("*.py"))


def _keywords(call: ast.Call) -> dict[str, ast.expr]:
    return {keyword.arg: keyword.value for keyword in call.keywords if keyword.arg}


def _is_true(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _called_name(call: ast.Call) -> str:
    function = call.func
    if isinstance(function, ast.Attribute):
        return function.attr
    return function.id if isinstance(function, ast.Name) else ""


def _is_text_mode(mode: ast.expr | None) -> bool:
    return not (isinstance(mode, ast.Constant) and "b" in str(mode.value))


def _open_mode(call: ast.Call) -> ast.expr | None:
    """The mode a method ``.open(...)`` is given: by keyword, else the positional string that
    reads as a mode (``Path.open("r")`` and fsspec's ``fs.open(path, "rb")`` alike)."""
    keywords = _keywords(call)
    if "mode" in keywords:
        return keywords["mode"]
    for argument in call.args:
        if isinstance(argument, ast.Constant) and re.fullmatch(r"[rwxabt+]+", str(argument.value)):
            return argument
    return None


def _unspecified_encodings(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or "encoding" in _keywords(node):
            continue
        name, keywords = _called_name(node), _keywords(node)
        is_builtin_open = isinstance(node.func, ast.Name) and name == "open"
        if is_builtin_open:
            mode = keywords.get("mode", node.args[1] if len(node.args) > 1 else None)
            if _is_text_mode(mode):
                yield node.lineno, "open() in text mode"
        elif isinstance(node.func, ast.Attribute) and name == "open":
            value, mode = node.func.value, _open_mode(node)
            if isinstance(value, ast.Name) and value.id in {"os", "tarfile", "zipfile"}:
                continue  # binary by nature, or not a text file's open
            # No mode at all is text for Path.open(); with a path but no mode it is fsspec's
            # open, binary by default.
            if (mode is None and not node.args) or (mode is not None and _is_text_mode(mode)):
                yield node.lineno, ".open() in text mode"
        elif name in {"read_text", "write_text"}:
            needed = 1 if name == "write_text" else 0
            if len(node.args) <= needed:  # the encoding is not given by position either
                yield node.lineno, f".{name}()"
        elif name in SUBPROCESS_CALLS and (
            _is_true(keywords.get("text")) or _is_true(keywords.get("universal_newlines"))
        ):
            yield node.lineno, f"{name}(text=True)"


def _shell_commands(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if _is_true(_keywords(node).get("shell")):
                yield node.lineno, "shell=True"
            function = node.func
            if (
                isinstance(function, ast.Attribute)
                and isinstance(function.value, ast.Name)
                and function.value.id == "os"
                and function.attr in {"system", "popen"}
            ):
                yield node.lineno, f"os.{function.attr}"


def _posix_only(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [alias.name for alias in node.names]
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                if name.split(".")[0] == "fcntl":
                    yield node.lineno, "fcntl (use filelock)"
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and (node.value == "/tmp" or node.value.startswith("/tmp/"))
        ):
            yield node.lineno, f"{node.value!r} (use tempfile)"


def _findings(check: str) -> list[str]:
    scan = {
        "encoding": _unspecified_encodings,
        "shell": _shell_commands,
        "posix_only": _posix_only,
    }[check]
    found = []
    for module in _modules():
        tree = ast.parse(module.read_text(encoding="utf-8"), filename=str(module))
        relative = module.relative_to(SOURCE.parent).as_posix()
        found += [f"{relative}:{line}: {what}" for line, what in scan(tree)]
    return found


@pytest.mark.parametrize("check", ["encoding", "shell", "posix_only"])
def test_the_source_has_none(check: str) -> None:
    assert _findings(check) == []


@pytest.mark.parametrize(
    ("check", "code", "expected"),
    [
        ("encoding", "open(path)", "open() in text mode"),
        ("encoding", "open(path, 'w')", "open() in text mode"),
        ("encoding", "path.open('r')", ".open() in text mode"),
        ("encoding", "Path(p).open()", ".open() in text mode"),
        ("encoding", "fs.open(target, 'w')", ".open() in text mode"),
        ("encoding", "path.read_text()", ".read_text()"),
        ("encoding", "path.write_text(text)", ".write_text()"),
        ("encoding", "subprocess.run(cmd, text=True)", "run(text=True)"),
        ("encoding", "subprocess.Popen(cmd, universal_newlines=True)", "Popen(text=True)"),
        ("shell", "subprocess.run('ls', shell=True)", "shell=True"),
        ("shell", "os.system('ls')", "os.system"),
        ("posix_only", "import fcntl", "fcntl (use filelock)"),
        ("posix_only", "from fcntl import flock", "fcntl (use filelock)"),
        ("posix_only", "folder = '/tmp/runlab'", "'/tmp/runlab' (use tempfile)"),
    ],
)
def test_each_check_finds_what_it_is_for(check: str, code: str, expected: str) -> None:
    scan = {"encoding": _unspecified_encodings, "shell": _shell_commands, "posix_only": _posix_only}
    assert [what for _, what in scan[check](ast.parse(code))] == [expected]


@pytest.mark.parametrize(
    "code",
    [
        "open(path, 'rb')",
        "open(path, mode='wb')",
        "open(path, encoding='utf-8')",
        "path.open('rb')",
        "fs.open(target, 'ab')",
        "fs.open(target)",
        "path.read_text(encoding='utf-8')",
        "path.write_text(text, encoding='utf-8')",
        "path.read_bytes()",
        "subprocess.run(cmd, text=True, encoding='utf-8')",
        "subprocess.run(cmd, capture_output=True)",
        "os.open(path, os.O_RDONLY)",
    ],
)
def test_what_is_portable_passes(code: str) -> None:
    assert list(_unspecified_encodings(ast.parse(code))) == []
