"""The recycling subgraph's ASGI app: `uvicorn recycling.main:app`."""

from bunri_shared.app import create_app
from recycling.catalogue import CatalogueCache
from recycling.config import Settings
from recycling.context import Context
from recycling.models import DATA_VERSION
from recycling.schema import schema

app = create_app(
    settings=Settings(), schema=schema, context_class=Context, data_version=DATA_VERSION
)
app.state.catalogue = CatalogueCache()
