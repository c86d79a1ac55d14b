"""The waste subgraph's ASGI app: `uvicorn waste.main:app`."""

from bunri_shared.app import create_app
from waste.config import Settings
from waste.context import Context
from waste.schema import schema

app = create_app(settings=Settings(), schema=schema, context_class=Context)
