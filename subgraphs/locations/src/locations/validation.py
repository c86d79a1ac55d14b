"""Checks on client input; each failure is a BAD_USER_INPUT naming the argument."""

from __future__ import annotations

import uuid

from bunri_shared.errors import bad_input
from locations.service import Circle

MAX_RADIUS_METERS = 100_000


def circle(latitude: float, longitude: float, radius_meters: int | None) -> Circle:
    if not -90 <= latitude <= 90:
        raise bad_input("latitude must be between -90 and 90", field="latitude")
    if not -180 <= longitude <= 180:
        raise bad_input("longitude must be between -180 and 180", field="longitude")
    radius = 3000 if radius_meters is None else radius_meters
    if not 1 <= radius <= MAX_RADIUS_METERS:
        raise bad_input(
            f"radiusMeters must be between 1 and {MAX_RADIUS_METERS}", field="radiusMeters"
        )
    return Circle(latitude, longitude, radius)


def point_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise bad_input("id is not a drop-off point id", field="id") from None
