"""examples/web: its generated code and trusted-documents manifest are current and valid.

Like the SDLs: `npm run codegen` writes examples/web/src/gql/ (typed documents and
persisted-documents.json, the manifest of every operation the app sends); a change to an
operation or to router/api.graphql without regenerating fails here.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from graphql import OperationDefinitionNode, build_schema, parse, validate

from devstack.paths import API_SDL, REPO_ROOT

WEB = REPO_ROOT / "examples" / "web"
CODEGEN = WEB / "node_modules" / ".bin" / "graphql-codegen"
MANIFEST = WEB / "src" / "gql" / "persisted-documents.json"
OPERATIONS = {
    "SignUp",
    "LogIn",
    "RefreshSession",
    "LogOut",
    "SetLanguage",
    "MyHistory",
    "CreateUpload",
    "Analyze",
    "Progress",
    "AnalysisResult",
}

needs_install = pytest.mark.skipif(
    not CODEGEN.exists(), reason="examples/web/node_modules is missing: run `make setup`"
)


def _codegen_check(web: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CODEGEN), "--config", "codegen.ts", "--check"],
        cwd=web,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@needs_install
def test_generated_code_and_manifest_are_current() -> None:
    done = _codegen_check(WEB)
    assert done.returncode == 0, f"run `cd examples/web && npm run codegen`:\n{done.stdout}"


@needs_install
def test_a_changed_operation_makes_them_stale(tmp_path: Path) -> None:
    web = tmp_path / "examples" / "web"
    shutil.copytree(WEB, web, ignore=shutil.ignore_patterns("node_modules", "dist"))
    (web / "node_modules").symlink_to(WEB / "node_modules")
    (tmp_path / "router").mkdir()
    shutil.copy(API_SDL, tmp_path / "router" / "api.graphql")
    assert _codegen_check(web).returncode == 0
    operations = web / "src" / "operations.ts"
    operations.write_text(
        operations.read_text(encoding="utf-8").replace("      nickname\n", "      avatarUrl\n", 1),
        encoding="utf-8",
    )
    assert _codegen_check(web).returncode != 0


@needs_install
def test_the_app_type_checks_against_the_generated_types() -> None:
    done = subprocess.run(
        [str(WEB / "node_modules" / ".bin" / "tsc"), "--noEmit"],
        cwd=WEB,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_manifest_lists_every_operation_valid_and_hashed() -> None:
    manifest: dict[str, str] = json.loads(MANIFEST.read_text(encoding="utf-8"))
    schema = build_schema(API_SDL.read_text(encoding="utf-8"))
    names = set()
    for key, document in manifest.items():
        assert key == "sha256:" + hashlib.sha256(document.encode()).hexdigest()
        parsed = parse(document)
        assert validate(schema, parsed) == [], document
        names |= {
            d.name.value
            for d in parsed.definitions
            if isinstance(d, OperationDefinitionNode) and d.name
        }
    assert names == OPERATIONS
