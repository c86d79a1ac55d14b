"""Where things are: the repo root and the project-local, git-ignored data directory."""

from __future__ import annotations

import os
from pathlib import Path


def _find_root() -> Path:
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "supergraph.yaml").is_file():
            return parent
    raise RuntimeError("cannot find the repository root (no supergraph.yaml above devstack)")


REPO_ROOT = _find_root()
ROUTER_DIR = REPO_ROOT / "router"
SUPERGRAPH_CONFIG = REPO_ROOT / "supergraph.yaml"
SUPERGRAPH_SDL = ROUTER_DIR / "supergraph.graphql"
# The client-facing API (composed public schema), written beside the supergraph.
API_SDL = ROUTER_DIR / "api.graphql"
# ../shared beside the checkout: original reference data and JSON schemas, when present.
SHARED_MATERIAL = REPO_ROOT.parent / "shared"


def data_dir() -> Path:
    path = Path(os.environ.get("BUNRI_DATA_DIR", REPO_ROOT / ".data"))
    path.mkdir(parents=True, exist_ok=True)
    return path
