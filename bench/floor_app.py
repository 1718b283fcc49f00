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
import sqlite3
import threading
from datetime import UTC, datetime

from flask import Flask, jsonify, request

URL = os.environ.get("FLOOR_DATABASE_URL") or os.environ["GONGJIAN_DATABASE_URL"]
POSTGRES = URL.startswith("postgresql")
app = Flask(__name__)
_local = threading.local()


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


@app.post("/book")
def book():
    body = request.get_json(silent=True) or {}
    secret = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    try:
        venue_id = int(body["venue_id"])
        start, end = _instant(body["start"]), _instant(body["end"])
        title, attendees = str(body["title"])[:200], int(body["attendees"])
    except (KeyError, TypeError, ValueError):
        return jsonify({"error": "invalid"}), 422
    if end <= start:
        return jsonify({"error": "invalid"}), 422
    token_hash = hashlib.sha256(secret.encode()).hexdigest()
    now = datetime.now(UTC)
    conn = connection()
    if POSTGRES:
        with conn.transaction():
            user = conn.execute("SELECT user_id FROM api_tokens WHERE token_hash = %s "
                                "AND revoked_at IS NULL", (token_hash,)).fetchone()
            if user is None:
                return jsonify({"error": "unauthorized"}), 401
            if conn.execute("SELECT id FROM venues WHERE id = %s FOR UPDATE",
                            (venue_id,)).fetchone() is None:
                return jsonify({"error": "venue_not_found"}), 404
            if conn.execute("SELECT 1 FROM bookings WHERE venue_id = %s AND status IN "
                            "('pending', 'confirmed') AND start_at < %s AND end_at > %s LIMIT 1",
                            (venue_id, end, start)).fetchone():
                return jsonify({"error": "conflict"}), 409
            booking_id = conn.execute(
                "INSERT INTO bookings (venue_id, booker_id, title, attendees, start_at, end_at, "
                "status, created_at, updated_at, late_cancellation, reason, rating_comment, "
                "revision, reminders_sent) VALUES (%s, %s, %s, %s, %s, %s, 'confirmed', %s, %s, "
                "false, '', '', 0, '[]') RETURNING id",
                (venue_id, user[0], title, attendees, start, end, now, now)).fetchone()[0]
        return jsonify({"id": booking_id}), 201
    conn.execute("BEGIN IMMEDIATE")
    try:
        user = conn.execute("SELECT user_id FROM api_tokens WHERE token_hash = ? "
                            "AND revoked_at IS NULL", (token_hash,)).fetchone()
        if user is None:
            conn.execute("ROLLBACK")
            return jsonify({"error": "unauthorized"}), 401
        if conn.execute("SELECT id FROM venues WHERE id = ?", (venue_id,)).fetchone() is None:
            conn.execute("ROLLBACK")
            return jsonify({"error": "venue_not_found"}), 404
        s, e = _sqlite_time(start), _sqlite_time(end)
        if conn.execute("SELECT 1 FROM bookings WHERE venue_id = ? AND status IN "
                        "('pending', 'confirmed') AND start_at < ? AND end_at > ? LIMIT 1",
                        (venue_id, e, s)).fetchone():
            conn.execute("ROLLBACK")
            return jsonify({"error": "conflict"}), 409
        cursor = conn.execute(
            "INSERT INTO bookings (venue_id, booker_id, title, attendees, start_at, end_at, "
            "status, created_at, updated_at, late_cancellation, reason, rating_comment, "
            "revision, reminders_sent) VALUES (?, ?, ?, ?, ?, ?, 'confirmed', ?, ?, 0, '', '', "
            "0, '[]')", (venue_id, user[0], title, attendees, s, e, _sqlite_time(now),
                         _sqlite_time(now)))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return jsonify({"id": cursor.lastrowid}), 201
