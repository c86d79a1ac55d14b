"""Through the real gateway: data assembled across subgraphs, batching, errors."""

from __future__ import annotations

from devstack.testing import RunningStack, graphql, statement_count

SEOUL = {"latitude": 37.5665, "longitude": 126.9780}

ACCEPTANCE_QUERY = """
{ wasteCategories { code name(language: EN)
    dropOffPointsNear(latitude: 37.5665, longitude: 126.9780, radiusMeters: 50000, first: 2) {
      distanceMeters point { name address acceptedCategories { code } } } } }
"""


def test_categories_with_nearby_points_come_from_recycling_and_locations(
    running: RunningStack,
) -> None:
    body = graphql(running.gateway_url, ACCEPTANCE_QUERY)
    assert "errors" not in body, body
    categories = {c["code"]: c for c in body["data"]["wasteCategories"]}
    assert categories["RECYCLABLE"]["name"] == "Recyclables"
    assert categories["FOOD_WASTE"]["name"]
    nearby = categories["RECYCLABLE"]["dropOffPointsNear"]
    assert len(nearby) == 2
    assert nearby[0]["distanceMeters"] <= nearby[1]["distanceMeters"] <= 50000
    for entry in nearby:
        point = entry["point"]
        assert point["name"] and point["address"]
        assert point["acceptedCategories"], point


def test_fifty_entities_cost_the_owning_subgraph_no_statement(running: RunningStack) -> None:
    query = """
    query Near($latitude: Float!, $longitude: Float!) {
      dropOffPointsNear(
        latitude: $latitude, longitude: $longitude, radiusMeters: 100000, first: 50
      ) {
        point { id acceptedCategories { code name(language: EN) } }
      }
    }"""
    metrics = running.metrics_url("recycling")
    graphql(running.gateway_url, query, SEOUL)  # recycling reads its catalogue once
    before = statement_count(metrics, "recycling")
    body = graphql(running.gateway_url, query, SEOUL)
    after = statement_count(metrics, "recycling")
    assert "errors" not in body, body
    points = body["data"]["dropOffPointsNear"]
    assert len(points) == 50
    references = [c for p in points for c in p["point"]["acceptedCategories"]]
    assert len(references) >= 50
    assert all(c["name"] for c in references)
    # Categories come from recycling's in-memory catalogue (subgraphs/recycling/catalogue.py).
    assert after - before == 0


def test_bad_input_is_a_coded_error_through_the_gateway(running: RunningStack) -> None:
    body = graphql(
        running.gateway_url,
        "{ dropOffPointsNear(latitude: 91, longitude: 126.9) { distanceMeters } }",
    )
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "latitude" in error["message"]
    assert "Traceback" not in str(body)


def test_gateway_health_graphiql_and_cors(running: RunningStack) -> None:
    import httpx

    base = running.gateway_url.removesuffix("/graphql")
    assert httpx.get(f"{base}/healthcheck").status_code == 200
    assert httpx.get(f"{base}/readiness").status_code == 200
    page = httpx.get(running.gateway_url, headers={"Accept": "text/html"})
    assert page.status_code == 200 and "<title>Hive Gateway</title>" in page.text
    preflight = httpx.options(
        running.gateway_url,
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert preflight.headers.get("access-control-allow-origin") == "http://localhost:3000"
    assert "authorization" in preflight.headers.get("access-control-allow-headers", "").lower()
    foreign = httpx.options(
        running.gateway_url,
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert foreign.headers.get("access-control-allow-origin") != "https://evil.example"
