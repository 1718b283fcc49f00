"""Openness pages: unit and district dashboards, reports, exports and the public board."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, abort, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..accounts.models import Community, Street, Unit
from ..accounts.services import can_manage_unit
from ..errors import InvalidInput
from ..extensions import db
from ..labels import UNIT_TYPES
from . import exports, periods
from .models import Agreement
from .services import (
    BASELINE_WEEKLY_HOURS,
    BASELINE_WEEKLY_OFF_HOURS,
    SORT_KEYS,
    Figures,
    Level,
    Scope,
    baseline_gap,
    baseline_hours,
    booking_heatmap,
    district_table,
    monthly_series,
    people_by_community,
    public_board,
    round_half_up,
    shortfalls,
    unit_openness,
    venue_flags,
)

bp = Blueprint("stats", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.app_context_processor
def _stats_helpers() -> dict[str, Any]:
    names = (_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun"))
    return {"weekday_label": lambda weekday: names[weekday]}


# Guards and parameters ---------------------------------------------------------------------


def _managed_unit(unit_id: int) -> Unit:
    """The unit, for its managers and district admins (404 unknown, 403 anyone else)."""
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        abort(404)
    if not can_manage_unit(current_user, unit_id):
        abort(403)
    return unit


def _require_admin() -> None:
    if not current_user.is_admin:
        abort(403)


def _period(default: str) -> tuple[periods.Period, str]:
    on = None
    if request.args.get("year"):
        try:
            year = int(request.args["year"])
            on = date(year, 12, 31)
        except ValueError:
            raise InvalidInput({"year": "invalid"}) from None
    return periods.resolve(request.args, default=default, on=on)


def _int_arg(name: str) -> int | None:
    value = request.args.get(name)
    if not value:
        return None
    if not value.isdigit():
        raise InvalidInput({name: "invalid"})
    return int(value)


def _district_scope() -> Scope:
    unit_type = request.args.get("unit_type") or None
    if unit_type is not None and unit_type not in UNIT_TYPES:
        raise InvalidInput({"unit_type": "invalid"})
    return Scope(street_id=_int_arg("street_id"), community_id=_int_arg("community_id"),
                 unit_type=unit_type)


def _sort() -> tuple[str, bool]:
    sort = request.args.get("sort", "open_hours")
    if sort not in SORT_KEYS:
        sort = "open_hours"
    return sort, request.args.get("dir", "asc" if sort == "name" else "desc") != "asc"


def _download(content: bytes, filename: str, content_type: str) -> Response:
    response = Response(content, content_type=content_type)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{filename.encode('ascii', 'ignore').decode()}\"; "
        f"filename*=UTF-8''{_quote(filename)}")
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def _h(value) -> float | int | None:
    rounded = round_half_up(value, 2)
    if rounded is None:
        return None
    return int(rounded) if rounded == rounded.to_integral_value() else float(rounded)


def unit_json(unit: Unit) -> dict[str, Any]:
    """A unit as the API and the open data show it (no contact details)."""
    return {"id": unit.id, "name": unit.name, "type": unit.type.value,
            "community_id": unit.community_id, "community": unit.community.name,
            "street_id": unit.community.street_id, "street": unit.community.street.name}


# Unit dashboard -----------------------------------------------------------------------------


@bp.get("/stats/units/<int:unit_id>")
@login_required
def unit_dashboard(unit_id: int):
    unit = _managed_unit(unit_id)
    period, preset = _period("year")
    figures, venues = unit_openness(unit, period)
    flags = venue_flags(venues)
    months, series = monthly_series(period, level=Level.UNIT, scope=Scope(unit_ids=[unit.id]))
    charts = {
        "months": [f"{m.first:%Y-%m}" for m in months],
        "open": [_h(f.open_hours) for f in series[unit.id]],
        "committed": [_h(f.committed_hours) for f in series[unit.id]],
        "booked": [_h(f.booked_hours) for f in series[unit.id]],
        "venues": [v.name for v, _f in venues],
        "utilization": [None if f.utilization is None else float(round_half_up(
            f.utilization * 100, 1)) for _v, f in venues],
        "heatmap": [[hour, weekday, count]
                    for weekday, row in enumerate(booking_heatmap(unit, period))
                    for hour, count in enumerate(row) if count],
        "communities": [{"name": name or _("Unknown community"), "value": total}
                        for name, total in people_by_community(unit, period)],
        "labels": {
            "open": _("Open hours"), "committed": _("Committed hours"),
            "booked": _("Booked hours"), "utilization": _("Utilization (%)"),
            "weekdays": [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"),
                         _("Sun")],
            "bookings": _("Bookings"),
        },
    }
    below_commitment = figures.commitment_rate is not None and figures.commitment_rate < 1
    return render_template(
        "stats/unit.html", unit=unit, period=period, preset=preset, figures=figures,
        data=figures.to_dict(), venues=[(v, f, f.to_dict()) for v, f in venues], flags=flags,
        below_commitment=below_commitment, gap=_h(baseline_gap(figures, period)),
        charts=charts, presets=periods.PRESETS[:6])


# Unit report (半年/年终考核) ------------------------------------------------------------


def _report(unit: Unit):
    period, preset = _period("h1" if periods.today().month <= 6 else "h2")
    figures, venues = unit_openness(unit, period)
    months, series = monthly_series(period, level=Level.UNIT, scope=Scope(unit_ids=[unit.id]))
    agreements = db.session.scalars(
        sa.select(Agreement).where(Agreement.unit_id == unit.id,
                                   Agreement.valid_from <= period.last,
                                   sa.or_(Agreement.valid_until.is_(None),
                                          Agreement.valid_until >= period.first))
        .order_by(Agreement.valid_from)).all()
    return period, preset, figures, venues, months, series[unit.id], agreements


@bp.get("/stats/units/<int:unit_id>/report")
@login_required
def unit_report(unit_id: int):
    unit = _managed_unit(unit_id)
    period, preset, figures, venues, months, series, agreements = _report(unit)
    return render_template(
        "stats/report.html", unit=unit, period=period, preset=preset, figures=figures,
        data=figures.to_dict(), venues=[(v, f.to_dict()) for v, f in venues],
        months=[(m, f.to_dict()) for m, f in zip(months, series, strict=True)],
        agreements=[(a, period.overlap_days(a.valid_from, a.valid_until)) for a in agreements],
        gap=_h(baseline_gap(figures, period)), baseline=[_h(v) for v in baseline_hours(period)],
        generated=periods.now())


@bp.get("/stats/units/<int:unit_id>/report.<any(xlsx, csv):fmt>")
@login_required
def unit_report_file(unit_id: int, fmt: str):
    unit = _managed_unit(unit_id)
    period, _preset, figures, venues, months, series, agreements = _report(unit)
    name = f"{unit.name}-开放考核-{period.first:%Y%m%d}-{period.last:%Y%m%d}"
    if fmt == "csv":
        sheet = exports.unit_report_csv_sheet(unit=unit, period=period, figures=figures,
                                              venues=venues)
        return _download(exports.to_csv(sheet), f"{name}.csv", "text/csv; charset=utf-8")
    sheets = exports.unit_report_sheets(unit=unit, period=period, figures=figures,
                                        venues=venues, months=months, series=series,
                                        agreements=agreements)
    return _download(exports.to_xlsx(sheets), f"{name}.xlsx", XLSX)


# District dashboard ------------------------------------------------------------------------------


@bp.get("/stats/district")
@login_required
def district():
    _require_admin()
    period, preset = _period("year")
    scope = _district_scope()
    sort, descending = _sort()
    rows = district_table(period, scope, sort=sort, descending=descending)
    behind, below = shortfalls(rows)
    totals = Figures()
    for row in rows:
        totals.open_hours += row.figures.open_hours
        totals.booked_hours += row.figures.booked_hours
        totals.people_served += row.figures.people_served
        for status, count in row.figures.bookings.items():
            totals.bookings[status] += count
        totals.committed_hours = (totals.committed_hours or 0) + (
            row.figures.committed_hours or 0)
    filters = {k: v for k, v in request.args.items() if k not in ("sort", "dir") and v}
    return render_template(
        "stats/district.html", period=period, preset=preset, presets=periods.PRESETS[:6],
        rows=[(r, r.figures.to_dict()) for r in rows], behind=behind, below=below,
        totals=totals.to_dict(), sort=sort, descending=descending, filters=filters,
        streets=db.session.scalars(sa.select(Street).order_by(Street.id)).all(),
        communities=db.session.scalars(sa.select(Community).order_by(Community.id)).all(),
        unit_types=UNIT_TYPES, hours=_h, baseline=[_h(v) for v in baseline_hours(period)],
        baseline_weekly=(int(BASELINE_WEEKLY_HOURS), int(BASELINE_WEEKLY_OFF_HOURS)),
        trend_url=url_for("stats.district_trend", **filters))


@bp.get("/stats/district/trend.json")
@login_required
def district_trend():
    _require_admin()
    period, _preset = _period("year")
    months, series = monthly_series(period, level=Level.DISTRICT, scope=_district_scope())
    figures = series.get(None, [])
    return jsonify({
        "months": [f"{m.first:%Y-%m}" for m in months],
        "open_hours": [f.to_dict()["open_hours"] for f in figures],
        "booked_hours": [f.to_dict()["booked_hours"] for f in figures],
        "committed_hours": [f.to_dict()["committed_hours"] for f in figures],
        "utilization": [f.to_dict()["utilization"] for f in figures],
        "labels": {"open": _("Open hours"), "booked": _("Booked hours"),
                   "committed": _("Committed hours"), "utilization": _("Utilization")},
    })


@bp.get("/stats/district.<any(xlsx, csv):fmt>")
@login_required
def district_file(fmt: str):
    _require_admin()
    period, _preset = _period("year")
    sort, descending = _sort()
    rows = district_table(period, _district_scope(), sort=sort, descending=descending)
    sheet = exports.district_sheet(rows, period)
    name = f"驻区单位开放统计-{period.first:%Y%m%d}-{period.last:%Y%m%d}"
    if fmt == "csv":
        return _download(exports.to_csv(sheet), f"{name}.csv", "text/csv; charset=utf-8")
    return _download(exports.to_xlsx([sheet]), f"{name}.xlsx", XLSX)


# The public board (公开榜) -------------------------------------------------------------


PUBLIC_FIGURES = ("open_hours", "evening_hours", "rest_day_hours", "booked_hours",
                  "utilization", "people_served", "satisfaction", "ratings", "committed_hours",
                  "commitment_rate")


def _board():
    today = periods.today()
    month = periods.preset("last_full_month", today)
    year = periods.preset("year_to_date", today)
    return today, month, year, public_board(month, year, today)


@bp.get("/openness")
def board():
    today, month, year, rows = _board()
    return render_template("stats/board.html", today=today, month=month, year=year,
                           rows=[(r, r.month.to_dict(), r.year.to_dict()) for r in rows])


@bp.get("/openness.json")
def board_json():
    today, month, year, rows = _board()

    def public(figures: Figures) -> dict[str, Any]:
        data = figures.to_dict()
        return {key: data[key] for key in PUBLIC_FIGURES}

    response = jsonify({
        "generated_on": today.isoformat(),
        "last_month": {"from": month.first.isoformat(), "to": month.last.isoformat()},
        "year_to_date": {"from": year.first.isoformat(), "to": year.last.isoformat()},
        "items": [{
            "unit": unit_json(row.unit),
            "last_month": public(row.month),
            "year_to_date": public(row.year),
            "venues": [{
                "id": venue.id, "name": venue.name, "kind": venue.kind.value,
                "capacity": venue.capacity, "timezone": venue.timezone,
                "opening_hours": [{"weekday": d, "start": span.split("–")[0],
                                   "end": span.split("–")[1]} for d, span in table],
            } for venue, table in row.venues],
        } for row in rows],
    })
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/openness.csv")
def board_csv():
    _today, month, year, rows = _board()
    sheet = exports.board_sheet(rows, month, year)
    return _download(exports.to_csv(sheet), f"openness-{year.last:%Y%m%d}.csv",
                     "text/csv; charset=utf-8")
