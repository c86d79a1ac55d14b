"""The locations subgraph's ASGI app: `uvicorn locations.main:app`."""

from bunri_shared.app import create_app
from locations.config import Settings
from locations.context import Context
from locations.models import DATA_VERSION
from locations.schema import schema

app = create_app(
    settings=Settings(),
    schema=schema,
    context_class=Context,
    data_version=DATA_VERSION,
    # isOpenNow follows the clock: a kept answer may be a minute late, no more.
    response_max_age_seconds=60,
)
