"""A throw-away PostgreSQL server on loopback, for tests of Optuna's RDBStorage with several workers.

``running_postgres(tmp_dir)`` runs ``initdb`` into a fresh folder, starts the server on a free 127.0.0.1 port
(its Unix socket in the same folder, so it never touches /var/run/postgresql or a system cluster), creates a
database ``optuna`` owned by a password-protected role ``resume_ner``, yields the SQLAlchemy URL, and stops the
server and deletes the folder on exit, also when the body fails. PostgreSQL refuses to run as root, so as root
the server commands run as the ``postgres`` OS user (Debian's package creates it).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import secrets
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

SERVER_PROGRAMS = ("initdb", "pg_ctl", "postgres")
DEBIAN_ROOT = Path("/usr/lib/postgresql")
DATABASE, ROLE, SUPERUSER = "optuna", "resume_ner", "postgres"
START_TIMEOUT_S = 60
COMMAND_TIMEOUT_S = 120
# A Unix socket path must stay under 108 bytes; the server adds "/.s.PGSQL.<port>" to the folder.
MAX_SOCKET_DIR = 80


class PostgresUnavailable(RuntimeError):
    """This machine cannot run a test server (no binaries, or root without a ``postgres`` user): skip, not fail."""


class PostgresError(RuntimeError):
    """The server was there but did not start or answer; the message ends with the server log's tail."""


def _has_server_programs(folder: Path) -> bool:
    return all(os.access(folder / name, os.X_OK) for name in SERVER_PROGRAMS)


def find_postgres_bin() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres: from PATH first, else Debian's highest
    /usr/lib/postgresql/N/bin."""
    found = shutil.which("initdb")
    if found:
        # /usr/local/bin/initdb may be a link; the programs beside its target belong together.
        for folder in (Path(found).parent, Path(found).resolve().parent):
            if _has_server_programs(folder):
                return folder
    if DEBIAN_ROOT.is_dir():
        versions = [p for p in DEBIAN_ROOT.iterdir() if re.fullmatch(r"\d+(\.\d+)?", p.name)]
        for version in sorted(versions, key=lambda p: tuple(int(n) for n in p.name.split(".")), reverse=True):
            if _has_server_programs(version / "bin"):
                return version / "bin"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _log_tail(log: Path, lines: int = 30) -> str:
    try:
        text = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return f"(no server log at {log})"
    return "\n".join(text[-lines:]) or "(server log is empty)"


class _Runner:
    """Runs the server programs as this user, or as ``postgres`` when we are root."""

    def __init__(self, bin_dir: Path):
        self.bin_dir = bin_dir
        self.as_postgres = os.geteuid() == 0
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}  # no PGDATA/PGPORT surprises
        self.env.update(LC_ALL="C", LANG="C")
        if self.as_postgres:
            try:
                self.user = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable(
                    "running as root, and PostgreSQL refuses root: needs the 'postgres' OS user "
                    "(Debian's postgresql package creates it)"
                ) from None
            self.runuser = shutil.which("runuser")
            if self.runuser is None and shutil.which("su") is None:
                raise PostgresUnavailable("running as root without runuser or su to switch to the 'postgres' user")

    def argv(self, *command: str) -> list[str]:
        """``command`` as the server's user; a bare program name means the one in the PostgreSQL bin folder."""
        command = (str(self.bin_dir / command[0]), *command[1:]) if "/" not in command[0] else command
        if not self.as_postgres:
            return list(command)
        if self.runuser:
            return [self.runuser, "-u", "postgres", "--", *command]
        return ["su", "-s", "/bin/sh", "postgres", "-c", shlex.join(command)]

    def run(
        self, program: str, *args: str, cwd: Path, log: Path | None = None, timeout: float = COMMAND_TIMEOUT_S
    ) -> subprocess.CompletedProcess:
        argv = self.argv(program, *args)
        try:
            done = subprocess.run(argv, cwd=cwd, env=self.env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as error:
            raise PostgresError(self._message(f"{program} took over {timeout:.0f} s", argv, error, log)) from None
        if done.returncode != 0:
            raise PostgresError(self._message(f"{program} exited with {done.returncode}", argv, done, log))
        return done

    @staticmethod
    def _message(what: str, argv: list[str], result, log: Path | None) -> str:
        output = "\n".join(str(part) for part in (result.stdout, result.stderr) if part).strip()
        message = f"{what}: {' '.join(argv)}\n{output[-3000:]}"
        if log is not None:
            message += f"\n--- server log ({log}) ---\n{_log_tail(log)}"
        return message

    def give(self, path: Path) -> None:
        if self.as_postgres:
            os.chown(path, self.user.pw_uid, self.user.pw_gid)

    def can_use(self, folder: Path) -> bool:
        """Whether the server's user can write in ``folder`` (as root, its parents may be closed to ``postgres``)."""
        if not self.as_postgres:
            return True
        probe = subprocess.run(
            self.argv("/usr/bin/test", "-w", str(folder)), env=self.env, capture_output=True, timeout=30
        )
        return probe.returncode == 0


def _work_dir(runner: _Runner, tmp_dir: Path) -> Path:
    """A fresh folder the server user owns, with a path short enough for the Unix socket."""
    tmp_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="pg-", dir=tmp_dir))
    runner.give(work)
    if len(str(work)) <= MAX_SOCKET_DIR and runner.can_use(work):
        return work
    # pytest's temporary folders can be long, or (as root) below a 0700 folder that postgres cannot enter.
    shutil.rmtree(work, ignore_errors=True)
    work = Path(tempfile.mkdtemp(prefix="resume-ner-pg-"))
    runner.give(work)
    if not runner.can_use(work):
        shutil.rmtree(work, ignore_errors=True)
        raise PostgresUnavailable(f"the 'postgres' user cannot write in {work.parent}")
    return work


def _connect(**kwargs):
    import psycopg2

    return psycopg2.connect(connect_timeout=5, **kwargs)


def _start(runner: _Runner, data: Path, work: Path, log: Path) -> int:
    """Starts the server on a free port (retrying if another process took it first) and returns the port."""
    for attempt in range(3):
        port = _free_port()
        settings = (
            f"\n# test server (tests/postgres_server.py)\nlisten_addresses = '127.0.0.1'\nport = {port}\n"
            f"unix_socket_directories = '{work}'\nfsync = off\nsynchronous_commit = off\n"
            "full_page_writes = off\nmax_connections = 100\n"
        )
        (data / "postgresql.auto.conf").write_text(settings, encoding="utf-8")
        try:
            runner.run(
                "pg_ctl",
                "start",
                "-D",
                str(data),
                "-l",
                str(log),
                "-w",
                "-t",
                str(START_TIMEOUT_S),
                cwd=work,
                log=log,
                timeout=START_TIMEOUT_S + 15,
            )
            return port
        except PostgresError:
            if attempt == 2 or "already in use" not in _log_tail(log, 10):
                raise
    raise AssertionError("unreachable")


def _wait_for_tcp(url_kwargs: dict, log: Path, timeout: float = 15) -> None:
    """pg_ctl -w saw the socket ready; this retries the password login over TCP a little in case it lags."""
    deadline, last_error = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        try:
            _connect(**url_kwargs).close()
            return
        except Exception as error:  # psycopg2.OperationalError while it starts; keep the last
            last_error = error
            time.sleep(0.1)
    raise PostgresError(
        f"the server did not accept a TCP login within {timeout:.0f} s: {last_error}\n"
        f"--- server log ({log}) ---\n{_log_tail(log)}"
    )


@contextlib.contextmanager
def running_postgres(tmp_dir: Path | str) -> Iterator[str]:
    """A running server with database ``optuna``; yields ``postgresql+psycopg2://resume_ner:<pw>@127.0.0.1:<port>/optuna``.

    Raises ``PostgresUnavailable`` where this machine cannot run one (skip), ``PostgresError`` where it should but
    did not (fail). The server is stopped and its folder deleted on exit.
    """
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        raise PostgresUnavailable(
            f"PostgreSQL server programs ({', '.join(SERVER_PROGRAMS)}) not found on PATH or under {DEBIAN_ROOT}/*/bin"
        )
    runner = _Runner(bin_dir)
    work = _work_dir(runner, Path(tmp_dir))
    data, log = work / "data", work / "server.log"
    try:
        runner.run(
            "initdb",
            "-D",
            str(data),
            "-U",
            SUPERUSER,
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
            cwd=work,
        )
        port = _start(runner, data, work, log)
        password = secrets.token_urlsafe(18)
        try:
            admin = _connect(host=str(work), port=port, user=SUPERUSER, dbname="postgres")
            try:
                admin.autocommit = True
                with admin.cursor() as cursor:
                    cursor.execute(f"CREATE ROLE {ROLE} LOGIN PASSWORD %s", (password,))
                    cursor.execute(f"CREATE DATABASE {DATABASE} OWNER {ROLE}")
            finally:
                admin.close()
        except Exception as error:  # psycopg2.Error; psycopg2 is imported only once a server runs
            raise PostgresError(
                f"could not create the {DATABASE!r} database and the {ROLE!r} role over the socket "
                f"in {work}: {error}\n--- server log ({log}) ---\n{_log_tail(log)}"
            ) from error
        _wait_for_tcp({"host": "127.0.0.1", "port": port, "user": ROLE, "password": password, "dbname": DATABASE}, log)
        yield f"postgresql+psycopg2://{ROLE}:{password}@127.0.0.1:{port}/{DATABASE}"
    finally:
        try:
            if (data / "postmaster.pid").exists():  # also after a start that timed out but may yet come up
                try:
                    runner.run("pg_ctl", "stop", "-D", str(data), "-m", "fast", "-w", "-t", "30", cwd=work, timeout=45)
                except PostgresError:
                    runner.run(
                        "pg_ctl", "stop", "-D", str(data), "-m", "immediate", "-w", "-t", "30", cwd=work, timeout=45
                    )
        finally:
            shutil.rmtree(work, ignore_errors=True)
