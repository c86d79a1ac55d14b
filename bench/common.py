"""What every benchmark needs: a prepared stack, and percentiles."""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from devstack.embedded import free_port, free_port_block, local_servers
from devstack.paths import data_dir
from devstack.stack import Stack
from devstack.subgraphs import load_subgraphs


@contextmanager
def bench_stack() -> Iterator[Stack]:
    root = data_dir() / "bench"
    with local_servers(root, pg_port=free_port(), redis_port=free_port()) as servers:
        base = free_port_block(8)
        stack = Stack(
            servers=servers,
            database="bunri_bench",
            subgraphs=load_subgraphs(base_port=base),
            gateway_port=base + 7,
            data_dir=root,
            # One benchmark user sends hundreds of analyses.
            env_overrides={
                "BUNRI_ANALYSES_PER_USER_PER_HOUR": "1000000",
                "BUNRI_UPLOADS_PER_USER_PER_HOUR": "1000000",
            },
        )
        stack.prepare(fresh=True)
        yield stack


def bench_log_dir() -> Path:
    """Where the stack's process logs go during a benchmark."""
    path = data_dir() / "bench" / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def summary(samples_ms: list[float]) -> str:
    ordered = sorted(samples_ms)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * len(ordered)))]
    return (
        f"n={len(ordered)} p50={statistics.median(ordered):.2f} ms "
        f"p99={p99:.2f} ms max={ordered[-1]:.2f} ms"
    )
