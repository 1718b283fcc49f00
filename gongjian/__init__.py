"""Gongjian (共建): the resident units' venues, open to the community."""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Any

from flask import Flask, has_request_context, request, session

from . import errors, labels, ops, ratelimit, templating
from .config import load_config
from .db import (
    end_sessions_quietly,
    engine_options,
    lean_postgresql_connections,
    ping_idle_connections,
)
from .extensions import babel, csrf, db, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


def select_locale() -> str:
    from flask import current_app
    from flask_login import current_user

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    asked = request.args.get("lang")
    if asked in languages:
        session["lang"] = asked
        return asked
    if session.get("lang") in languages:
        return session["lang"]
    if getattr(current_user, "is_authenticated", False) and current_user.locale in languages:
        return current_user.locale
    return request.accept_languages.best_match(languages) or languages[0]


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    load_config(app, config)
    options = engine_options(app.config["SQLALCHEMY_DATABASE_URI"], app.config["DB_POOL_SIZE"])
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**options, **app.config["SQLALCHEMY_ENGINE_OPTIONS"]}

    db.init_app(app)
    end_sessions_quietly(app, db)
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            ping_idle_connections(db.engine)
            lean_postgresql_connections(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(Path(__file__).parent / "translations"))
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    ratelimit.init_app(app)
    ops.init_app(app)

    from . import models  # noqa: F401  (every table registered before migrations compare)
    from .accounts.models import User

    @login_manager.user_loader
    def load_user(session_id: str):
        # "id:digest" (User.get_id): a session from before the password changed finds no one.
        user_id = session_id.partition(":")[0]
        user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
        if user is None or not hmac.compare_digest(user.get_id(), session_id):
            return None
        return user

    errors.init_app(app)
    labels.init_app(app)
    templating.init_app(app)

    from .accounts.views import bp as accounts_bp
    from .api import bp as api_bp
    from .bookings.mine import bp as my_bp
    from .bookings.views import bp as bookings_bp
    from .feeds.views import bp as feeds_bp
    from .stats.views import bp as stats_bp
    from .venues.manage import bp as manage_bp
    from .venues.views import bp as venues_bp

    app.register_blueprint(accounts_bp)
    app.register_blueprint(venues_bp)
    app.register_blueprint(bookings_bp)
    app.register_blueprint(my_bp)
    app.register_blueprint(feeds_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(stats_bp)
    app.register_blueprint(manage_bp)
    from .bookings.desk import bp as desk_bp

    app.register_blueprint(desk_bp)
    from .venues.hours_views import bp as hours_bp

    app.register_blueprint(hours_bp)

    from .admin import init_app as init_admin

    init_admin(app)

    from .cli import init_app as init_cli

    init_cli(app)
    return app
