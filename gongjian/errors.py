"""Domain errors with the product contract's codes, and the one handler that answers them.

Services raise these; a page shows the message, the API answers the JSON envelope of §9.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import Flask, flash, jsonify, redirect, render_template, request
from flask.globals import request_ctx
from flask_babel import gettext, lazy_gettext
from werkzeug.exceptions import HTTPException

# code → (HTTP status, message). Messages take the violation's params by name.
CODES: dict[str, tuple[int, Any]] = {
    # product.md §5, in checking order
    "invalid_time": (422, lazy_gettext(
        "Start and end must be RFC 3339 times with an offset, and the end must be after the "
        "start.")),
    "venue_not_found": (404, lazy_gettext("This venue does not exist or is no longer open.")),
    "booker_suspended": (403, lazy_gettext(
        "Your booking rights are suspended.")),
    "audience_not_allowed": (403, lazy_gettext(
        "This venue does not take this kind of booking ({audience}).")),
    "not_org_member": (403, lazy_gettext(
        "You can book for an organization only if it is approved and you belong to it.")),
    "misaligned": (422, lazy_gettext(
        "Start and end must fall on the venue's {slot_minutes}-minute grid.")),
    "too_short": (422, lazy_gettext("A booking here lasts at least {minutes} minutes.")),
    "too_long": (422, lazy_gettext("A booking here lasts at most {minutes} minutes.")),
    "too_soon": (422, lazy_gettext(
        "Bookings must start at least {minutes} minutes from now, never in the past.")),
    "too_far_ahead": (422, lazy_gettext(
        "This venue takes bookings at most {days} days ahead.")),
    "over_capacity": (422, lazy_gettext(
        "Attendees must be between 1 and the venue's capacity of {capacity}.")),
    "outside_opening_hours": (422, lazy_gettext(
        "The whole booking must lie within the venue's opening hours.")),
    "closed": (422, lazy_gettext("The venue is closed during this time.")),
    "quota_exceeded": (422, lazy_gettext(
        "You already hold the most active bookings allowed at this venue ({limit}).")),
    "conflict": (409, lazy_gettext("This time clashes with another booking.")),
    "series_too_long": (422, lazy_gettext(
        "A series must end within {days} days of its first occurrence.")),
    # lifecycle and general
    "invalid_transition": (409, lazy_gettext(
        "This booking is “{status}” and cannot be changed that way now.")),
    "stale": (409, lazy_gettext(
        "This booking was changed meanwhile; please reload it and try again.")),
    "reason_required": (422, lazy_gettext("Please give a reason.")),
    "check_in_not_open": (422, lazy_gettext(
        "Check-in opens 15 minutes before the start and closes at the end.")),
    "not_found": (404, lazy_gettext("Not found.")),
    "forbidden": (403, lazy_gettext("You are not allowed to do this.")),
    "unauthorized": (401, lazy_gettext("Please sign in first.")),
    "invalid_input": (422, lazy_gettext("Some fields are not valid: {fields}.")),
    "malformed": (400, lazy_gettext("The request could not be read: {problem}.")),
    "hours_overlap": (422, lazy_gettext(
        "Opening-hour windows of one venue must not overlap (weekday {weekday}).")),
    "busy": (503, lazy_gettext("The system is busy; please try again in a moment.")),
    "method_not_allowed": (405, lazy_gettext("This method is not allowed here.")),
    "rate_limited": (429, lazy_gettext("Too many requests; please slow down.")),
    "too_large": (413, lazy_gettext("The request is too large.")),
}


@dataclass(frozen=True)
class Violation:
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        template = CODES[self.code][1]
        if not self.params:
            return str(template)
        params = dict(self.params)
        if "status" in params:  # a booking status reads as its §3 label
            from .labels import BOOKING_STATUSES, label

            params["status"] = label(BOOKING_STATUSES, params["status"])
        return str(template).format(**params)


class DomainError(Exception):
    """A refusal the user can act on. The first violation names the error."""

    def __init__(
        self,
        code: str,
        params: dict[str, Any] | None = None,
        *,
        violations: list[Violation] | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        first = Violation(code, params or {})
        self.violations = violations or [first]
        self.details = details or {}
        super().__init__(code)

    @property
    def code(self) -> str:
        return self.violations[0].code

    @property
    def status(self) -> int:
        return CODES[self.code][0]

    @property
    def message(self) -> str:
        return self.violations[0].message

    def to_dict(self) -> dict[str, Any]:
        details = dict(self.details)
        if len(self.violations) > 1 or self.code in RULE_CODES:
            details["violations"] = [v.code for v in self.violations]
        return {"code": self.code, "message": self.message, "details": details}


RULE_CODES = frozenset(
    ["invalid_time", "venue_not_found", "booker_suspended", "audience_not_allowed",
     "not_org_member", "misaligned", "too_short", "too_long", "too_soon", "too_far_ahead",
     "over_capacity", "outside_opening_hours", "closed", "quota_exceeded", "conflict",
     "series_too_long"]
)


class NotFound(DomainError):
    def __init__(self, what: str = "") -> None:
        super().__init__("not_found", details={"object": what} if what else None)


class NotAllowed(DomainError):
    def __init__(self) -> None:
        super().__init__("forbidden")


class InvalidInput(DomainError):
    """Shape errors: the named fields, each with its own message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(
            "invalid_input", {"fields": ", ".join(errors)}, details={"fields": errors}
        )


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(error: DomainError):
    if wants_json():
        response = jsonify({"error": error.to_dict()})
        response.status_code = error.status
        return response
    flash(error.message, "danger")
    if request.method == "POST" and request.referrer:
        return redirect(request.referrer)
    return render_template("errors/error.html", status=error.status, message=error.message), (
        error.status
    )


def init_app(app: Flask) -> None:
    def roll_back() -> None:
        """Undo the request's writes; when the database went away meanwhile (PostgreSQL
        restarting), there is nothing left to undo: log it, drop the connection, answer."""
        from .extensions import db

        try:
            db.session.rollback()
        except sa.exc.SQLAlchemyError as failure:
            app.logger.warning("the database went away before the rollback: %s",
                               getattr(failure, "orig", None) or failure)
            db.session.close()

    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError):
        roll_back()
        return error_response(error)

    @app.errorhandler(sa.exc.OperationalError)
    @app.errorhandler(sa.exc.InterfaceError)
    def handle_database_away(error: sa.exc.DBAPIError):
        """The database cannot answer (restarting, unreachable, locked too long): 503 with
        Retry-After, not a 500. Sending the request again is safe: a booking that did land
        before the database went away answers as a conflict with itself, never twice."""
        app.logger.warning("database unavailable: %s", error.orig or error)
        roll_back()
        response = error_response(DomainError("busy"))
        if isinstance(response, tuple):
            response = app.make_response(response)
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        if wants_json():
            code = {400: "malformed", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                    405: "method_not_allowed", 413: "too_large",
                    429: "rate_limited"}.get(error.code or 500, "error")
            message = CODES[code][1] if code in CODES else error.name
            text = str(message).format(problem=error.description) if code == "malformed" else (
                str(message))
            response = jsonify({"error": {"code": code, "message": text, "details": {}}})
            response.status_code = error.code or 500
            # Keep what the exception says about itself (Allow on 405, Retry-After on 429).
            for name, value in error.get_headers():
                if name.lower() != "content-type":
                    response.headers[name] = value
            return response
        if request_ctx.url_adapter is None:
            # No URL adapter (e.g. an untrusted Host): the page's links cannot be built.
            return gettext(error.name), error.code, {"Content-Type": "text/plain; charset=utf-8"}
        return render_template(
            "errors/error.html", status=error.code, message=gettext(error.name)
        ), error.code
