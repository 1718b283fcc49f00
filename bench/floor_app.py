"""The floor for bench/load.py: a bare Flask app whose one endpoint books by hand-written SQL.

`POST /book` with `Authorization: Bearer <api token>` and the body of `POST /api/v1/bookings`
({"venue_id","start","end","title","attendees"}) does the least a correct booking needs, on the
raw driver (psycopg or sqlite3), in one transaction: find the token's user, lock the venue
(`SELECT … FOR UPDATE` / `BEGIN IMMEDIATE`), look for an overlapping pending or confirmed
booking, insert. 201 {"id"}, 409 on overlap. No rules, no audit, no notices, no ORM — so
Gongjian's throughput divided by this one is the price of everything else.

Served like Gongjian (`gunicorn -c deploy/gunicorn.conf.py bench.floor_app:app`), against the
same database (FLOOR_DATABASE_URL: a SQLAlchemy-style URL, as GONGJIAN_DATABASE_URL).
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import threading
from datetime import UTC, datetime

from flask import Flask, jsonify, request

URL = os.environ.get("FLOOR_DATABASE_URL") or os.environ["GONGJIAN_DATABASE_URL"]
POSTGRES = URL.startswith("postgresql")
app = Flask(__name__)
_local = threading.local()

# The statements, with named parameters (sqlite3's and SQLAlchemy's `:name`; psycopg's
# `%(name)s` is made of them). bench/stack_floor.py runs the same ones through SQLAlchemy.
TOKEN = ("SELECT user_id FROM api_tokens WHERE token_hash = :token_hash "
         "AND revoked_at IS NULL")
LOCK_POSTGRES = "SELECT id FROM venues WHERE id = :venue_id FOR UPDATE"
# On SQLite the transaction already holds the write lock (BEGIN IMMEDIATE).
FIND_VENUE = "SELECT id FROM venues WHERE id = :venue_id"
CLASH = ("SELECT 1 FROM bookings WHERE venue_id = :venue_id AND status IN "
         "('pending', 'confirmed') AND start_at < :end AND end_at > :start LIMIT 1")
INSERT = ("INSERT INTO bookings (venue_id, booker_id, title, attendees, start_at, end_at, "
          "status, created_at, updated_at, late_cancellation, reason, rating_comment, "
          "revision, reminders_sent) VALUES (:venue_id, :booker_id, :title, :attendees, "
          ":start, :end, 'confirmed', :now, :now, false, '', '', 0, '[]') RETURNING id")


def for_psycopg(statement: str) -> str:
    return re.sub(r":(\w+)", r"%(\1)s", statement)


def connection():
    """One connection per thread, kept for the life of the worker (as a pool would)."""
    conn = getattr(_local, "conn", None)
    if conn is None:
        if POSTGRES:
            import psycopg

            conn = psycopg.connect(URL.replace("postgresql+psycopg://", "postgresql://"))
        else:
            conn = sqlite3.connect(URL.removeprefix("sqlite:///"), timeout=30,
                                   isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
        _local.conn = conn
    return conn


def _instant(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError("naive")
    return value.astimezone(UTC)


def _sqlite_time(value: datetime) -> str:
    # SQLAlchemy's storage format for DateTime on SQLite (what Gongjian's rows hold).
    return value.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def read_booking() -> tuple[dict, str] | None:
    """The request's booking as the statements' parameters, and its token's hash; None when
    it cannot be read."""
    body = request.get_json(silent=True) or {}
    secret = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    try:
        start, end = _instant(body["start"]), _instant(body["end"])
        values = {"venue_id": int(body["venue_id"]), "title": str(body["title"])[:200],
                  "attendees": int(body["attendees"])}
    except (KeyError, TypeError, ValueError):
        return None
    if end <= start:
        return None
    now = datetime.now(UTC)
    if not POSTGRES:
        start, end, now = _sqlite_time(start), _sqlite_time(end), _sqlite_time(now)
    values.update(start=start, end=end, now=now)
    return values, hashlib.sha256(secret.encode()).hexdigest()


INVALID = {"error": "invalid"}, 422
UNAUTHORIZED = {"error": "unauthorized"}, 401
NOT_FOUND = {"error": "venue_not_found"}, 404
CONFLICT = {"error": "conflict"}, 409
PG_TOKEN, PG_LOCK, PG_CLASH, PG_INSERT = map(for_psycopg, (TOKEN, LOCK_POSTGRES, CLASH, INSERT))


@app.post("/book")
def book():
    request_booking = read_booking()
    if request_booking is None:
        return INVALID
    values, token_hash = request_booking
    conn = connection()
    if POSTGRES:
        with conn.transaction():
            user = conn.execute(PG_TOKEN, {"token_hash": token_hash}).fetchone()
            if user is None:
                return UNAUTHORIZED
            if conn.execute(PG_LOCK, values).fetchone() is None:
                return NOT_FOUND
            if conn.execute(PG_CLASH, values).fetchone():
                return CONFLICT
            booking_id = conn.execute(PG_INSERT, {**values, "booker_id": user[0]}).fetchone()[0]
        return jsonify({"id": booking_id}), 201
    conn.execute("BEGIN IMMEDIATE")
    try:
        user = conn.execute(TOKEN, {"token_hash": token_hash}).fetchone()
        if user is None:
            conn.execute("ROLLBACK")
            return UNAUTHORIZED
        if conn.execute(FIND_VENUE, values).fetchone() is None:
            conn.execute("ROLLBACK")
            return NOT_FOUND
        if conn.execute(CLASH, values).fetchone():
            conn.execute("ROLLBACK")
            return CONFLICT
        booking_id = conn.execute(INSERT, {**values, "booker_id": user[0]}).fetchone()[0]
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return jsonify({"id": booking_id}), 201
