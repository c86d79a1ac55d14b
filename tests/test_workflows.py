"""The GitHub Actions workflows are valid (checked against the vendored schema, offline)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from devstack.paths import REPO_ROOT

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))


def test_workflows_follow_the_github_actions_schema() -> None:
    assert {w.name for w in WORKFLOWS} >= {"ci.yml", "schema.yml", "images.yml"}
    checker = Path(sys.executable).with_name("check-jsonschema")
    done = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_ci_runs_the_readme_commands_and_the_schema_check_runs_on_pull_requests() -> None:
    ci = yaml.safe_load((REPO_ROOT / ".github/workflows/ci.yml").read_text())
    commands = [step.get("run") for job in ci["jobs"].values() for step in job["steps"]]
    assert "make test" in commands and "make lint" in commands
    schema = (REPO_ROOT / ".github/workflows/schema.yml").read_text()
    assert "pull_request" in schema and "make schema-check" in schema


def test_image_builds_are_filtered_per_service() -> None:
    images = yaml.safe_load((REPO_ROOT / ".github/workflows/images.yml").read_text())
    filters = yaml.safe_load(images["jobs"]["changes"]["steps"][1]["with"]["filters"])
    for name in ("auth", "users", "waste", "recycling", "locations"):
        assert f"subgraphs/{name}/**" in filters[name]
        assert not any(
            f"subgraphs/{other}/**" in filters[name] for other in filters if other != name
        )
