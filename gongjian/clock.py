"""The application's clock: `CLOCK` in the config (a callable answering an aware UTC instant)
when set, so tests and demos can fix the time that views hand to services; else the real time."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, has_app_context

from .db import utcnow


def now() -> datetime:
    clock = current_app.config.get("CLOCK") if has_app_context() else None
    return clock() if clock is not None else utcnow()
