# Bunri — one target per verb. Everything installs into the project (.tools, .venv,
# router/node_modules); nothing is installed system-wide.
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/venv/bin/uv
VENV := .venv
BUNRI := $(VENV)/bin/bunri
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)

.PHONY: help setup dev web test lint format schema schema-check compose migrate import-sites bench clean

help:
	@echo "make dev      install what is missing, then run the whole stack (Ctrl-C stops it)"
	@echo "make web      serve the example web app (examples/web) on :5173 against make dev"
	@echo "make test [SUBGRAPH=name] [ARGS='-k foo -x']   install what is missing, run the tests"
	@echo "make lint     ruff (Python), tsc + Biome (router TypeScript/JavaScript)"
	@echo "make schema   export every subgraph SDL and compose router/supergraph.graphql"
	@echo "make schema-check [BASE=origin/main]   stale SDLs, composition, breaking changes"
	@echo "make bench [BENCH=nearby|analysis|api|progress|hostile|tracing]   print benchmark figures"
	@echo "make migrate  create roles/schemas, migrate and load reference data"
	@echo "make import-sites FILE=path.csv [PRUNE=1]   import KECO-format drop-off sites"

setup: $(VENV)/.installed router/node_modules/.installed examples/web/node_modules/.installed

$(UV):
	$(PYTHON) -m venv .tools/venv
	.tools/venv/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: $(UV) uv.lock pyproject.toml shared/pyproject.toml devstack/pyproject.toml $(wildcard subgraphs/*/pyproject.toml)
	$(UV) sync --frozen --quiet
	@touch $@

router/node_modules/.installed: router/package-lock.json router/package.json
	cd router && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The example web app (Vite 8 needs Node >= 20.19 and npm >= 11 for its lockfile).
# `npm install`, not `npm ci`: Vite 8 names a Windows-only optional package the reachable
# registry does not serve, so the lock cannot record it and `npm ci` refuses the lock; the
# lock still fixes every version installed here.
examples/web/node_modules/.installed: examples/web/package-lock.json examples/web/package.json
	cd examples/web && npm install --no-audit --no-fund --loglevel=error
	@touch $@

dev: setup
	$(BUNRI) dev

# Serves examples/web on http://127.0.0.1:5173 (Vite dev server) against `make dev`.
web: setup
	cd examples/web && npm run dev

# SUBGRAPH=name: only subgraphs/<name>/tests, and only what they need is installed and
# started (fast-layer tests start Postgres alone; the whole stack starts only if a selected
# test asks for it). ARGS pass through to pytest, e.g. ARGS="-k search -x".
ifdef SUBGRAPH
# ARGS naming files of that subgraph's tests run only those (`ARGS="subgraphs/waste/tests/x.py"`).
TEST_PATHS := $(if $(filter subgraphs/$(SUBGRAPH)/%,$(ARGS)),,subgraphs/$(SUBGRAPH)/tests)
TEST_NEEDS := $(VENV)/.installed router/node_modules/.installed
else
TEST_NEEDS := setup
endif

test: $(TEST_NEEDS)
	@test -z "$(SUBGRAPH)" -o -d "subgraphs/$(SUBGRAPH)/tests" || \
		(echo "no subgraph '$(SUBGRAPH)': one of $(notdir $(wildcard subgraphs/*))" && exit 2)
	$(VENV)/bin/pytest $(TEST_PATHS) $(ARGS)

# Installs only what it runs: the Python venv and the router's packages (tsc and Biome
# need the gateway's types), never the example web app's.
lint: $(VENV)/.installed router/node_modules/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	cd router && npm run --silent lint

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

schema: setup
	$(BUNRI) export-schema
	$(BUNRI) compose

# Fails on stale SDLs, failed composition, or a breaking API change against BASE (default
# origin/main; a checkout without that remote, e.g. a local worktree, compares with main).
DEFAULT_BASE = $(shell git rev-parse -q --verify origin/main >/dev/null 2>&1 && echo origin/main || echo main)
schema-check: setup
	$(BUNRI) schema-check --base $(or $(BASE),$(DEFAULT_BASE))

compose: setup
	$(BUNRI) compose

migrate: setup
	$(BUNRI) prepare

import-sites: setup
	@test -n "$(FILE)" || (echo "usage: make import-sites FILE=path/to/sites.csv" && exit 2)
	$(BUNRI) import-sites "$(FILE)" $(if $(PRUNE),--prune)

clean:
	rm -rf .venv .tools router/node_modules examples/web/node_modules

BENCH ?= nearby
bench: setup
	$(VENV)/bin/python -m bench.$(BENCH)
