"""runlab's source is portable by construction: POSIX-only process calls live in one module.

Only ``runlab/compute/processes.py`` (the platform module) may read ``/proc``, send signals to
other processes, make sessions or process groups, or fork; everything else goes through it,
so macOS and Windows get the same behaviour. The scan reads the source's syntax tree, so
docstrings and comments that name these calls are allowed.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

import runlab

SOURCE = Path(runlab.__file__).parent
PLATFORM_MODULE = SOURCE / "compute" / "processes.py"

FORBIDDEN_ATTRIBUTES = {
    "os": {
        "fork",
        "forkpty",
        "kill",
        "killpg",
        "setsid",
        "setpgid",
        "setpgrp",
        "getpgid",
        "getpgrp",
        "getsid",
        "wait",
        "waitpid",
        "wait3",
        "wait4",
    },
    # Signals Windows lacks; SIGTERM and SIGINT exist everywhere.
    "signal": {
        "SIGKILL",
        "SIGHUP",
        "SIGQUIT",
        "SIGUSR1",
        "SIGUSR2",
        "SIGCHLD",
        "SIGALRM",
        "SIGSTOP",
        "SIGCONT",
        "SIGPIPE",
        "alarm",
        "pthread_kill",
        "killpg",
    },
}
FORBIDDEN_KEYWORDS = {"start_new_session", "preexec_fn", "process_group"}
"""``subprocess.Popen`` arguments that exist on POSIX only."""


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the string constants that are docstrings (or bare string statements)."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }


def portability_problems(path: Path) -> list[str]:
    """Each POSIX-only construct in the Python file ``path``, as ``file:line: what``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    docstrings = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        problem = None
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.attr in FORBIDDEN_ATTRIBUTES.get(node.value.id, set()):
                problem = f"{node.value.id}.{node.attr}"
        elif isinstance(node, ast.ImportFrom) and node.module in FORBIDDEN_ATTRIBUTES:
            names = {alias.name for alias in node.names}
            bad = names & FORBIDDEN_ATTRIBUTES[node.module] or names & {"*"}
            if bad:
                problem = f"from {node.module} import {', '.join(sorted(bad))}"
        elif isinstance(node, ast.keyword) and node.arg in FORBIDDEN_KEYWORDS:
            problem = f"{node.arg}="
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            # The parts of an f-string are constants too: f"/proc/{pid}" is caught here.
            if node.value == "/proc" or node.value.startswith("/proc/"):
                problem = f"{node.value!r}"
            elif node.value == "fork":
                problem = "the 'fork' start method"
            elif node.value in FORBIDDEN_KEYWORDS:  # passed as **{"start_new_session": ...}
                problem = f"{node.value}="
        if problem is not None:
            line = getattr(node, "lineno", 0)
            found.append(f"{path}:{line}: {problem}")
    return found


def test_only_the_platform_module_uses_posix_process_calls() -> None:
    problems = []
    for path in sorted(SOURCE.rglob("*.py")):
        if path != PLATFORM_MODULE:
            problems.extend(portability_problems(path))
    assert problems == [], (
        "POSIX-only process handling outside compute/processes.py:\n" + "\n".join(problems)
    )


def test_the_platform_module_is_where_they_are() -> None:
    """The scan would notice these calls: the platform module has them."""
    found = " ".join(portability_problems(PLATFORM_MODULE))
    assert "os.killpg" in found and "start_new_session=" in found and "os.getpgid" in found


@pytest.mark.parametrize(
    "code",
    [
        "import os\nos.killpg(1, 15)",
        "import os\npid = os.fork()",
        "import os\nos.setsid()",
        "import os\nos.getpgid(0)",
        "import os\nos.kill(1, 15)",
        "import signal\nprint(signal.SIGKILL)",
        "from signal import SIGKILL",
        "from os import *",
        "import subprocess\nsubprocess.Popen(['x'], start_new_session=True)",
        "import subprocess\nsubprocess.Popen(['x'], preexec_fn=print)",
        "from pathlib import Path\nPath('/proc/1/cmdline').read_bytes()",
        "pid = 1\nopen(f'/proc/{pid}/environ')",
        "import multiprocessing\nmultiprocessing.get_context('fork')",
        "import subprocess\nsubprocess.Popen(['x'], **{'start_new_session': True})",
    ],
)
def test_the_scan_catches(tmp_path: Path, code: str) -> None:
    path = tmp_path / "module.py"
    path.write_text(code + "\n", encoding="utf-8")
    assert len(portability_problems(path)) == 1


def test_the_scan_allows_portable_code(tmp_path: Path) -> None:
    path = tmp_path / "module.py"
    code = '''
        """Reads /proc/<pid>/cmdline no more; os.killpg is named here only."""
        import os
        import signal
        import subprocess

        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.raise_signal(signal.SIGINT)
        subprocess.Popen(["x"], close_fds=True).wait()
        print(os.getpid(), "/process", "forked")
        '''
    path.write_text(textwrap.dedent(code), encoding="utf-8")
    assert portability_problems(path) == []
