from __future__ import annotations

from functools import cached_property

from auth.loaders import Loaders
from bunri_shared.context import RequestContext


class Context(RequestContext):
    @cached_property
    def loaders(self) -> Loaders:
        return Loaders(self.sessions)
