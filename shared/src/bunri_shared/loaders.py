"""Helpers for DataLoaders: one SQL statement per batch, results in key order."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def in_key_order(keys: Sequence[K], rows: Iterable[V], key: Callable[[V], K]) -> list[V | None]:
    """DataLoader results must line up with the keys; a missing row is None."""
    by_key = {key(row): row for row in rows}
    return [by_key.get(k) for k in keys]


def grouped_in_key_order(
    keys: Sequence[K], rows: Iterable[V], key: Callable[[V], K]
) -> list[list[V]]:
    """For one-to-many loaders: a (possibly empty) list per key."""
    groups: dict[K, list[V]] = {k: [] for k in keys}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    return [groups[k] for k in keys]
