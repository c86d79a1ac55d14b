"""The subgraph registry, read from supergraph.yaml (the one list of subgraphs)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import yaml

from devstack.paths import REPO_ROOT, SUPERGRAPH_CONFIG

BASE_PORT = 4001


@dataclass(frozen=True, slots=True)
class Subgraph:
    name: str
    routing_url: str
    schema_file: Path
    port: int

    @property
    def directory(self) -> Path:
        return REPO_ROOT / "subgraphs" / self.name

    @property
    def role(self) -> str:
        """The Postgres role that owns this subgraph's schema (and nothing else)."""
        return f"bunri_{self.name}"

    @property
    def db_schema(self) -> str:
        return self.name

    @property
    def app(self) -> str:
        return f"{self.name}.main:app"

    @property
    def schema_symbol(self) -> str:
        return f"{self.name}.schema:schema"

    def local_url(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}/graphql"

    @property
    def extensions(self) -> tuple[str, ...]:
        """Postgres extensions the subgraph needs, from `[tool.bunri]` in its pyproject."""
        pyproject = tomllib.loads((self.directory / "pyproject.toml").read_text())
        return tuple(pyproject.get("tool", {}).get("bunri", {}).get("extensions", ()))

    @property
    def has_worker(self) -> bool:
        return (self.directory / "src" / self.name / "tasks.py").is_file()


def load_subgraphs(config: Path = SUPERGRAPH_CONFIG, base_port: int = BASE_PORT) -> list[Subgraph]:
    data = yaml.safe_load(config.read_text())
    return [
        Subgraph(
            name=name,
            routing_url=entry["routing_url"],
            schema_file=(config.parent / entry["schema"]["file"]).resolve(),
            port=base_port + index,
        )
        for index, (name, entry) in enumerate(data["subgraphs"].items())
    ]
