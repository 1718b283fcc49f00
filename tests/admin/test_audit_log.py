"""The audit log page: every event newest first, 50 a page, filtered by unit, venue, actor,
action and local dates; each with its actor, readable action, object and compact changes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from gongjian import audit
from gongjian.accounts import places
from gongjian.extensions import db

from ..conftest import NOW
from ..factories import local
from ..pages import login, text


def event_ids(response) -> list[int]:
    return [int(n) for n in re.findall(r'<tr data-event="(\d+)">',
                                       response.get_data(as_text=True))]


def record(actor, action, obj, when, *, before=None, after=None, unit_id=None, venue_id=None):
    audit.record(actor=actor, action=action, obj=obj, now=when, before=before, after=after,
                 unit_id=unit_id, venue_id=venue_id)
    return db.session.scalar(sa.select(sa.func.max(audit.AuditEvent.id)))


@pytest.fixture
def log(app, district, make):
    """Five events over two local days at two units, by the admin, a manager and the system."""
    d = district
    venue = make.venue(unit=d.unit, name="阅览室")
    ids = {
        "rename": record(d.admin, "unit.update", d.unit, local(2026, 11, 30, 9),
                         before={"name": "图书馆"}, after={"name": "区图书馆"}, unit_id=d.unit.id),
        "hours": record(d.manager, "venue.opening_hours", venue, local(2026, 11, 30, 23, 59),
                        after={"windows": 7}, unit_id=d.unit.id, venue_id=venue.id),
        "school": record(d.admin, "unit.deactivate", d.other_unit, local(2026, 12, 1, 0, 0),
                         before={"active": True}, after={"active": False},
                         unit_id=d.other_unit.id),
        "manager": record(d.admin, "unit.add_manager", d.unit, local(2026, 12, 1, 8),
                          after={"user_id": d.manager.id}, unit_id=d.unit.id),
        "system": record(None, "user.suspend_no_shows", d.resident, local(2026, 12, 1, 9),
                         after={"suspended_until": "2026-12-31T01:00:00+00:00"}),
    }
    # Only these five: not the events of making the venue.
    db.session.execute(sa.delete(audit.AuditEvent).where(
        audit.AuditEvent.id.not_in(list(ids.values()))))
    make.commit()
    return d, venue, ids


def test_every_event_newest_first(app, client, log):
    d, venue, ids = log
    login(client, d.admin)
    response = client.get("/admin/audit")
    assert event_ids(response)[:5] == [ids["system"], ids["manager"], ids["school"],
                                       ids["hours"], ids["rename"]]
    page = text(response)
    assert "2026-11-30 (Mon) 09:00 街道管理员" in page
    assert f"Unit changed Unit #{d.unit.id} 区图书馆 name : 图书馆 → 区图书馆" in page
    assert (f"System Suspended for no-shows User #{d.resident.id} {d.resident.name} "
            "suspended_until : 2026-12-31T01:00:00+00:00") in page
    assert f"Unit deactivated Unit #{d.other_unit.id} 和平中学 active : yes → no" in page


def test_filter_by_unit(app, client, log):
    d, venue, ids = log
    login(client, d.admin)
    response = client.get(f"/admin/audit?unit={d.unit.id}")
    assert event_ids(response) == [ids["manager"], ids["hours"], ids["rename"]]


def test_filter_by_venue(app, client, log):
    d, venue, ids = log
    login(client, d.admin)
    assert event_ids(client.get(f"/admin/audit?venue={venue.id}")) == [ids["hours"]]


def test_filter_by_actor_e_mail(app, client, log):
    d, venue, ids = log
    login(client, d.admin)
    assert event_ids(client.get("/admin/audit?user=LI@example.cn")) == [ids["hours"]]


def test_an_unknown_actor_is_named_on_the_field_and_matches_nothing(app, client, log):
    d, venue, ids = log
    login(client, d.admin)
    response = client.get("/admin/audit?user=nobody@example.cn")
    assert event_ids(response) == []
    html = response.get_data(as_text=True)
    assert ('<div class="invalid-feedback d-block" id="user-error">Nobody has an account with '
            'this e-mail address.</div>') in html
    assert 'aria-describedby="user-error"' in html


def test_filter_by_action_offers_the_actions_present(app, client, log):
    d, venue, ids = log
    login(client, d.admin)
    response = client.get("/admin/audit?action=unit.add_manager")
    assert event_ids(response) == [ids["manager"]]
    options = re.findall(r'<option (?:selected )?value="([^"]*)"[^>]*>([^<]*)</option>',
                         response.get_data(as_text=True).split('id="action"')[1]
                         .split("</select>")[0])
    assert options == [("", "All actions"), ("venue.opening_hours", "Opening hours changed"),
                       ("user.suspend_no_shows", "Suspended for no-shows"),
                       ("unit.update", "Unit changed"), ("unit.deactivate", "Unit deactivated"),
                       ("unit.add_manager", "Unit manager added")]


def test_an_action_not_in_the_log_is_ignored(app, client, log):
    d, venue, ids = log
    login(client, d.admin)
    assert len(event_ids(client.get("/admin/audit?action=drop.tables"))) == 5


def test_filter_by_local_dates_both_inclusive(app, client, log):
    d, venue, ids = log
    login(client, d.admin)
    assert event_ids(client.get("/admin/audit?from=2026-11-30&to=2026-11-30")) == [
        ids["hours"], ids["rename"]]  # 23:59 Shanghai is still 30 November
    assert event_ids(client.get("/admin/audit?from=2026-12-01")) == [
        ids["system"], ids["manager"], ids["school"]]
    assert event_ids(client.get("/admin/audit?to=2026-11-29")) == []


def test_bad_dates_are_refused_on_their_fields(app, client, log):
    d, venue, ids = log
    login(client, d.admin)
    response = client.get("/admin/audit?from=yesterday&to=2026-11-01")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert ('<div class="invalid-feedback d-block" id="from-error">Enter a date like '
            '2026-12-01.</div>') in html
    assert event_ids(response) == []  # to=2026-11-01 still applies
    response = client.get("/admin/audit?from=2026-12-01&to=2026-11-30")
    assert ('<div class="invalid-feedback d-block" id="to-error">The last day cannot be before '
            'the first day.</div>') in response.get_data(as_text=True)


def test_fifty_events_a_page(app, client, district):
    for n in range(55):
        record(district.admin, "unit.update", district.unit, NOW - timedelta(minutes=n),
               before={"n": n}, after={"n": n + 1}, unit_id=district.unit.id)
    db.session.commit()
    login(client, district.admin)
    first = client.get("/admin/audit")
    assert len(event_ids(first)) == 50
    assert "55 events" in text(first)
    assert len(event_ids(client.get("/admin/audit?page=2"))) == 5


def test_console_changes_land_in_the_log(app, client, district):
    places.rename_street(street=district.street, name="和平街道办", actor=district.admin, now=NOW)
    db.session.commit()
    login(client, district.admin)
    page = text(client.get("/admin/audit"))
    assert (f"Street renamed Street #{district.street.id} 和平街道办 "
            "name : 和平街道 → 和平街道办") in page


def test_long_values_are_shortened(app, client, district):
    record(district.admin, "unit.update", district.unit, NOW, before={"description": ""},
           after={"description": "长" * 300}, unit_id=district.unit.id)
    db.session.commit()
    login(client, district.admin)
    page = text(client.get("/admin/audit"))
    assert "description : — → " + "长" * 119 + "…" in page
    assert "长" * 120 not in page
