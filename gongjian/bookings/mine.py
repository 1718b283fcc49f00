"""A signed-in user's own pages: my bookings and my notifications (通知)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template
from flask_login import current_user, login_required

from ..accounts.models import Notification
from ..extensions import db

bp = Blueprint("my", __name__)


@bp.app_context_processor
def unread_notifications() -> dict:
    """The header's unread count: one COUNT per page, only for signed-in users."""
    def count() -> int:
        if not current_user.is_authenticated:
            return 0
        return db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
            Notification.user_id == current_user.id, Notification.read_at.is_(None))) or 0
    return {"unread_notifications": count}


@bp.get("/me/bookings")
@login_required
def bookings():
    return render_template("base.html")  # TODO(#4): my bookings


@bp.get("/notifications")
@login_required
def notifications():
    return render_template("base.html")  # TODO(#4): notifications
