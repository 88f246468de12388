"""Who the token belongs to: lets a client check its token before doing anything else."""

from __future__ import annotations

from lanet.api.auth import BEARER, current_api_token, require_user
from lanet.api.core import resource_blueprint
from lanet.api.schemas import MeSchema

blp = resource_blueprint("api_account", "The caller's own account (bearer token).")


@blp.get("/me")
@blp.doc(security=BEARER)
@blp.response(200, MeSchema)
def me():
    """The user behind the bearer token, with its roles."""
    user = require_user()
    token = current_api_token()
    return {
        "id": user.id,
        "email": user.email,
        "token_name": token.name if token else "",
        "roles": [
            {"role": r.role, "event_id": r.event_id, "country_code": r.country_code}
            for r in user.roles
        ],
    }
