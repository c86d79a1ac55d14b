"""Merges the modules of this subgraph into its federation schema."""

from bunri_shared.graphql import federation_schema
from waste.types import WasteAnalysis

schema = federation_schema(query=None, types=[WasteAnalysis])
