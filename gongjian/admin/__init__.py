"""The district admin console (街道管理员): places, units and their managers, organizations,
users, agreements and the audit log, under /admin; and the public page where an invited unit
manager accepts (/invitations/<token>)."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Blueprint, Flask

bp = Blueprint("admin", __name__, url_prefix="/admin")
# Pages outside /admin: accepting an invitation, a unit's managers downloading an agreement.
public_bp = Blueprint("district", __name__)

from . import views  # noqa: E402,F401  (the routes of both blueprints)


def init_app(app: Flask) -> None:
    # Where the signed agreements' PDFs live: GONGJIAN_AGREEMENT_DIR, else instance/agreements.
    if not app.config.get("AGREEMENT_DIR"):
        app.config["AGREEMENT_DIR"] = (os.environ.get("GONGJIAN_AGREEMENT_DIR")
                                       or str(Path(app.instance_path) / "agreements"))
    app.register_blueprint(bp)
    app.register_blueprint(public_bp)
