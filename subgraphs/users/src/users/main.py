"""The users subgraph's ASGI app: `uvicorn users.main:app`."""

from bunri_shared.app import create_app
from users.config import Settings
from users.context import Context
from users.schema import schema

app = create_app(settings=Settings(), schema=schema, context_class=Context)
