"""Declarative base, the UTC instant column type, SQLite's settings, PostgreSQL connections that
keep their prepared statements and describe results only when asked, objects of rows read or
written by plain statements, and concurrent reads."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import psycopg
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state, set_committed_value

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(sa.TypeDecorator):
    """An instant: refuses naive datetimes, stores UTC, always returns aware UTC datetimes."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetimes are refused: pass an aware instant")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            # SQLite keeps text; a fixed UTC format keeps string order equal to time order.
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def engine_options(url: str, pool_size: int) -> dict:
    """Engine options for the database at `url`: a pool that keeps `pool_size` connections
    (but for an in-memory SQLite database: one connection, shared), and SQLite's settings.

    SQLite's driver keeps its implicit transactions, with ``BEGIN IMMEDIATE`` as the statement
    it issues before the first write: a write transaction takes the database's write lock
    before it reads what it will decide on, and waits ``timeout`` seconds for it instead of
    failing. Reads outside a write transaction run on their own, never holding a stale
    snapshot that would make a later upgrade to writing fail with "database is locked".
    """
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return {"pool_size": pool_size}
    options: dict = {
        "connect_args": {"isolation_level": "IMMEDIATE", "timeout": 30, "check_same_thread": False}
    }
    # In memory, Flask-SQLAlchemy shares one connection (StaticPool), which has no size.
    if parsed.database not in (None, "", ":memory:"):
        options["pool_size"] = pool_size
    return options


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record) -> None:
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


# A pooled connection idle this long is pinged before use: the server may have restarted, or
# something between may have dropped it. One in steady use is not (a ping per request would
# be a round trip on every request); if the server went away meanwhile, its statement fails
# once, SQLAlchemy discards the whole pool and the next requests connect afresh.
PING_AFTER_IDLE_SECONDS = 10


def end_sessions_quietly(app, db) -> None:
    """End each request's session before Flask-SQLAlchemy would: when the database went away
    meanwhile (PostgreSQL restarting), the rollback of a connection that is already gone is
    logged and the connection dropped, instead of turning the answer already made into a 500."""

    @app.teardown_appcontext
    def _remove_session(exc: BaseException | None) -> None:
        try:
            db.session.remove()
        except sa.exc.DBAPIError as error:
            app.logger.warning("the database went away before the session ended: %s",
                               error.orig or error)
            db.session.registry.clear()


def ping_idle_connections(engine: Engine) -> None:
    """Check pooled connections that sat idle before lending them again (a lighter
    `pool_pre_ping`): a dead one is replaced, the request never sees it."""

    @event.listens_for(engine, "checkin")
    def _idle_from(dbapi_connection, record) -> None:
        record.info["idle_from"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection, record, proxy) -> None:
        idle_from = record.info.pop("idle_from", None)
        if idle_from is None or time.monotonic() - idle_from < PING_AFTER_IDLE_SECONDS:
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            dbapi_connection.rollback()
        except Exception as error:  # any driver's "connection is gone"
            raise sa.exc.DisconnectionError() from error


class KeepPreparedConnection(psycopg.Connection):
    """A psycopg connection that keeps its prepared statements when a transaction rolls back.

    psycopg prepares a statement on the server once it has run five times, and forgets them
    all (DEALLOCATE ALL, one more round trip) on every rollback, in case the transaction had
    created what they name. Every read-only request and every refusal ends its transaction by
    rolling back, so on the web path nothing stayed prepared: PostgreSQL parsed and planned
    every statement of every request again, three times the CPU of a booking's own work.
    The web path never changes the schema; a statement that does (DROP, ALTER) still makes
    psycopg forget them.
    """

    def rollback(self) -> None:
        prepared = getattr(self, "_prepared", None)
        if prepared is None:  # pragma: no cover - another psycopg keeps them elsewhere
            return super().rollback()
        prepared.clear = _nothing_to_forget
        try:
            super().rollback()
        finally:
            del prepared.clear


def _nothing_to_forget() -> bool:
    return False


class DescribeWhenAskedCursor(psycopg.Cursor):
    """A psycopg cursor whose `description` makes its columns only when they are read.

    psycopg makes a Column (five calls into libpq and a decoded name) of every column of a
    result each time `description` is asked. SQLAlchemy asks after every statement, but reads
    the columns only the first time it runs a statement (it keeps what it learned with the
    compiled statement); afterwards it only looks whether there are any. On the booking path
    that was 50 columns a request, read for nothing (the venue's and the user's whole rows):
    6% of a worker's CPU under load.
    """

    @property
    def description(self):
        result = self.pgresult
        if result is None or not result.nfields:
            return super().description
        return _Columns(_ResultOf(result, self._encoding, self.adapters))


class _ResultOf:
    """What psycopg's Column reads of its cursor, kept for one result: the columns describe
    the result that was current when `description` was asked, even if made later."""

    __slots__ = ("pgresult", "_encoding", "adapters")

    def __init__(self, pgresult, encoding: str, adapters) -> None:
        self.pgresult, self._encoding, self.adapters = pgresult, encoding, adapters


class _Columns(Sequence):
    __slots__ = ("_result", "_columns")

    def __init__(self, result: _ResultOf) -> None:
        self._result = result
        self._columns: list[psycopg.Column] | None = None

    def __len__(self) -> int:
        return self._result.pgresult.nfields

    def __getitem__(self, index):
        if self._columns is None:
            self._columns = [psycopg.Column(self._result, i) for i in range(len(self))]
        return self._columns[index]


def lean_postgresql_connections(engine: Engine) -> None:
    """Connect to PostgreSQL through KeepPreparedConnection, whose cursors are
    DescribeWhenAskedCursor: the driver's work that SQLAlchemy has no use for, left undone."""

    @event.listens_for(engine, "do_connect")
    def _connect(dialect, record, cargs, cparams):
        connection = KeepPreparedConnection.connect(*cargs, **cparams)
        connection.cursor_factory = DescribeWhenAskedCursor
        return connection


def execute_core(session, statement: sa.Executable, params: dict | None = None) -> sa.Result:
    """A Core statement on the session's connection, after flushing what the session holds
    (as its own execute would), without the ORM's work per statement: for the hot paths."""
    session.flush()
    return session.connection().execute(statement, params)


@functools.cache
def row_columns(model: type) -> tuple[sa.Label, ...]:
    """Every column of `model`'s table, labelled with its attribute's name: what a plain
    statement selects (or returns) for `adopt_row` to make the object of."""
    return tuple(prop.columns[0].label(prop.key) for prop in sa.inspect(model).column_attrs)


def adopt_row(session, model: type, row: Mapping):
    """The session's object for a row a plain statement has just read (`row_columns`) or
    written (every column's value), as if the session had loaded it. An object the session
    already holds is brought up to date with the row, as a query with `populate_existing`
    would.

    A hot path that reads its one row by hand skips the ORM's work per statement: SQLite's
    venue lock (an UPDATE … RETURNING) takes half the time it took through the ORM."""
    keys = [column.name for column in row_columns(model)]
    mapper = sa.inspect(model)
    held = session.identity_map.get(mapper.identity_key_from_primary_key(
        [row[key] for key in _primary_keys(model)]))
    if held is not None:
        for key in keys:
            set_committed_value(held, key, row[key])
        return held
    instance = mapper.class_manager.new_instance()
    instance_state(instance).dict.update((key, row[key]) for key in keys)
    make_transient_to_detached(instance)
    session.add(instance)
    return instance


@functools.cache
def _primary_keys(model: type) -> tuple[str, ...]:
    mapper = sa.inspect(model)
    return tuple(mapper.get_property_by_column(column).key for column in mapper.primary_key)


# Statements `read_all` runs at once on SQLite: SQLite leaves Python's lock while it works, so
# two cores read two statements; a third keeps a core busy while another hands over its rows.
CONCURRENT_READS = 3


def read_all(session, statements: Sequence[sa.Executable]) -> Callable[[], list[list[sa.Row]]]:
    """Start reading every statement; the answer is a function that waits for their rows, in
    the order given, so the caller can compute something else meanwhile.

    On a SQLite file, while this session holds no uncommitted writes, the statements run at
    once on connections of their own. Each then reads its own snapshot, as every read of the
    session outside a write transaction already does. Elsewhere they run one after another on
    the session's connection when asked: on PostgreSQL, where one transaction gives every
    statement the same snapshot, and on SQLite when only this session sees its writes yet.
    """
    connection = session.connection()
    if len(statements) > 1 and _can_read_aside(connection):
        engine = connection.engine
        executor = ThreadPoolExecutor(max_workers=min(CONCURRENT_READS, len(statements)),
                                      thread_name_prefix="gongjian-read")
        futures = [executor.submit(_read, engine, statement) for statement in statements]
        executor.shutdown(wait=False)
        return lambda: [future.result() for future in futures]
    return lambda: [connection.execute(statement).all() for statement in statements]


def _read(engine: Engine, statement: sa.Executable) -> list[sa.Row]:
    with engine.connect() as connection:
        return connection.execute(statement).all()


def _can_read_aside(connection: sa.Connection) -> bool:
    database = connection.engine.url.database or ""
    if connection.dialect.name != "sqlite" or database in ("", ":memory:") or (
            "mode=memory" in database):
        return False
    return not connection.connection.dbapi_connection.in_transaction
