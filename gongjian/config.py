"""Configuration: safe defaults for the embedded SQLite run, overridden by GONGJIAN_* variables."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

ENV_PREFIX = "GONGJIAN_"
# Threads per gunicorn worker (GONGJIAN_THREADS; deploy/gunicorn.conf.py), and so the database
# connections each process keeps: each thread may hold one at once.
THREADS = int(os.environ.get(ENV_PREFIX + "THREADS") or 8)


class DefaultConfig:
    ENV = "development"
    BASE_URL: str | None = None
    TRUSTED_HOSTS: list[str] | None = None
    RATE_LIMITS = "on"
    REDIS_URL: str | None = None
    SMTP_HOST: str | None = None
    SMTP_PORT = 25
    SMTP_USER: str | None = None
    SMTP_PASSWORD: str | None = None
    MAIL_FROM = "gongjian@localhost"

    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {}
    # Connections each process keeps: one per gunicorn thread. A smaller pool opens and closes
    # connections all through a busy minute.
    DB_POOL_SIZE = THREADS
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh", "en")
    DEFAULT_TIMEZONE = "Asia/Shanghai"

    # Global booking rules of product.md §5 (the no-show rule).
    NO_SHOW_LIMIT = 3
    NO_SHOW_WINDOW_DAYS = 90
    NO_SHOW_SUSPENSION_DAYS = 30

    # `python app.py` seeds the demo district into an empty embedded database.
    SEED_DEMO_ON_FIRST_RUN = False


def _instance_secret_key(instance_path: Path) -> str:
    """Generate the embedded default's secret key once and keep it in instance/."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def load_config(app, overrides: dict[str, Any] | None) -> None:
    """Fill app.config from the defaults, the environment, then explicit overrides."""
    app.config.from_object(DefaultConfig)
    env = os.environ
    simple = {
        "ENV": "ENV",
        "BASE_URL": "BASE_URL",
        "RATE_LIMITS": "RATE_LIMITS",
        "REDIS_URL": "REDIS_URL",
        "SMTP_HOST": "SMTP_HOST",
        "SMTP_USER": "SMTP_USER",
        "SMTP_PASSWORD": "SMTP_PASSWORD",
        "MAIL_FROM": "MAIL_FROM",
        "SECRET_KEY": "SECRET_KEY",
        "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
        "PHOTO_DIR": "PHOTO_DIR",  # venue photos; default instance/photos (venues/manage.py)
    }
    for name, key in simple.items():
        value = env.get(ENV_PREFIX + name)
        if value:
            app.config[key] = value
    pool_size = env.get(ENV_PREFIX + "DB_POOL_SIZE") or env.get(ENV_PREFIX + "THREADS")
    if pool_size:  # read now: the environment may have changed since the module was imported
        app.config["DB_POOL_SIZE"] = int(pool_size)
    if env.get(ENV_PREFIX + "SMTP_PORT"):
        app.config["SMTP_PORT"] = int(env[ENV_PREFIX + "SMTP_PORT"])
    if env.get(ENV_PREFIX + "TRUSTED_HOSTS"):
        hosts = [h.strip() for h in env[ENV_PREFIX + "TRUSTED_HOSTS"].split(",") if h.strip()]
        app.config["TRUSTED_HOSTS"] = hosts
    if overrides:
        app.config.update(overrides)

    production = app.config["ENV"] == "production"
    if production:
        if not app.config.get("SECRET_KEY"):
            raise RuntimeError("GONGJIAN_SECRET_KEY is required when GONGJIAN_ENV=production")
        if not app.config.get("TRUSTED_HOSTS"):
            raise RuntimeError("GONGJIAN_TRUSTED_HOSTS is required when GONGJIAN_ENV=production")

    needs_instance = not app.config.get("SECRET_KEY") or not app.config.get(
        "SQLALCHEMY_DATABASE_URI"
    )
    if needs_instance:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(Path(app.instance_path))
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        db_path = Path(app.instance_path) / "gongjian.db"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{db_path}"
