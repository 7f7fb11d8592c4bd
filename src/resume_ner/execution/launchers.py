"""Two ways to start a child run: a fresh interpreter, or a fork of a server that has preloaded torch.

Both give the child its own process, environment, working folder and output files; a launcher returns a handle
with ``pid``, ``poll``, ``send_signal``, ``kill`` and ``wait``.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import multiprocessing
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from importlib.machinery import ModuleSpec
from pathlib import Path
from typing import Protocol, TypeVar

from resume_ner.execution.command import LaunchSettings, is_training_command
from resume_ner.training.lifeline import can_outlive_exec, tied_command
from resume_ner.training.protocol import PARENT_PID_VARIABLE

logger = logging.getLogger(__name__)

PRELOAD_MODULES = ("resume_ner.execution.preload",)
# The Kedro tag of the nodes that launch training children (hpo's run_study, the training runs' execute_run): a
# pipeline holding one starts the preloaded server as it starts (``hooks.StartTrainingServerHook``).
LAUNCHES_TRAINING = "launches_training"
T = TypeVar("T")


class ChildHandle(Protocol):
    pid: int

    def poll(self) -> int | None: ...
    def send_signal(self, signum: int) -> None: ...
    def kill(self) -> None: ...
    def wait(self, timeout: float | None = None) -> int | None: ...


class Launcher(Protocol):
    def start(self, command: list[str], env: dict[str, str], cwd: Path, stdout: Path, stderr: Path) -> ChildHandle: ...


class ProcessLauncher:
    """``subprocess.Popen`` of the command in its own session (a Ctrl-C in the terminal reaches only the
    parent, which then stops the child itself), tied to the parent's life.

    On Linux every command goes through ``lifeline``'s exec wrapper, so whatever it is (the training program,
    torchrun) gets SIGTERM when this process dies, even by SIGKILL; torchrun passes it on to its workers. The
    kernel sends that signal when the *thread* that started the child ends, so every child is started from one
    thread that lives as long as the process (``_SPAWNER``), never from the caller's, which may be a
    short-lived worker thread.
    """

    def start(self, command, env, cwd, stdout, stderr) -> ChildHandle:
        env = dict(env)
        if is_training_command(command):
            env[PARENT_PID_VARIABLE] = str(os.getpid())
        if can_outlive_exec():
            _check_runnable(command[0], env)
            command = tied_command(command, os.getpid())
        with open(stdout, "ab") as out, open(stderr, "ab") as err:
            process = _SPAWNER.run(
                lambda: subprocess.Popen(
                    command, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True
                )
            )
        return _Popen(process)


def _check_runnable(program: str, env: dict[str, str]) -> None:
    """Fail in the parent, as Popen would, when ``program`` cannot be found, rather than in the wrapper."""
    if shutil.which(program, path=env.get("PATH", os.defpath)) is None:
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", program)


class _SpawnThread:
    """One daemon thread that runs every launch, started on first use; it ends only with the process."""

    def __init__(self) -> None:
        self._requests: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def run(self, launch: Callable[[], T]) -> T:
        """``launch()`` on the spawn thread; its result or exception comes back to the caller."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="resume-ner-spawner", daemon=True)
                self._thread.start()
        done: Future = Future()
        self._requests.put((launch, done))
        return done.result()

    def _serve(self) -> None:
        while True:
            launch, done = self._requests.get()
            try:
                done.set_result(launch())
            except Exception as error:  # handed to the caller, who raises it
                done.set_exception(error)


_SPAWNER = _SpawnThread()


class _Popen:
    def __init__(self, process: subprocess.Popen) -> None:
        self._process = process
        self.pid = process.pid

    def poll(self) -> int | None:
        return _exit_status(self._process.poll())

    def send_signal(self, signum: int) -> None:
        if self._process.poll() is None:
            self._process.send_signal(signum)

    def kill(self) -> None:
        if self._process.poll() is None:
            self._process.kill()

    def wait(self, timeout: float | None = None) -> int | None:
        try:
            return _exit_status(self._process.wait(timeout))
        except subprocess.TimeoutExpired:
            return None


class PreloadedLauncher:
    """Fork each child from a multiprocessing fork server that imported torch, transformers and the training
    program once (``PRELOAD_MODULES``); the child then runs the training program's ``main`` with the command's
    arguments, in its own session, environment and folder.

    The server starts on the first launch (or ``warm_up``) and exits with the parent; a child's parent is the
    server, so a child dies with it (see ``lifeline``). Only the training program's own command can run this
    way; any other command (torchrun) is started as a fresh process, and the fallback is logged.

    The server starts with the allow-listed environment a fresh child gets (``build_training_env``), never the
    parent's whole one: a forked child's environment block (``/proc/PID/environ``) is the server's, so a secret
    the server had would be readable in every child even after the child replaces ``os.environ``.
    """

    def __init__(self, preload: tuple[str, ...] = PRELOAD_MODULES) -> None:
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(list(preload))
        self._fallback = ProcessLauncher()

    def start_server(self) -> None:
        """Start the server without waiting for it: its imports run beside the caller's own work, and the first
        launch (or ``warm_up``) waits only for what is left of them. A running server is left as it is."""
        with _main_module_not_rerun():
            _ensure_server()

    def warm_up(self) -> None:
        """Start the server if it is not running and wait until it has imported the preloaded modules."""
        process = self._context.Process(target=_noop, daemon=True)
        with _main_module_not_rerun():
            _ensure_server()
            process.start()
        process.join()

    def start(self, command, env, cwd, stdout, stderr) -> ChildHandle:
        if not is_training_command(command):
            logger.info(
                "Preloaded launch runs only the training program itself; starting %s as a fresh process",
                " ".join(command[:4]),
            )
            return self._fallback.start(command, env, cwd, stdout, stderr)
        process = self._context.Process(
            target=run_preloaded_child,
            args=(command[3:], dict(env), str(cwd), str(stdout), str(stderr)),
            name="resume-ner-training",
            daemon=True,
        )
        with _main_module_not_rerun():
            _ensure_server()
            process.start()
        return _Forked(process)


def server_started() -> bool:
    """Whether this process has started the fork server (it runs until the process exits)."""
    from multiprocessing import forkserver

    return getattr(forkserver._forkserver, "_forkserver_pid", None) is not None


def _ensure_server() -> None:
    """Start multiprocessing's fork server, if it is not running, with only the allow-listed environment.

    multiprocessing gives the server the process's environment as it is when the server is spawned, and has no
    option for another; so ``os.environ`` is swapped for the few milliseconds of that spawn (under the launch
    lock, and only when the server is not running yet) and restored at once.
    """
    from multiprocessing import forkserver

    from resume_ner.execution.environment import build_training_env

    if server_started():
        return  # running: it exits only with this process
    allowed = build_training_env()
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(allowed)
    try:
        forkserver.ensure_running()
    finally:
        os.environ.clear()
        os.environ.update(saved)


_MAIN_MODULE_LOCK = threading.Lock()


@contextmanager
def _main_module_not_rerun() -> Iterator[None]:
    """Keep multiprocessing from re-running the parent's main script (kedro's CLI, pytest, ...) in the child.

    multiprocessing prepares each child like a spawned one: it imports the parent's ``__main__`` from its path,
    which costs the child seconds and gives it nothing (it runs the training program, not the parent's code).
    A main module whose spec is named ``__main__`` is skipped by design (``spawn._fixup_main_from_name``).
    """
    main = sys.modules["__main__"]
    with _MAIN_MODULE_LOCK:
        saved = main.__dict__.get("__spec__")
        main.__spec__ = ModuleSpec("__main__", None)
        try:
            yield
        finally:
            main.__spec__ = saved


class _Forked:
    def __init__(self, process: multiprocessing.process.BaseProcess) -> None:
        self._process = process
        assert process.pid is not None, "a started process has a pid"
        self.pid: int = process.pid

    def poll(self) -> int | None:
        return _exit_status(self._process.exitcode)

    def send_signal(self, signum: int) -> None:
        if self._process.exitcode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def wait(self, timeout: float | None = None) -> int | None:
        self._process.join(timeout)
        return _exit_status(self._process.exitcode)


def _noop() -> None:
    pass


def run_preloaded_child(argv: list[str], env: dict[str, str], cwd: str, stdout: str, stderr: str) -> None:
    """The body of a forked child: become what ``python -m resume_ner.training ARGV`` would be, then run it."""
    os.setsid()
    _release_fork_server()
    os.environ.clear()
    os.environ.update(env)
    os.environ[PARENT_PID_VARIABLE] = str(os.getppid())
    os.chdir(cwd)
    sys.stdout.flush()
    sys.stderr.flush()
    for path, fd in ((stdout, 1), (stderr, 2)):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(target, fd)
        os.close(target)
    threads = env.get("OMP_NUM_THREADS")
    if threads and threads.isdigit():
        import torch

        torch.set_num_threads(int(threads))
    sys.argv = ["resume_ner.training", *argv]
    from resume_ner.training.__main__ import main

    code = main(argv)
    sys.stdout.flush()
    sys.stderr.flush()
    sys.exit(code)


def _release_fork_server() -> None:
    """Drop the child's copy of the fork server's keep-alive pipe.

    multiprocessing hands every child the write end of that pipe (so the child could start processes of its
    own); while any child holds it, the server outlives a killed parent, and so would the child. Without it,
    the server exits with the parent and the child gets its parent-death signal (see ``lifeline``).
    """
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    alive = getattr(server, "_forkserver_alive_fd", None)
    if server is not None and alive is not None:
        with contextlib.suppress(OSError):
            os.close(alive)
        server._forkserver_alive_fd = None


def _exit_status(code: int | None) -> int | None:
    """Popen and multiprocessing report death by signal N as -N; shells and our result say 128 + N."""
    if code is None or code >= 0:
        return code
    return 128 - code


def make_launcher(settings: LaunchSettings) -> Launcher:
    return PreloadedLauncher() if settings.mode == "preloaded" else ProcessLauncher()
