"""The locations subgraph process with its real database: what only a running server shows.
Its queries, loaders and field checks are tested in-process in test_locations_service.py."""

from __future__ import annotations

import psycopg

from devstack.testing import RunningStack


def test_an_unexpected_failure_is_masked_for_the_client_and_logged(running: RunningStack) -> None:
    with psycopg.connect(running.role_url("locations")) as conn:
        point_id, hours = conn.execute(
            "SELECT id::text, opening_hours FROM drop_off_points LIMIT 1"
        ).fetchone()
        conn.execute(
            "UPDATE drop_off_points SET opening_hours = '{\"broken\": true}' WHERE id = %s",
            (point_id,),
        )
        conn.commit()
        try:
            body = running.query_subgraph(
                "locations",
                "query ($id: ID!) { dropOffPoint(id: $id) { name isOpenNow } }",
                {"id": point_id},
            )
        finally:
            conn.execute(
                "UPDATE drop_off_points SET opening_hours = %s WHERE id = %s",
                (psycopg.types.json.Jsonb(hours), point_id),
            )
            conn.commit()
    [error] = body["errors"]
    assert error == {
        "message": "Internal server error.",
        "locations": error["locations"],
        "path": ["dropOffPoint", "isOpenNow"],
        "extensions": {"code": "INTERNAL"},
    }
    assert body["data"]["dropOffPoint"]["name"]  # the rest of the answer survives
    log = running.processes["locations"].log_path.read_text()
    assert '"level": "ERROR"' in log and "Traceback" in log
