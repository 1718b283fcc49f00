"""The notifications page (/notifications): each notice rendered in the page's language, newest
first, unread ones marked; opening the list marks nothing, following a notice or "Mark all as
read" does, and the header's count follows.

NOW is Tuesday 1 December 2026, 10:00 Shanghai. The resident asked for 读书会 at 08:00 (the
manager was told), the manager approved it at 09:00 (the resident was told); the resident also
has an older notice about no booking, and a stranger has a notice of their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa

from gongjian.accounts.models import Notification, User
from gongjian.bookings.models import Booking
from gongjian.bookings.notifications import add_notice
from gongjian.bookings.services import approve_booking
from gongjian.extensions import db

from ..conftest import NOW
from ..factories import local
from ..pages import csrf_token, login, text

HOUR = timedelta(hours=1)


@pytest.fixture
def clock(app):
    previous = app.config.get("CLOCK")
    app.config["CLOCK"] = lambda: NOW
    yield
    app.config["CLOCK"] = previous


@dataclass
class Scene:
    manager: User
    resident: User
    stranger: User
    booking: Booking


@pytest.fixture
def scene(app, make, clock) -> Scene:
    manager = make.user(name="联络员")
    venue = make.venue(unit=make.unit(managers=(manager,)), name="会议室",
                       requires_approval=True)
    resident, stranger = make.user(), make.user(name="路人")
    booking = make.booking(venue=venue, booker=resident, title="读书会",
                           start=local(2026, 12, 5, 14), end=local(2026, 12, 5, 16),
                           now=NOW - 2 * HOUR)
    approve_booking(booking=booking, actor=manager, now=NOW - HOUR)
    add_notice([resident.id], "reminder_24h", booking_id=None, data={"title": "旧活动"},
               now=NOW - 3 * HOUR)
    add_notice([stranger.id], "reminder_2h", booking_id=None, data={"title": "别人的活动"},
               now=NOW - HOUR)
    make.commit()
    return Scene(manager, resident, stranger, booking)


def notices(user: User) -> list[Notification]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Notification).where(
        Notification.user_id == user.id).order_by(Notification.id)))


def header_count(response) -> int:
    """The unread count the header's bell shows (0 when it shows none)."""
    counts = set(re.findall(r'data-unread-count="(\d+)"', response.get_data(as_text=True)))
    assert len(counts) <= 1
    return int(counts.pop()) if counts else 0


def items(response) -> list[str]:
    """Each notice of the list as plain text, in the page's order."""
    html = response.get_data(as_text=True)
    return [" ".join(re.sub(r"<[^>]+>", " ", body).split())
            for body in re.findall(r'<li class="card[^"]*" data-notice[^>]*>(.*?)</li>', html,
                                   re.S)]


def item_html(response, notice: Notification) -> str:
    html = response.get_data(as_text=True)
    return html.split(f'data-notice="{notice.id}"')[1].split("</li>")[0]


def test_notices_are_rendered_in_english_newest_first(scene, client):
    login(client, scene.resident)
    response = client.get("/notifications")
    assert response.status_code == 200
    assert items(response) == [
        "Unread Your booking was approved: 读书会 2026-12-01 (Tue) 09:00 "
        "Venue: 会议室 Time: 2026-12-05 14:00–16:00 "
        "Open the booking : Your booking was approved: 读书会",
        "Unread Reminder: 旧活动 starts in 24 hours 2026-12-01 (Tue) 07:00 "
        "Mark as read : Reminder: 旧活动 starts in 24 hours",
    ]


def test_notices_follow_the_page_language(scene, client):
    login(client, scene.resident, lang="zh")
    page = text(client.get("/notifications"))
    assert "您的预约已通过：读书会" in page
    assert "场地：会议室" in page
    assert "时间：2026-12-05 14:00–16:00" in page


def test_unread_notices_say_so_in_chinese(scene, client):
    login(client, scene.resident, lang="zh")
    assert "未读" in text(client.get("/notifications"))


def test_unread_notices_are_bold_and_labelled_read_ones_are_not(scene, client):
    approved, older = notices(scene.resident)
    older.read_at = NOW - HOUR
    db.session.commit()
    login(client, scene.resident)
    response = client.get("/notifications")
    unread, read = item_html(response, approved), item_html(response, older)
    assert 'class="card mb-2 notice-unread"' in response.get_data(as_text=True)
    assert '<span class="badge text-bg-warning me-1">Unread</span>' in unread
    assert 'data-unread="true"' in unread
    assert "Unread" not in read
    assert 'data-unread="false"' in read


def test_opening_the_list_marks_nothing_read(scene, client):
    login(client, scene.resident)
    client.get("/notifications")
    response = client.get("/notifications")
    assert header_count(response) == 2
    assert [n.read_at for n in notices(scene.resident)] == [None, None]


def test_mark_all_as_read_marks_only_this_users_notices(scene, client):
    login(client, scene.resident)
    assert header_count(client.get("/notifications")) == 2
    response = client.post("/notifications/read",
                           data={"csrf_token": csrf_token(client, "/notifications")})
    assert response.status_code == 302
    assert response.headers["Location"] == "/notifications"
    assert [n.read_at for n in notices(scene.resident)] == [NOW, NOW]
    assert [n.read_at for n in notices(scene.stranger)] == [None]
    assert [n.read_at for n in notices(scene.manager)] == [None]
    page = client.get("/notifications")
    assert header_count(page) == 0
    assert "Marked 2 notices as read." in text(page)
    assert "Unread" not in text(page)


def test_following_a_notice_marks_it_read_and_opens_its_booking(scene, client):
    approved, older = notices(scene.resident)
    login(client, scene.resident)
    response = client.post(f"/notifications/{approved.id}/read",
                           data={"csrf_token": csrf_token(client, "/notifications")})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/me/bookings/{scene.booking.id}"
    assert [n.read_at for n in notices(scene.resident)] == [NOW, None]
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert header_count(page) == 1


def test_a_notice_without_a_booking_is_marked_read_and_the_list_shown_again(scene, client):
    approved, older = notices(scene.resident)
    login(client, scene.resident)
    response = client.post(f"/notifications/{older.id}/read",
                           data={"csrf_token": csrf_token(client, "/notifications")})
    assert response.status_code == 302
    assert response.headers["Location"] == "/notifications"
    assert [n.read_at for n in notices(scene.resident)] == [None, NOW]


def test_a_managers_notice_opens_the_booking_they_manage(scene, client):
    (requested,) = notices(scene.manager)
    login(client, scene.manager)
    response = client.get("/notifications")
    assert items(response)[0].startswith("Unread New booking request: 读书会")
    followed = client.post(f"/notifications/{requested.id}/read",
                           data={"csrf_token": csrf_token(client, "/notifications")})
    assert followed.headers["Location"] == f"/me/bookings/{scene.booking.id}"
    assert client.get(followed.headers["Location"]).status_code == 200


def test_no_link_to_a_booking_the_reader_may_not_see(scene, client):
    add_notice([scene.stranger.id], "booking_approved", booking_id=scene.booking.id,
               data={"title": "读书会"}, now=NOW)
    db.session.commit()
    stray = notices(scene.stranger)[-1]
    login(client, scene.stranger)
    response = client.get("/notifications")
    assert "Open the booking" not in item_html(response, stray)
    followed = client.post(f"/notifications/{stray.id}/read",
                           data={"csrf_token": csrf_token(client, "/notifications")})
    assert followed.headers["Location"] == "/notifications"


def test_someone_elses_notice_is_404_and_stays_unread(scene, client):
    (theirs,) = notices(scene.stranger)
    login(client, scene.resident)
    response = client.post(f"/notifications/{theirs.id}/read",
                           data={"csrf_token": csrf_token(client, "/notifications")})
    assert response.status_code == 404
    assert notices(scene.stranger)[0].read_at is None


def test_another_users_notices_are_not_listed(scene, client):
    login(client, scene.resident)
    assert "别人的活动" not in text(client.get("/notifications"))


def test_notices_are_paginated_thirty_a_page(app, make, client, clock):
    user = make.user()
    for n in range(35):
        add_notice([user.id], "reminder_2h", booking_id=None, data={"title": f"活动{n:02d}"},
                   now=NOW - timedelta(minutes=n))
    make.commit()
    login(client, user)
    first, second = items(client.get("/notifications")), items(
        client.get("/notifications?page=2"))
    assert len(first) == 30 and len(second) == 5
    assert first[0].startswith("Unread Reminder: 活动00 starts")
    assert second[-1].startswith("Unread Reminder: 活动34 starts")
    assert client.get("/notifications?page=3").status_code == 404


def test_no_notices_yet(app, make, client, clock):
    user = make.user()
    make.commit()
    login(client, user)
    page = text(client.get("/notifications"))
    assert "No notifications yet." in page
    assert "Mark all as read" not in page


@pytest.mark.parametrize("path", ["/notifications/read", "/notifications/{id}/read"])
def test_a_post_without_the_csrf_token_is_refused(scene, client, path):
    approved, _ = notices(scene.resident)
    login(client, scene.resident)
    response = client.post(path.format(id=approved.id))
    assert response.status_code == 400
    assert [n.read_at for n in notices(scene.resident)] == [None, None]


def test_a_visitor_is_sent_to_log_in(scene, client):
    response = client.get("/notifications")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("path", ["/notifications/read", "/notifications/{id}/read"])
def test_a_visitors_post_is_sent_to_log_in(scene, client, path):
    approved, _ = notices(scene.resident)
    response = client.post(path.format(id=approved.id),
                           data={"csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert [n.read_at for n in notices(scene.resident)] == [None, None]
