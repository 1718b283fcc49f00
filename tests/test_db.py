"""Rows the hot paths read by hand (gongjian/db.py)."""

from __future__ import annotations

import sqlalchemy as sa

from gongjian.accounts.models import User
from gongjian.db import adopt_row, row_columns
from gongjian.extensions import db


def test_adopt_row_makes_the_object_or_brings_the_held_one_up_to_date(app, make):
    user = make.user()
    make.commit()
    name = user.name
    statement = sa.select(*row_columns(User)).where(User.id == user.id)
    db.session.expunge_all()
    adopted = adopt_row(db.session, User, db.session.execute(statement).one()._mapping)
    assert (adopted.name, adopted in db.session, db.session.is_modified(adopted)) == (
        name, True, False)
    with db.engine.begin() as other:
        other.execute(sa.update(User.__table__).where(User.id == user.id).values(name="李四"))
    again = adopt_row(db.session, User, db.session.execute(statement).one()._mapping)
    assert (again is adopted, adopted.name, db.session.is_modified(adopted)) == (
        True, "李四", False)


def test_a_postgresql_cursor_describes_the_result_it_was_asked_about(postgres_app):
    with postgres_app.app_context():
        cursor = db.session.connection().connection.driver_connection.cursor()
        cursor.execute("SELECT 1 AS id, 'x'::text AS name, now() AS at")
        first = cursor.description
        cursor.execute("SELECT 2 AS other")
        second = cursor.description
        cursor.execute("SET LOCAL work_mem = '8MB'")
        described = ([(c.name, c.type_code) for c in first], [c.name for c in second],
                     len(first), cursor.description)
        db.session.rollback()
    assert described == ([("id", 23), ("name", 25), ("at", 1184)], ["other"], 3, None)
