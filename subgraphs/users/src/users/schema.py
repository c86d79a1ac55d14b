"""Merges the modules of this subgraph into its federation schema."""

from bunri_shared.graphql import federation_schema
from users.mutations import Mutation
from users.queries import Query
from users.types import AuthPayload, User

schema = federation_schema(query=Query, mutation=Mutation, types=[User, AuthPayload])
