"""Merges the modules of this subgraph into its federation schema."""

from auth.mutations import Mutation
from auth.types import Account
from bunri_shared.graphql import federation_schema

schema = federation_schema(query=None, mutation=Mutation, types=[Account])
