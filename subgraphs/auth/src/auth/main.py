"""The auth subgraph's ASGI app: `uvicorn auth.main:app`."""

from auth.config import Settings
from auth.context import Context
from auth.schema import schema
from bunri_shared.app import create_app

app = create_app(settings=Settings(), schema=schema, context_class=Context)
