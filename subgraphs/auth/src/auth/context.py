from __future__ import annotations

from functools import cached_property
from typing import cast

from auth.config import Settings
from auth.keys import SigningKeys
from auth.loaders import Loaders
from bunri_shared.context import RequestContext


class Context(RequestContext):
    @cached_property
    def loaders(self) -> Loaders:
        return Loaders(self.sessions)

    @property
    def settings(self) -> Settings:
        return cast(Settings, self.resources.settings)

    @property
    def keys(self) -> SigningKeys:
        return cast(SigningKeys, self.connection.app.state.signing_keys)
