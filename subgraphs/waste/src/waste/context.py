from __future__ import annotations

from functools import cached_property
from typing import cast

from bunri_shared.context import RequestContext
from waste.config import Settings
from waste.events import ProgressHub
from waste.loaders import Loaders


class Context(RequestContext):
    @cached_property
    def loaders(self) -> Loaders:
        return Loaders(self.sessions)

    @property
    def settings(self) -> Settings:
        return cast(Settings, self.resources.settings)

    @property
    def progress_hub(self) -> ProgressHub:
        return cast(ProgressHub, self.connection.app.state.progress_hub)
