"""The taxonomy held in memory: every category, by code and by parent.

A few dozen rows that change only when the seeder runs, read by nearly every operation
(lists, entity references from the other subgraphs, items' categories). Each process keeps
one snapshot, taken at a data version (bunri_shared.data_version), and takes a new one the
first time it is asked after the version moved.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from recycling.models import Category


@dataclass(frozen=True, slots=True)
class Catalogue:
    version: int | None
    by_code: dict[str, Category]
    by_parent: dict[str | None, list[Category]] = field(repr=False)

    @classmethod
    def of(cls, version: int | None, categories: Iterable[Category]) -> Catalogue:
        by_parent: defaultdict[str | None, list[Category]] = defaultdict(list)
        for category in sorted(categories, key=lambda c: c.position):
            by_parent[category.parent_code].append(category)
        by_code = {c.code: c for group in by_parent.values() for c in group}
        return cls(version, by_code, dict(by_parent))

    def category(self, code: str) -> Category | None:
        return self.by_code.get(code)

    def children(self, code: str | None) -> list[Category]:
        """Ordered by position; `None`: the top level."""
        return self.by_parent.get(code, [])


Loader = Callable[[], Awaitable[Catalogue]]


class CatalogueCache:
    """One snapshot per process; concurrent requests after a change share one reload."""

    def __init__(self) -> None:
        self._current: Catalogue | None = None
        self._lock = asyncio.Lock()

    async def get(self, version: int | None, load: Loader) -> Catalogue:
        current = self._current
        # An unknown version (the database was away at start-up) is never trusted.
        if current is not None and version is not None and current.version == version:
            return current
        async with self._lock:
            current = self._current
            if current is None or version is None or current.version != version:
                current = self._current = await load()
        return current
