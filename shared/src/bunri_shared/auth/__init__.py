"""Who is calling: access-token verification, the principal, permissions."""

from bunri_shared.auth.principal import Principal
from bunri_shared.auth.verifier import TokenVerifier

__all__ = ["Principal", "TokenVerifier"]
