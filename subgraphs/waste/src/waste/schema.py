"""Merges the modules of this subgraph into its federation schema."""

from bunri_shared.graphql import federation_schema
from waste.mutations import Mutation
from waste.queries import Query
from waste.subscriptions import Subscription
from waste.types import User, WasteAnalysis

schema = federation_schema(
    query=Query, mutation=Mutation, subscription=Subscription, types=[WasteAnalysis, User]
)
