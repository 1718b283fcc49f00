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
