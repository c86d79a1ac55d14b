"""The processes of a running Bunri: five subgraphs, their workers and the gateway.

Shared by `bunri dev` (under honcho) and the supergraph tests (as plain subprocesses),
so what the tests run is what a developer runs.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from devstack import database, paths
from devstack.embedded import Servers
from devstack.paths import ROUTER_DIR
from devstack.subgraphs import Subgraph

# Local roles authenticate by trust on the embedded server; deployments set real ones.
DEFAULT_ROLE_PASSWORD = "bunri-dev"
# The gateway's V8 heap ceiling (the container image sets its own below its memory limit).
GATEWAY_HEAP_MB = int(os.environ.get("BUNRI_GATEWAY_HEAP_MB", "1024"))


# `make dev` on a shared box: everyone is 127.0.0.1 and tries things over and over, so the
# abuse limits are generous there (the README lists them). Production defaults stay strict;
# the tests set their own (devstack.testing.TEST_SETTINGS).
DEV_SETTINGS = {
    "BUNRI_SIGNUPS_PER_ADDRESS_PER_HOUR": "1000",
    "BUNRI_LOGIN_FREE_FAILURES_PER_PAIR": "50",
    "BUNRI_LOGIN_FREE_FAILURES_PER_ADDRESS": "500",
    "BUNRI_LOGIN_FAILURES_PER_ACCOUNT": "500",
    "BUNRI_UPLOADS_PER_USER_PER_HOUR": "2000",
    "BUNRI_ANALYSES_PER_USER_PER_HOUR": "2000",
    "BUNRI_STORAGE_QUOTA_BYTES_PER_USER": str(2 * 1024**3),
}


@dataclass(frozen=True, slots=True)
class ProcessSpec:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    health_url: str | None = None


@dataclass(frozen=True, slots=True)
class Stack:
    """Everything needed to run Bunri against one database on one pair of servers."""

    servers: Servers
    database: str
    subgraphs: list[Subgraph]
    gateway_port: int = 4000
    # Password of every subgraph's role, unless `role_passwords` names one for it.
    role_password: str = DEFAULT_ROLE_PASSWORD
    role_passwords: dict[str, str] = field(default_factory=dict)
    # Subgraphs answer only requests carrying this (the gateway adds it); new every run.
    gateway_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    # Signs image upload URLs (waste); new every run, like the URLs' 10-minute life.
    upload_signing_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    # Where the dev signing key and uploads live (project-local, git-ignored).
    data_dir: Path = field(default_factory=paths.data_dir)
    # Settings every subgraph process gets on top of the defaults (tests shorten windows).
    env_overrides: dict[str, str] = field(default_factory=dict)
    # Each worker's /metrics (Dramatiq's exposition server): this port + the subgraph's index.
    worker_metrics_port: int = 9191
    # Browser origins allowed by the gateway AND the upload endpoint (BUNRI_CORS_ORIGINS);
    # empty: whatever the environment says, else the local dev-server origins.
    cors_origins: str = ""

    def _cors_env(self) -> dict[str, str]:
        return {"BUNRI_CORS_ORIGINS": self.cors_origins} if self.cors_origins else {}

    def password_for(self, subgraph: Subgraph) -> str:
        return self.role_passwords.get(subgraph.name, self.role_password)

    def role_url(self, subgraph: Subgraph) -> str:
        return database.role_url(
            self.servers.database_url,
            role=subgraph.role,
            password=self.password_for(subgraph),
            database=self.database,
        )

    def prepare(self, *, fresh: bool = False) -> list[str]:
        """Create database, roles and schemas; migrate; load reference data."""
        database.ensure_database(self.servers.database_url, self.database, fresh=fresh)
        database.bootstrap(
            self.servers.database_url,
            database=self.database,
            subgraphs=self.subgraphs,
            password_for=self.password_for,
        )
        reports = []
        for subgraph in self.subgraphs:
            database.migrate(subgraph, self.role_url(subgraph))
            report = database.seed(subgraph, self.role_url(subgraph))
            if report:
                reports.append(f"{subgraph.name}: {report}")
        return reports

    def subgraph_env(self, subgraph: Subgraph) -> dict[str, str]:
        auth = next(s for s in self.subgraphs if s.name == "auth")
        return {
            "DATABASE_URL": self.role_url(subgraph),
            # Its own ACL user (devstack.redis_acl) when the server has them.
            "REDIS_URL": self.servers.redis_url_for(subgraph.name),
            "BUNRI_GATEWAY_SECRET": self.gateway_secret,
            "BUNRI_JWKS_URL": f"http://127.0.0.1:{auth.port}/.well-known/jwks.json",
            "BUNRI_DATA_DIR": str(self.data_dir),
            "BUNRI_PUBLIC_URL": f"http://127.0.0.1:{subgraph.port}",
            "BUNRI_UPLOAD_SIGNING_KEY": self.upload_signing_key,
            "BUNRI_LOG_LEVEL": "INFO",
            # Dev: may generate its own signing key (production refuses to start without).
            "BUNRI_ENV": "dev",
            **self._cors_env(),
            **self.env_overrides,
        }

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}/graphql"

    def worker_metrics_url(self, subgraph: Subgraph) -> str:
        return f"http://127.0.0.1:{self.worker_metrics_port + self.subgraphs.index(subgraph)}/"

    def worker_env(self, subgraph: Subgraph) -> dict[str, str]:
        """Worker metrics in prometheus_client's multiprocess mode: a directory of its own,
        emptied at every start (old files would add to the new counts)."""
        directory = self.data_dir / "worker-metrics" / subgraph.name
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        return {
            **self.subgraph_env(subgraph),
            # Workers have a Redis ACL user of their own (devstack.redis_acl).
            "REDIS_URL": self.servers.redis_url_for(f"{subgraph.name}-worker"),
            "PROMETHEUS_MULTIPROC_DIR": str(directory),
            "dramatiq_prom_db": str(directory),
            "dramatiq_prom_host": "127.0.0.1",
            "dramatiq_prom_port": str(self.worker_metrics_port + self.subgraphs.index(subgraph)),
        }

    def processes(self, *, supergraph: Path, python: str = sys.executable) -> list[ProcessSpec]:
        specs: list[ProcessSpec] = []
        for subgraph in self.subgraphs:
            env = self.subgraph_env(subgraph)
            specs.append(
                ProcessSpec(
                    name=subgraph.name,
                    argv=[
                        python,
                        "-m",
                        "uvicorn",
                        subgraph.app,
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(subgraph.port),
                        "--no-access-log",
                        "--log-level",
                        "warning",
                        # Longer than the gateway keeps idle connections (see Dockerfile).
                        "--timeout-keep-alive",
                        "75",
                        # Subscription events to the gateway are small (see Dockerfile).
                        "--ws-per-message-deflate",
                        "false",
                    ],
                    env=env,
                    health_url=f"http://127.0.0.1:{subgraph.port}/ready",
                )
            )
            if subgraph.has_worker:
                specs.append(
                    ProcessSpec(
                        name=f"{subgraph.name}-worker",
                        argv=[
                            python,
                            "-m",
                            "dramatiq",
                            f"{subgraph.name}.tasks",
                            "--processes",
                            "1",
                            "--threads",
                            "4",
                            # Stop within the supervisor's grace period; the reconciler
                            # re-runs whatever a stop interrupts.
                            "--worker-shutdown-timeout",
                            "4000",
                        ],
                        env=self.worker_env(subgraph),
                    )
                )
        specs.append(self.gateway_process(supergraph))
        return specs

    def gateway_process(
        self,
        supergraph: Path,
        *,
        name: str = "gateway",
        port: int | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> ProcessSpec:
        """The gateway; tests start more of them (another port, other settings)."""
        port = port or self.gateway_port
        env = {
            # Tracing settings (OTEL_*) apply to the gateway as to every Python process.
            **{k: v for k, v in self.env_overrides.items() if k.startswith("OTEL_")},
            "BUNRI_SUPERGRAPH": str(supergraph),
            "BUNRI_GATEWAY_SECRET": self.gateway_secret,
            **self._cors_env(),
            # A ceiling below the machine's memory: one runaway operation must not take the
            # whole host (it crashes this process, which the supervisor restarts).
            "NODE_OPTIONS": f"--max-old-space-size={GATEWAY_HEAP_MB}",
            **{
                f"BUNRI_SUBGRAPH_URL_{subgraph.name.upper()}": subgraph.local_url()
                for subgraph in self.subgraphs
            },
            **(extra_env or {}),
        }
        return ProcessSpec(
            name=name,
            argv=[
                str(ROUTER_DIR / "node_modules" / ".bin" / "hive-gateway"),
                "supergraph",
                str(supergraph),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=env,
            cwd=ROUTER_DIR,
            health_url=f"http://127.0.0.1:{port}/readiness",
        )


def process_env(spec: ProcessSpec) -> dict[str, str]:
    return {**os.environ, **spec.env}
