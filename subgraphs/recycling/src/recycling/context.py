from __future__ import annotations

from bunri_shared.context import RequestContext
from recycling import service
from recycling.catalogue import Catalogue, CatalogueCache


class Context(RequestContext):
    async def catalogue(self) -> Catalogue:
        """The taxonomy, from memory unless the data version moved since it was read."""
        state = self.connection.app.state
        cache: CatalogueCache = state.catalogue

        async def load() -> Catalogue:
            async with self.sessions() as session:
                return await service.load_catalogue(session=session)

        return await cache.get(state.data_version.version, load)
