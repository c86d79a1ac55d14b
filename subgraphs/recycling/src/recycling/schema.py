"""Merges the modules of this subgraph into its federation schema."""

from bunri_shared.graphql import federation_schema
from recycling.queries import Query
from recycling.types import WasteCategory

schema = federation_schema(query=Query, types=[WasteCategory])
