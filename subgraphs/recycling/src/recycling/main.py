"""The recycling subgraph's ASGI app: `uvicorn recycling.main:app`."""

from bunri_shared.app import create_app
from recycling.config import Settings
from recycling.context import Context
from recycling.schema import schema

app = create_app(settings=Settings(), schema=schema, context_class=Context)
