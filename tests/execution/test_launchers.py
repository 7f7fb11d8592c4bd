"""ProcessLauncher ties every command it starts to the parent's life: killing the parent (SIGKILL, no clean-up)
takes torchrun and its workers with it, whichever thread launched them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from resume_ner.execution import ProcessLauncher
from resume_ner.training.lifeline import can_outlive_exec
from resume_ner.training.protocol import STDERR_FILE

pytestmark = pytest.mark.skipif(not can_outlive_exec(), reason="the parent-death signal is Linux's")

# A torchrun worker that knows nothing of lifelines: it records its pid and sleeps.
WORKER = textwrap.dedent("""
    import os, pathlib, sys, time
    pathlib.Path(sys.argv[1], f"worker-{os.environ['RANK']}.pid").write_text(str(os.getpid()))
    time.sleep(300)
""")

# The parent: launches torchrun through ProcessLauncher from a worker thread (as an Optuna trial thread would)
# that ends once the workers run, records the launched pid, then waits to be killed.
PARENT = textwrap.dedent("""
    import os, sys, threading, time
    from pathlib import Path
    from resume_ner.execution import ProcessLauncher
    folder, worker = Path(sys.argv[1]), sys.argv[2]
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", worker,
               str(folder)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}

    def launch():
        child = ProcessLauncher().start(command, env, folder, folder / "stdout.log", folder / "stderr.log")
        (folder / "torchrun.pid").write_text(str(child.pid))
        deadline = time.monotonic() + 90
        while len(list(folder.glob("worker-*.pid"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)

    thread = threading.Thread(target=launch)
    thread.start()
    thread.join()
    (folder / "thread-ended").touch()
    time.sleep(300)
""")


def alive(pid: int) -> bool:
    """Whether ``pid`` runs; a zombie (dead, not yet reaped by its new parent) does not."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)
    return condition()


@pytest.mark.slow
def test_killing_the_parent_takes_torchrun_and_its_workers_with_it(tmp_path):
    (tmp_path / "worker.py").write_text(WORKER)
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(tmp_path), str(tmp_path / "worker.py")])
    pids: list[int] = []
    try:
        started = wait_for(lambda: (tmp_path / "thread-ended").exists(), 90)
        assert started and len(list(tmp_path.glob("worker-*.pid"))) == 2, (tmp_path / STDERR_FILE).read_text()
        pids = [int((tmp_path / "torchrun.pid").read_text())]
        pids += [int(path.read_text()) for path in tmp_path.glob("worker-*.pid")]
        # The thread that launched torchrun has ended; that alone must not stop anything.
        time.sleep(1.0)
        assert all(alive(pid) for pid in pids)

        parent.send_signal(signal.SIGKILL)
        parent.wait()
        assert wait_for(lambda: not any(alive(pid) for pid in pids), 15), (
            f"outlived their killed parent: {[pid for pid in pids if alive(pid)]}"
        )
    finally:
        for pid in [parent.pid, *pids]:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_command_that_cannot_be_found_fails_in_the_parent(tmp_path):
    with pytest.raises(FileNotFoundError):
        ProcessLauncher().start(
            ["no-such-program-here"], {"PATH": "/nonexistent"}, tmp_path, tmp_path / "out", tmp_path / "err"
        )


def test_the_launched_command_keeps_its_pid_environment_and_exit_status(tmp_path):
    script = "import os, sys; print(os.getpid(), os.environ['MARK']); sys.exit(7)"
    child = ProcessLauncher().start(
        [sys.executable, "-c", script], {"MARK": "x", "PATH": os.defpath}, tmp_path, tmp_path / "out", tmp_path / "err"
    )
    assert child.wait(30) == 7, (tmp_path / "err").read_text()
    assert (tmp_path / "out").read_text().split() == [str(child.pid), "x"]


# A fresh interpreter: the fork server is started without waiting for its imports, a second start leaves it be,
# and what it imports includes what every fold's child used to build or import for itself: transformers'
# weight-renaming table and MLflow's database store.
SERVER = textwrap.dedent("""
    from resume_ner.execution import PreloadedLauncher, server_started
    launcher = PreloadedLauncher()
    print("before", server_started())
    launcher.start_server()
    print("started", server_started())
    launcher.warm_up()
    launcher.start_server()
    print("ready", server_started())
    import resume_ner.execution.preload
    from transformers import conversion_mapping
    print("renamings built", conversion_mapping._checkpoint_conversion_mapping_cache is not None)
    import sys
    print("database store", "mlflow.store.tracking.sqlalchemy_store" in sys.modules)
""")


@pytest.mark.slow
def test_the_preloaded_server_starts_in_the_background_and_serves_once_ready():
    result = subprocess.run([sys.executable, "-c", SERVER], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:5] == [
        "before False",
        "started True",
        "ready True",
        "renamings built True",
        "database store True",
    ]
