"""Schemathesis over the whole OpenAPI document, against the demo district.

Every operation gets generated requests that fit the document (positive) and that break it
(negative), sent with a valid district admin's Bearer token; operations on one object run
again on objects that exist (a pending, a confirmed and a completed booking, a venue, …), and
positive bodies often name existing venues, units and communities. No answer may be a server
error, an undocumented status or content type, or a body or header that breaks the document;
requests that break the document must be refused.

`positive_data_acceptance` is left out on purpose: the document describes shapes, and
well-shaped requests are still refused by the rules (422 `too_soon`, 404 for unknown ids, …).
The number of examples per operation and mode is GONGJIAN_SCHEMATHESIS_EXAMPLES (default 8).
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gongjian.accounts.models import Community, Street, Unit, User
from gongjian.accounts.tokens import issue_token_for
from gongjian.bookings.models import Booking, BookingStatus, Series
from gongjian.demo import seed_demo
from gongjian.extensions import db
from gongjian.venues.models import Closure, Venue

from ..conftest import NOW

EXAMPLES = int(os.environ.get("GONGJIAN_SCHEMATHESIS_EXAMPLES", "8"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance, negative_data_rejection]
BODY_IDS = ("venue_id", "unit_id", "community_id", "street_id", "user_id", "organization_id")


def _first(query) -> int:
    return db.session.scalar(query.limit(1))


def existing_ids() -> dict[str, list[int]]:
    """Objects of the demo district worth aiming at, by path parameter name."""
    def booking(status: BookingStatus) -> int:
        return _first(sa.select(Booking.id).where(Booking.status == status,
                                                  Booking.start_at > NOW).order_by(Booking.id)
                      if status in (BookingStatus.PENDING, BookingStatus.CONFIRMED) else
                      sa.select(Booking.id).where(Booking.status == status).order_by(Booking.id))

    found = {
        "venue_id": [_first(sa.select(Venue.id).where(Venue.archived_at.is_(None))
                            .order_by(Venue.id))],
        "unit_id": [_first(sa.select(Unit.id).order_by(Unit.id))],
        "booking_id": [booking(BookingStatus.PENDING), booking(BookingStatus.CONFIRMED),
                       booking(BookingStatus.COMPLETED)],
        "closure_id": [_first(sa.select(Closure.id).order_by(Closure.id))],
        "series_id": [_first(sa.select(Series.id).order_by(Series.id))],
        "user_id": [_first(sa.select(User.id).where(User.is_admin.is_(False))
                           .order_by(User.id))],
    }
    return {name: [i for i in ids if i is not None] for name, ids in found.items()}


def body_ids() -> dict[str, int]:
    return {
        "venue_id": _first(sa.select(Venue.id).where(Venue.archived_at.is_(None))
                           .order_by(Venue.id)),
        "unit_id": _first(sa.select(Unit.id).order_by(Unit.id)),
        "community_id": _first(sa.select(Community.id).order_by(Community.id)),
        "street_id": _first(sa.select(Street.id).order_by(Street.id)),
        "user_id": _first(sa.select(User.id).where(User.is_admin.is_(False)).order_by(User.id)),
    }


def aim_at_existing(body: Any, known: dict[str, int]) -> None:
    """Point about half of a positive body's ids at objects that exist (still valid)."""
    if isinstance(body, dict):
        for name in BODY_IDS:
            value = body.get(name)
            is_id = isinstance(value, int) and not isinstance(value, bool)
            if is_id and value % 2 == 0 and name in known:
                body[name] = known[name]
                if name == "community_id" and "street_id" in body:
                    body["street_id"] = None


@pytest.fixture
def seeded(app):
    logins = seed_demo(now=NOW)
    db.session.commit()
    admin_email = logins["district admin"].split(" / ")[0]
    admin = db.session.scalar(sa.select(User).where(User.email == admin_email))
    return app, admin


def test_no_request_breaks_the_document(seeded):
    app, admin = seeded
    saved = {key: app.config.get(key) for key in ("RATE_LIMITS", "CLOCK")}
    app.config.update(RATE_LIMITS="off", CLOCK=lambda: NOW)
    try:
        failures = _run(app, admin)
    finally:
        app.config.update(saved)
    assert not failures, "\n\n".join(failures)


def _run(app, admin) -> list[str]:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 35
    known_paths = existing_ids()
    known_body = body_ids()
    failures: list[str] = []

    def attempt(operation, mode: GenerationMode, path_parameters=None) -> None:
        strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)

        @given(case=strategy)
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            if mode == GenerationMode.POSITIVE:
                aim_at_existing(case.body, known_body)
            # A fresh token each time: DELETE /tokens/current revokes the one it is sent with.
            _, secret = issue_token_for(user=admin, now=NOW)
            db.session.commit()
            case.call_and_validate(headers={"Authorization": f"Bearer {secret}"},
                                   checks=CHECKS)

        try:
            run()
        except Exception as error:  # gather every operation's failure, then report them all
            where = f" {path_parameters}" if path_parameters else ""
            failures.append(f"{operation.label}{where} [{mode.value}]: {str(error)[:3000]}")

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            attempt(operation, mode)
        names = [p.name for p in operation.path_parameters]
        # Objects the demo has for every parameter of the path (ids of others are generated).
        if names and all(known_paths.get(name) for name in names):
            for index in range(max(len(known_paths[name]) for name in names)):
                fixed = {name: known_paths[name][min(index, len(known_paths[name]) - 1)]
                         for name in names}
                attempt(operation, GenerationMode.POSITIVE, fixed)
    return failures
