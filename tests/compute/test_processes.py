"""The platform module on real processes: reading them, starting a detached tree, stopping it.

Every test runs twice: on this platform's own path (process groups on POSIX) and with
``RUNLAB_PLATFORM=generic``, psutil's tree alone, the path Windows takes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import eventually
from runlab.compute import processes
from runlab.compute.processes import (
    PLATFORM_VARIABLE,
    children,
    parent_pid,
    process_alive,
    process_cmdline,
    process_create_time,
    process_environ,
    start_detached,
    terminate_tree,
    termination_signals,
    tree_alive,
    uses_process_groups,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the POSIX half of the tests")


@pytest.fixture(params=["native", "generic"], autouse=True)
def platform_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Each test on the native path and on the generic one (``RUNLAB_PLATFORM=generic``)."""
    if request.param == "generic":
        monkeypatch.setenv(PLATFORM_VARIABLE, "generic")
    else:
        monkeypatch.delenv(PLATFORM_VARIABLE, raising=False)
    yield request.param


def _sleeper(**options: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # type: ignore[call-overload,no-any-return]
        [sys.executable, "-c", "import time; time.sleep(60)", "marker-arg"], **options
    )


def test_the_path_follows_the_variable(platform_path: str) -> None:
    assert uses_process_groups() is (platform_path == "native")
    assert int(signal.SIGTERM) in termination_signals()


def test_reading_a_process_and_its_zombie() -> None:
    child = _sleeper(env=os.environ | {"RUNLAB_TEST_MARK": "seen"})
    try:
        assert process_alive(child.pid)
        assert process_cmdline(child.pid) == [
            sys.executable,
            "-c",
            "import time; time.sleep(60)",
            "marker-arg",
        ]
        environ = process_environ(child.pid)
        assert environ is not None and environ["RUNLAB_TEST_MARK"] == "seen"
        ours, its = process_create_time(os.getpid()), process_create_time(child.pid)
        assert ours is not None and its is not None and its >= ours
        assert parent_pid(child.pid) == os.getpid()
        assert child.pid in children(os.getpid(), recursive=False)
        child.kill()
        # A zombie until reaped, and zombies count as gone.
        eventually(lambda: not process_alive(child.pid), message="the killed child to be gone")
        assert process_cmdline(child.pid) is None and process_environ(child.pid) is None
        assert child.pid not in children(os.getpid())
    finally:
        child.kill()
        child.wait()
    assert not process_alive(child.pid)
    assert process_cmdline(child.pid) is None and process_create_time(child.pid) is None
    assert parent_pid(child.pid) is None and children(child.pid) == []


def _tree_script(pids_file: Path, *, ignore_term: bool, orphan: bool) -> list[str]:
    """A parent that starts a child that starts a grandchild; each writes its pid.

    With ``ignore_term`` every one of them ignores SIGTERM (only a kill ends them); with
    ``orphan`` the child exits once the grandchild runs, leaving it to init.
    """
    code = textwrap.dedent(
        f"""
        import os, signal, subprocess, sys, time
        if {ignore_term!r}:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        depth = int(sys.argv[1])
        with open({str(pids_file)!r}, "a") as handle:
            handle.write(f"{{os.getpid()}}\\n")
        if depth < 2:
            below = subprocess.Popen([sys.executable, __file__, str(depth + 1)])
            if depth == 1 and {orphan!r}:
                while len(open({str(pids_file)!r}).read().split()) < 3:
                    time.sleep(0.05)
                sys.exit(0)
        time.sleep(120)
        """
    )
    script = pids_file.with_suffix(".py")
    script.write_text(code, encoding="utf-8")
    return [sys.executable, str(script), "0"]


def _start_tree(
    tmp_path: Path, *, ignore_term: bool = False, orphan: bool = False
) -> tuple[subprocess.Popen[bytes], list[int], Path]:
    pids_file = tmp_path / "pids.txt"
    log = tmp_path / "tree.log"
    with log.open("ab") as out:
        leader = start_detached(
            _tree_script(pids_file, ignore_term=ignore_term, orphan=orphan), stdout=out
        )
    pids = eventually(
        lambda: [int(pid) for pid in pids_file.read_text().split()] if pids_file.exists() else [],
        until=lambda seen: len(seen) == 3,
        message="the three processes to start",
    )
    return leader, pids, log


@pytest.mark.parametrize("ignore_term", [False, True], ids=["polite", "stubborn"])
def test_terminate_tree_ends_children_and_grandchildren(tmp_path: Path, ignore_term: bool) -> None:
    leader, pids, _log = _start_tree(tmp_path, ignore_term=ignore_term)
    try:
        assert pids[0] == leader.pid and all(process_alive(pid) for pid in pids)
        assert set(pids[1:]) <= set(children(leader.pid))
        assert tree_alive(leader.pid)
        assert terminate_tree(leader.pid, grace_s=0.5 if ignore_term else 10.0)
        assert not any(process_alive(pid) for pid in pids)
        assert not tree_alive(leader.pid)
        if not ignore_term:
            assert leader.wait(timeout=10) == -signal.SIGTERM
    finally:
        leader.kill()
        leader.wait()
        processes.kill(pids)


def test_an_orphaned_grandchild_is_reached_through_the_group(
    tmp_path: Path, platform_path: str
) -> None:
    if platform_path == "generic":
        pytest.skip("psutil's tree loses a grandchild whose parent ended (as on Windows)")
    leader, pids, _log = _start_tree(tmp_path, orphan=True)
    try:
        eventually(lambda: not process_alive(pids[1]), message="the middle process to exit")
        assert process_alive(pids[2]) and tree_alive(leader.pid)
        assert terminate_tree(leader.pid, grace_s=10.0)
        assert not process_alive(pids[2])
    finally:
        leader.kill()
        leader.wait()
        processes.kill(pids)


def test_start_detached(tmp_path: Path, platform_path: str) -> None:
    log = tmp_path / "out.log"
    code = (
        "import os, sys; print(repr(sys.stdin.read()), os.getcwd(), os.environ['MARK']); "
        "sys.exit(3)"
    )
    with log.open("ab") as out:
        child = start_detached(
            [sys.executable, "-c", code], stdout=out, env=os.environ | {"MARK": "m"}, cwd=tmp_path
        )
    assert child.wait(timeout=60) == 3
    assert log.read_text().split() == ["''", str(tmp_path), "m"]
    sleeper_log = tmp_path / "sleeper.log"
    with sleeper_log.open("ab") as out:
        sleeper = start_detached([sys.executable, "-c", "import time; time.sleep(60)"], stdout=out)
    try:
        # Its own session and process group on the native path; none made on the generic one.
        if platform_path == "native":
            assert os.getpgid(sleeper.pid) == sleeper.pid != os.getpgid(0)
            assert os.getsid(sleeper.pid) == sleeper.pid
        else:
            assert os.getpgid(sleeper.pid) == os.getpgid(0)
        assert terminate_tree(sleeper.pid, grace_s=10.0)
    finally:
        sleeper.kill()
        sleeper.wait()
