"""A throw-away PostgreSQL server for the tests and the PostgreSQL benchmark.

:func:`start_server` finds ``initdb``/``pg_ctl`` (``$PG_BINDIR``, ``/usr/lib/postgresql/*/bin``,
then ``PATH``), creates a cluster in a fresh temporary directory, starts it on a free port
(TCP on 127.0.0.1 only, trust authentication, unix socket inside the temporary directory)
and returns a :class:`PgServer`; :meth:`PgServer.stop` stops it and removes the directory.

PostgreSQL refuses to run as root: as root the directory is handed to the ``postgres`` OS
user and every server command runs through ``runuser -u postgres --`` (or ``su``).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

SUPERUSER = "postgres"  # the database superuser initdb creates (-U)


class PgUnavailable(RuntimeError):
    """No PostgreSQL server binaries on this machine, or the server did not start."""


def find_bindir() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl`` (the newest installed version), or None."""
    candidates: list[str] = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(os.environ["PG_BINDIR"])

    def version(path: str) -> float:
        try:
            return float(Path(path).parent.name)
        except ValueError:
            return 0.0

    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(str(Path(initdb).resolve().parent))
    for c in candidates:
        if (Path(c) / "initdb").is_file() and (Path(c) / "pg_ctl").is_file():
            return Path(c)
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    """One running throw-away cluster."""

    bindir: Path
    base: Path
    port: int = 0
    run_as: str | None = None  # OS user that owns the cluster when we are root
    started: bool = field(default=False, init=False)

    @property
    def data(self) -> Path:
        return self.base / "data"

    def _cmd(self, *args: str) -> list[str]:
        if self.run_as is None:
            return list(args)
        if shutil.which("runuser"):
            return ["runuser", "-u", self.run_as, "--", *args]
        import shlex

        return ["su", self.run_as, "-s", "/bin/sh", "-c", shlex.join(args)]

    def _run(self, *args: str, timeout: float = 120) -> None:
        proc = subprocess.run(self._cmd(*args), capture_output=True, text=True, timeout=timeout, cwd=self.base)
        if proc.returncode != 0:
            raise PgUnavailable(f"{' '.join(args[:2])} failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}")

    def init(self) -> None:
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", SUPERUSER, "--auth=trust",
                  "-E", "UTF8", "--locale=C", "--no-sync")  # fmt: skip
        with open(self.data / "pg_hba.conf", "w") as f:  # TCP from 127.0.0.1 and the socket only
            f.write("local all all trust\nhost all all 127.0.0.1/32 trust\n")

    def start(self, attempts: int = 3) -> None:
        last: Exception | None = None
        for _ in range(attempts):
            self.port = _free_port()
            opts = (f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off "
                    "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60 "
                    "-c shared_buffers=128MB")  # fmt: skip
            try:
                self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.base / "server.log"),
                          "-w", "-t", "60", "-o", opts, "start")  # fmt: skip
                self.started = True
                return
            except PgUnavailable as e:  # most likely the port was taken in between: try another
                last = e
                time.sleep(0.2)
        log = (self.base / "server.log").read_text(errors="replace")[-2000:] if (self.base / "server.log").exists() else ""
        raise PgUnavailable(f"PostgreSQL did not start: {last}\n{log}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str, database: str = "postgres") -> None:
        """Run one statement in autocommit mode (CREATE DATABASE and friends)."""
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as con:
            con.execute(sql)  # type: ignore[arg-type]

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create database ``name`` (optionally a copy of ``template``); return its URL."""
        tmpl = f' TEMPLATE "{template}"' if template else ""
        self.execute(f'CREATE DATABASE "{name}"{tmpl}')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        try:
            if self.started:
                subprocess.run(self._cmd(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                                         "-w", "stop"), capture_output=True, timeout=60, cwd=self.base)  # fmt: skip
                self.started = False
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


def start_server(prefix: str = "dm_pg_") -> PgServer:
    """Create and start a cluster in a new temporary directory (see the module docstring)."""
    bindir = find_bindir()
    if bindir is None:
        raise PgUnavailable(
            "PostgreSQL server binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin or PATH; "
            "install them (`apt-get install postgresql`, which `make test` does when run as root) or set PG_BINDIR"
        )
    run_as: str | None = None
    # a directory every user can reach (pytest's own tmp dirs are private to the current user)
    base = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp" if Path("/tmp").is_dir() else None))
    if os.geteuid() == 0:
        run_as = os.environ.get("PG_OS_USER", "postgres")
        try:
            pw = pwd.getpwnam(run_as)
        except KeyError:
            shutil.rmtree(base, ignore_errors=True)
            raise PgUnavailable(f"running as root but there is no '{run_as}' OS user to run PostgreSQL") from None
        os.chown(base, pw.pw_uid, pw.pw_gid)
    os.chmod(base, 0o700)
    server = PgServer(bindir=bindir, base=base, run_as=run_as)
    try:
        server.init()
        server.start()
    except BaseException:
        server.stop()
        raise
    return server
