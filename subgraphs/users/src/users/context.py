from __future__ import annotations

from functools import cached_property

from bunri_shared.context import RequestContext
from users.loaders import Loaders


class Context(RequestContext):
    @cached_property
    def loaders(self) -> Loaders:
        return Loaders(self.sessions)
