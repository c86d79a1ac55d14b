"""The auth subgraph's ASGI app: `uvicorn auth.main:app`. Also serves the JWKS."""

from fastapi import APIRouter

from auth.config import Settings
from auth.context import Context
from auth.keys import SigningKeys
from auth.schema import schema
from bunri_shared.app import create_app

settings = Settings()
signing_keys = SigningKeys.load(settings)
jwks = APIRouter()


@jwks.get("/.well-known/jwks.json", include_in_schema=False)
async def jwks_document() -> dict[str, object]:
    return signing_keys.jwks()


app = create_app(settings=settings, schema=schema, context_class=Context, routers=[jwks])
app.state.signing_keys = signing_keys
