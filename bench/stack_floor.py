"""The floor's booking on the stack Gongjian stands on, for `bench/load.py --stack`.

Gongjian's own app (`create_app()`: every request hook — request log, metrics, security headers,
locale, CSRF exemption, session teardown — and its engine settings) with one more endpoint,
`POST /book`, that runs bench/floor_app.py's statements through Flask-SQLAlchemy's session:
the token's user, the venue's lock, the overlap check, the insert. No rules, no audit, no
notices, no objects. Between the floor and Gongjian, this shows what the stack itself costs and
what is left for everything the product contract asks of a booking.
"""

from __future__ import annotations

import sqlalchemy as sa
from floor_app import (
    CLASH,
    CONFLICT,
    INSERT,
    INVALID,
    LOCK_POSTGRES,
    NOT_FOUND,
    POSTGRES,
    TOKEN,
    UNAUTHORIZED,
    read_booking,
)

from gongjian import create_app
from gongjian.extensions import csrf, db

# Gongjian's SQLite lock: a no-op write makes the driver open the transaction with
# BEGIN IMMEDIATE.
LOCK = LOCK_POSTGRES if POSTGRES else (
    "UPDATE venues SET slot_minutes = slot_minutes WHERE id = :venue_id RETURNING id")
STATEMENTS = {name: sa.text(sql) for name, sql in
              (("token", TOKEN), ("lock", LOCK), ("clash", CLASH), ("insert", INSERT))}


def book():
    request_booking = read_booking()
    if request_booking is None:
        return INVALID
    values, token_hash = request_booking
    session = db.session
    user = session.execute(STATEMENTS["token"], {"token_hash": token_hash}).first()
    if user is None:
        return UNAUTHORIZED
    if session.execute(STATEMENTS["lock"], values).first() is None:
        session.rollback()
        return NOT_FOUND
    if session.execute(STATEMENTS["clash"], values).first():
        session.rollback()
        return CONFLICT
    booking_id = session.execute(STATEMENTS["insert"],
                                 {**values, "booker_id": user[0]}).scalar_one()
    session.commit()
    return {"id": booking_id}, 201


app = create_app()
app.add_url_rule("/book", "stack_floor_book", csrf.exempt(book), methods=["POST"])
