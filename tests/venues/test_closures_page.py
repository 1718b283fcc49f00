"""The closures page: preview every booking a closure hits, save only what was previewed,
cancel exactly those bookings with the reason, notify their bookers, audit it all; suspend
the venue; reopen."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from gongjian.accounts.models import Notification
from gongjian.bookings.models import Booking
from gongjian.extensions import db
from gongjian.venues.services import add_closure

from ..conftest import NOW
from ..factories import local
from ..pages import text
from . import hours_fixtures
from .hours_fixtures import audit_actions, closures_of, notification_count, post, sign_in

clock, world = hours_fixtures.clock, hours_fixtures.world


def url(venue, suffix: str = "") -> str:
    return f"/manage/venues/{venue.id}/closures{suffix}"


def closure_form(action: str = "preview", *, first: str = "2026-12-05", start: str = "12:00",
                 last: str = "2026-12-05", end: str = "18:00", reason: str = "maintenance",
                 note: str = "更换地板", expected: str | None = None) -> dict[str, str]:
    data = {"which": "closure", "action": action, "closure-start_date": first,
            "closure-start_time": start, "closure-end_date": last, "closure-end_time": end,
            "closure-reason": reason, "closure-note": note}
    if expected is not None:
        data["closure-expected"] = expected
    return data


def suspend_form(action: str = "preview", *, first: str = "2026-12-04", start: str = "00:00",
                 note: str = "消防整改", expected: str | None = None) -> dict[str, str]:
    data = {"which": "suspend", "action": action, "suspend-start_date": first,
            "suspend-start_time": start, "suspend-note": note}
    if expected is not None:
        data["suspend-expected"] = expected
    return data


def statuses(*bookings) -> list[str]:
    db.session.expire_all()
    return [db.session.get(Booking, b.id).status.value for b in bookings]


@pytest.fixture
def signed_in(client, world):
    sign_in(client, world.manager)
    return client


@pytest.fixture
def bookings(world, make):
    """Around a closure of Saturday 5 December 12:00–18:00: two bookings it hits, two touching
    its edges, one at another venue at the same time, one already cancelled."""
    found = {
        "inside": make.booking(venue=world.venue, start=local(2026, 12, 5, 13),
                               end=local(2026, 12, 5, 15), title="合唱排练"),
        "overlapping": make.booking(venue=world.venue, start=local(2026, 12, 5, 11),
                                    end=local(2026, 12, 5, 13), title="读书会"),
        "before_edge": make.booking(venue=world.venue, start=local(2026, 12, 5, 10),
                                    end=local(2026, 12, 5, 11)),
        "after_edge": make.booking(venue=world.venue, start=local(2026, 12, 5, 18),
                                   end=local(2026, 12, 5, 20)),
        "other_venue": make.booking(venue=world.other_venue, start=local(2026, 12, 5, 13),
                                    end=local(2026, 12, 5, 15)),
    }
    make.commit()
    return found


def hit_ids(bookings) -> str:
    return f"{bookings['overlapping'].id},{bookings['inside'].id}"


# Showing ---------------------------------------------------------------------------------


def test_the_page_lists_current_and_future_closures_only(signed_in, world, make):
    add_closure(venue=world.venue, start=local(2026, 11, 20, 8), end=local(2026, 11, 21, 8),
                reason="maintenance", note="过去的", actor=world.admin, now=NOW)
    add_closure(venue=world.venue, start=local(2026, 12, 1, 8), end=local(2026, 12, 1, 12),
                reason="event", note="正在进行", actor=world.admin, now=NOW)
    add_closure(venue=world.venue, start=local(2026, 12, 10, 8), end=local(2026, 12, 10, 12),
                reason="holiday", note="以后的", actor=world.admin, now=NOW)
    make.commit()
    page = text(signed_in.get(url(world.venue)))
    assert "过去的" not in page
    assert ("2026-12-01 (Tue) 08:00–12:00 Now Event of the unit 正在进行 Reopen now "
            "2026-12-10 (Thu) 08:00–12:00 Holiday 以后的 Remove") in page


def test_a_suspended_venue_says_so_at_the_top(signed_in, world, make):
    add_closure(venue=world.venue, start=local(2026, 11, 30, 9), end=None, reason="suspension",
                note="消防整改", actor=world.admin, now=NOW)
    make.commit()
    page = text(signed_in.get(url(world.venue)))
    assert ("This venue is suspended (暂停开放) from 2026-11-30 (Mon) 09:00 until further "
            "notice: 消防整改 Lift the suspension") in page


# The preview ------------------------------------------------------------------------------


def test_the_preview_lists_every_booking_the_closure_hits(signed_in, world, bookings):
    response = post(signed_in, url(world.venue), closure_form())
    assert response.status_code == 200
    page = text(response)
    booker = {key: b.booker.name for key, b in bookings.items()}
    assert ("Saving cancels these 2 bookings and tells their bookers why: Bookings the closure "
            "cancels Time Booked by Title "
            f"Status 2026-12-05 (Sat) 11:00–13:00 {booker['overlapping']} 读书会 Confirmed "
            f"2026-12-05 (Sat) 13:00–15:00 {booker['inside']} 合唱排练 Confirmed "
            "Save and cancel 2 bookings") in page
    html = response.get_data(as_text=True)
    assert f'name="closure-expected" value="{hit_ids(bookings)}"' in html


def test_the_preview_writes_nothing(signed_in, world, bookings):
    notices = notification_count()
    post(signed_in, url(world.venue), closure_form())
    assert closures_of(world.venue) == []
    assert statuses(*bookings.values()) == ["confirmed"] * 5
    assert notification_count() == notices
    assert "closure.create" not in audit_actions()


def test_a_closure_hitting_nothing_says_so(signed_in, world, bookings):
    page = text(post(signed_in, url(world.venue), closure_form(first="2026-12-06",
                                                               last="2026-12-06")))
    assert "No booking is affected. Save the closure" in page


# Saving ----------------------------------------------------------------------------------


def test_saving_cancels_exactly_the_bookings_it_hits(signed_in, world, bookings):
    response = post(signed_in, url(world.venue), closure_form("save",
                                                              expected=hit_ids(bookings)))
    assert response.status_code == 303
    assert response.headers["Location"] == url(world.venue)
    assert closures_of(world.venue) == [(local(2026, 12, 5, 12), local(2026, 12, 5, 18),
                                         "maintenance", "更换地板")]
    assert statuses(*bookings.values()) == ["cancelled", "cancelled", "confirmed", "confirmed",
                                            "confirmed"]
    cancelled = db.session.get(Booking, bookings["inside"].id)
    assert cancelled.reason == "更换地板"
    assert cancelled.cancelled_by_id == world.manager.id


def test_each_booker_hit_is_notified_with_the_reason(signed_in, world, bookings):
    post(signed_in, url(world.venue), closure_form("save", expected=hit_ids(bookings)))
    rows = db.session.scalars(sa.select(Notification).where(
        Notification.kind == "booking_cancelled_by_manager").order_by(Notification.booking_id))
    assert [(n.user_id, n.booking_id, n.data["reason"]) for n in rows] == [
        (bookings["inside"].booker_id, bookings["inside"].id, "更换地板"),
        (bookings["overlapping"].booker_id, bookings["overlapping"].id, "更换地板"),
    ]


def test_saving_writes_the_audit_events(signed_in, world, bookings):
    before = len(audit_actions())
    post(signed_in, url(world.venue), closure_form("save", expected=hit_ids(bookings)))
    assert sorted(audit_actions()[before:]) == ["booking.cancel", "booking.cancel",
                                                "closure.create"]
    assert audit_actions(object_type="closures") == ["closure.create"]


def test_the_saved_closure_is_reported(signed_in, world, bookings):
    response = post(signed_in, url(world.venue), closure_form("save",
                                                              expected=hit_ids(bookings)),
                    follow_redirects=True)
    assert ("The venue is closed from 2026-12-05 (Sat) 12:00 to 2026-12-05 (Sat) 18:00. "
            "2 bookings were cancelled and their bookers notified.") in text(response)


def test_a_booking_made_after_the_preview_stops_the_save(signed_in, world, bookings, make):
    late = make.booking(venue=world.venue, start=local(2026, 12, 5, 16),
                        end=local(2026, 12, 5, 17), title="晚来的预约")
    make.commit()
    notices = notification_count()
    response = post(signed_in, url(world.venue), closure_form("save",
                                                              expected=hit_ids(bookings)))
    assert response.status_code == 200
    page = text(response)
    assert ("The bookings this closure would cancel have changed since you looked. Nothing is "
            "saved: check the list again.") in page
    assert "晚来的预约" in page and "Save and cancel 3 bookings" in page
    assert closures_of(world.venue) == []
    assert statuses(late, *bookings.values()) == ["confirmed"] * 6
    assert notification_count() == notices


def test_a_save_without_a_preview_of_its_bookings_only_previews(signed_in, world, bookings):
    response = post(signed_in, url(world.venue), closure_form("save"))
    assert response.status_code == 200
    assert "Save and cancel 2 bookings" in text(response)
    assert closures_of(world.venue) == []


def test_a_closure_over_whole_days_runs_from_midnight_to_midnight(signed_in, world):
    post(signed_in, url(world.venue), closure_form("save", start="00:00", last="2026-12-06",
                                                   end="24:00", reason="holiday",
                                                   note="元旦调整"))
    assert closures_of(world.venue) == [(local(2026, 12, 5), local(2026, 12, 7), "holiday",
                                         "元旦调整")]


def test_saving_without_the_csrf_token_is_refused(signed_in, world, bookings):
    response = signed_in.post(url(world.venue), data=closure_form("save",
                                                                  expected=hit_ids(bookings)))
    assert response.status_code == 400
    assert closures_of(world.venue) == []
    assert statuses(*bookings.values()) == ["confirmed"] * 5


# Suspension ------------------------------------------------------------------------------


def test_suspending_cancels_every_booking_from_then_on(signed_in, world, bookings):
    response = post(signed_in, url(world.venue), suspend_form())
    page = text(response)
    assert "from 2026-12-04 (Fri) 00:00 until further notice" in page
    assert "Save and cancel 4 bookings" in page
    ids = ",".join(str(b.id) for b in sorted(
        (bookings[k] for k in ("before_edge", "overlapping", "inside", "after_edge")),
        key=lambda b: b.id))
    response = post(signed_in, url(world.venue), suspend_form("save", expected=ids))
    assert response.status_code == 303
    assert closures_of(world.venue) == [(local(2026, 12, 4), None, "suspension", "消防整改")]
    assert statuses(*bookings.values()) == ["cancelled"] * 4 + ["confirmed"]


def test_the_suspension_form_starts_now(signed_in, world):
    html = signed_in.get(url(world.venue)).get_data(as_text=True)
    assert 'name="suspend-start_date" required type="date" value="2026-12-01"' in html
    assert ('name="suspend-start_time" placeholder="HH:MM" required size="5" type="text" '
            'value="10:00"') in html


# What the form refuses ---------------------------------------------------------------------


def field_error(html: str, field_id: str) -> str:
    start = html.index(f'id="{field_id}-error"')
    return html[html.index(">", start) + 1:html.index("</div>", start)]


def test_an_end_before_the_start_is_marked_on_the_last_day(signed_in, world, bookings):
    response = post(signed_in, url(world.venue), closure_form(end="10:00"))
    assert response.status_code == 200
    assert field_error(response.get_data(as_text=True), "closure-end_date") == (
        "The closure must end after it starts.")
    assert closures_of(world.venue) == []


def test_a_reason_for_the_bookers_is_required(signed_in, world):
    response = post(signed_in, url(world.venue), closure_form(note="  "))
    assert field_error(response.get_data(as_text=True), "closure-note") == (
        "Say why: the bookers read it.")


def test_an_unreadable_time_is_marked_and_kept(signed_in, world):
    html = post(signed_in, url(world.venue), closure_form(start="25:00")).get_data(as_text=True)
    assert field_error(html, "closure-start_time") == "Write a time from 00:00 to 23:59 as HH:MM."
    assert 'value="25:00"' in html


def test_an_unknown_form_is_a_bad_request(signed_in, world):
    assert post(signed_in, url(world.venue), {"which": "other"}).status_code == 400


# Reopening -------------------------------------------------------------------------------


def test_a_future_closure_is_removed(signed_in, world, make):
    closure = add_closure(venue=world.venue, start=local(2026, 12, 10, 8),
                          end=local(2026, 12, 10, 12), reason="event", actor=world.admin,
                          now=NOW)
    make.commit()
    response = post(signed_in, url(world.venue, f"/{closure.id}/lift"), {})
    assert response.status_code == 303
    assert closures_of(world.venue) == []
    assert audit_actions(object_type="closures")[-1] == "closure.delete"


def test_a_suspension_that_has_begun_ends_now_and_keeps_its_past(signed_in, world, make):
    closure = add_closure(venue=world.venue, start=local(2026, 11, 30, 9), end=None,
                          reason="suspension", note="消防整改", actor=world.admin, now=NOW)
    make.commit()
    response = post(signed_in, url(world.venue, f"/{closure.id}/lift"), {},
                    follow_redirects=True)
    assert "The suspension is lifted: the venue is open again." in text(response)
    assert closures_of(world.venue) == [(local(2026, 11, 30, 9), NOW, "suspension", "消防整改")]
    assert audit_actions(object_type="closures")[-1] == "closure.update"


def test_another_venues_closure_is_not_found_here(signed_in, world, make):
    closure = add_closure(venue=world.second_venue, start=local(2026, 12, 10, 8),
                          end=local(2026, 12, 10, 12), reason="event", actor=world.admin,
                          now=NOW)
    make.commit()
    response = post(signed_in, url(world.venue, f"/{closure.id}/lift"), {})
    assert response.status_code == 404
    assert len(closures_of(world.second_venue)) == 1


def test_lifting_without_the_csrf_token_is_refused(signed_in, world, make):
    closure = add_closure(venue=world.venue, start=NOW + timedelta(days=3),
                          end=NOW + timedelta(days=4), reason="event", actor=world.admin,
                          now=NOW)
    make.commit()
    response = signed_in.post(url(world.venue, f"/{closure.id}/lift"))
    assert response.status_code == 400
    assert len(closures_of(world.venue)) == 1
