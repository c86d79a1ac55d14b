"""What every benchmark needs: a prepared stack, percentiles, process figures, uploads."""

from __future__ import annotations

import io
import os
import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from PIL import Image

from devstack.embedded import free_port, free_port_block, local_servers
from devstack.paths import data_dir
from devstack.stack import Stack
from devstack.subgraphs import load_subgraphs
from devstack.testing import graphql

CREATE_UPLOAD = """mutation ($i: CreateImageUploadInput!) { createImageUpload(input: $i) {
  uploadId uploadUrl } }"""


@contextmanager
def bench_stack(env: dict[str, str] | None = None) -> Iterator[Stack]:
    """A fresh stack; `env` adds settings for the subgraph processes of one benchmark."""
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
                # Benchmarks sign up several users from 127.0.0.1, run after run.
                "BUNRI_SIGNUPS_PER_ADDRESS_PER_HOUR": "1000000",
                **(env or {}),
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


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * len(ordered)))]


def process_tree(pid: int) -> list[int]:
    """A process and all its descendants (Dramatiq and some CLIs fork)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, ()))
    return found


def rss_kib(pid: int) -> int:
    """Resident memory (VmRSS) of a process and its descendants, summed."""
    total = 0
    for current in process_tree(pid):
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its live descendants."""
    ticks = 0
    for current in process_tree(pid):
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def jpeg(seed: int) -> bytes:
    """A small distinct JPEG per seed (the image hash keys the analysis cache)."""
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (seed % 256, (seed // 256) % 256, 99)).save(out, "JPEG")
    return out.getvalue()


def upload(gateway: str, token: str, data: bytes) -> str:
    """Reserve an upload through the gateway and PUT the bytes, as a client does."""
    reserved = graphql(
        gateway,
        CREATE_UPLOAD,
        {"i": {"contentType": "image/jpeg", "byteSize": len(data)}},
        token=token,
    )["data"]["createImageUpload"]
    httpx.put(reserved["uploadUrl"], content=data, headers={"Content-Type": "image/jpeg"})
    return reserved["uploadId"]
