from auth.models import SCHEMA, Base
from bunri_shared.migrations import run_migrations

run_migrations(Base.metadata, schema=SCHEMA)
