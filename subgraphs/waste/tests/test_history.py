"""User.analyses: the owner's history, newest first, with cursors."""

from __future__ import annotations

from devstack.testing import RunningStack, graphql, sign_up
from devstack.waste_flow import analyze, jpeg, upload

HISTORY = """query ($first: Int, $after: String) { me { analyses(first: $first, after: $after) {
  edges { cursor node { id status } } pageInfo { hasNextPage endCursor } } } }"""


def test_history_is_paged_newest_first(running: RunningStack) -> None:
    token = sign_up(running)["accessToken"]
    upload_id = upload(running, token, jpeg((2, 4, 6)))
    ids = [analyze(running, token, upload_id, hint)["data"]["analyzeWaste"]["id"]
           for hint in ("캔", "우유팩", "생수병")]  # fmt: skip
    first = graphql(running.gateway_url, HISTORY, {"first": 2}, token=token)["data"]["me"]
    page = first["analyses"]
    assert [e["node"]["id"] for e in page["edges"]] == [ids[2], ids[1]]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = graphql(
        running.gateway_url, HISTORY, {"first": 2, "after": page["pageInfo"]["endCursor"]},
        token=token,
    )["data"]["me"]["analyses"]  # fmt: skip
    assert [e["node"]["id"] for e in rest["edges"]] == [ids[0]]
    assert rest["pageInfo"] == {"hasNextPage": False, "endCursor": rest["edges"][0]["cursor"]}


def test_history_input_and_ownership(running: RunningStack) -> None:
    owner, stranger = sign_up(running), sign_up(running)
    bad = graphql(running.gateway_url, HISTORY, {"first": 0}, token=owner["accessToken"])
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    cursor = graphql(
        running.gateway_url, HISTORY, {"after": "garbage!"}, token=owner["accessToken"]
    )
    assert cursor["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # Another user's history, asked for directly as an entity: FORBIDDEN.
    query = """query ($r: [_Any!]!) { _entities(representations: $r) {
      ... on User { analyses { edges { node { id } } } } } }"""
    body = graphql(
        running.subgraph_url("waste"),
        query,
        {"r": [{"__typename": "User", "id": owner["user"]["id"]}]},
        token=stranger["accessToken"],
        headers=running.subgraph_headers,
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
