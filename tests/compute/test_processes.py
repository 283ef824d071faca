"""Reading processes from /proc: alive, zombies, process groups."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from helpers import eventually
from runlab.compute.processes import group_alive, process_alive, process_stat

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs Linux's /proc")


def test_a_process_its_group_and_its_zombie() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True
    )
    try:
        assert process_alive(child.pid) and group_alive(child.pid)
        fields = process_stat(child.pid)
        assert fields is not None and int(fields[1]) == os.getpid()
        os.kill(child.pid, signal.SIGKILL)
        # A zombie until reaped, and zombies count as gone.
        eventually(lambda: not process_alive(child.pid), message="the killed child to be gone")
        assert not group_alive(child.pid)
    finally:
        child.kill()
        child.wait()
    assert process_stat(child.pid) is None and not process_alive(child.pid)
