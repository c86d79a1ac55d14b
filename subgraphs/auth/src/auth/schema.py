"""Merges the modules of this subgraph into its federation schema."""

from auth.types import Account
from bunri_shared.graphql import federation_schema

schema = federation_schema(query=None, types=[Account])
