"""The migrations build exactly the models' schema, with the overlap backstop, on both databases."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from gongjian.extensions import db


def test_migrated_schema_matches_the_models(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_migrations_are_at_head(app):
    from alembic.script import ScriptDirectory
    from flask_migrate import Migrate  # noqa: F401  (the extension that holds the config)

    config = app.extensions["migrate"].migrate.get_config()
    head = ScriptDirectory.from_config(config).get_current_head()
    with db.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head


def test_overlap_backstop_exists(app):
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            names = conn.execute(sa.text(
                "SELECT conname FROM pg_constraint WHERE contype = 'x'")).scalars().all()
            assert names == ["ex_bookings_no_overlap"]
        else:
            names = conn.execute(sa.text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
            )).scalars().all()
            assert names == ["bookings_no_overlap_insert", "bookings_no_overlap_update"]
