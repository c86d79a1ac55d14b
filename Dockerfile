# syntax=docker/dockerfile:1.7
# One recipe for every Bunri Python image; PACKAGE picks what goes in:
#   docker build --build-arg PACKAGE=bunri-waste -t bunri/waste .   a subgraph (and its worker)
#   docker build --build-arg PACKAGE=all -t bunri/tools .           every package: migrations
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

FROM ghcr.io/astral-sh/uv:0.13.9 AS uv

FROM ${PYTHON_IMAGE} AS build
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
ARG PACKAGE
RUN test -n "$PACKAGE" || (echo "build with --build-arg PACKAGE=bunri-<subgraph>|all" && exit 1)

# Dependencies first, from the lockfile alone: this layer survives code changes.
COPY pyproject.toml uv.lock ./
COPY shared/pyproject.toml shared/
COPY devstack/pyproject.toml devstack/
COPY subgraphs/auth/pyproject.toml subgraphs/auth/
COPY subgraphs/users/pyproject.toml subgraphs/users/
COPY subgraphs/waste/pyproject.toml subgraphs/waste/
COPY subgraphs/recycling/pyproject.toml subgraphs/recycling/
COPY subgraphs/locations/pyproject.toml subgraphs/locations/
RUN --mount=type=cache,target=/root/.cache/uv \
    if [ "$PACKAGE" = all ]; then select="--all-packages"; else select="--package $PACKAGE"; fi; \
    uv sync --frozen --no-dev --no-install-workspace $select

# Then the project itself, installed (not editable) into the same environment.
COPY shared shared
COPY devstack devstack
COPY subgraphs subgraphs
COPY supergraph.yaml ./
RUN --mount=type=cache,target=/root/.cache/uv \
    if [ "$PACKAGE" = all ]; then select="--all-packages"; else select="--package $PACKAGE"; fi; \
    uv sync --frozen --no-dev --no-editable $select

FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 bunri \
    && useradd --system --uid 10001 --gid bunri --home-dir /app --shell /usr/sbin/nologin bunri \
    && mkdir -p /data/uploads && chown -R bunri:bunri /data
WORKDIR /app
COPY --from=build /app/.venv /app/.venv
# Migrations and reference data travel with the image; tests do not.
COPY --from=build /app/supergraph.yaml /app/supergraph.yaml
COPY --from=build /app/subgraphs /app/subgraphs
# /data/uploads exists (owned by bunri) so a named volume mounted there inherits it.
# Keep-alive longer than the gateway's idle connections live: else a subgraph closes one
# just as the gateway reuses it, and the fetch fails with "socket hang up".
# No per-message deflate on subgraph WebSockets: only the gateway connects to them, over
# the internal network, and each subscription event is a few hundred bytes; compressing
# every one cost waste ~5 % of its CPU per event (bench/README.md, progress).
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    BUNRI_DATA_DIR=/data \
    UVICORN_TIMEOUT_KEEP_ALIVE=75 \
    UVICORN_WS_PER_MESSAGE_DEFLATE=false
USER bunri
EXPOSE 8000
# Each compose service sets its command (uvicorn <name>.main:app, dramatiq <name>.tasks, …).
CMD ["python", "-c", "print('set a command: see docker-compose.yml')"]
