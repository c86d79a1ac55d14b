"""Merges the modules of this subgraph into its federation schema."""

from bunri_shared.graphql import federation_schema
from locations.queries import Query
from locations.types import DropOffPoint, WasteCategory

schema = federation_schema(query=Query, types=[DropOffPoint, WasteCategory])
