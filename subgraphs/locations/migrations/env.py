from bunri_shared.migrations import run_migrations
from locations.models import SCHEMA, Base

run_migrations(Base.metadata, schema=SCHEMA)
