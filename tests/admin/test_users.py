"""Users in the district console: search, suspend and restore booking rights with a reason,
grant and revoke the district admin right (never one's own)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from gongjian.accounts.models import User
from gongjian.audit import AuditEvent
from gongjian.bookings.services import create_booking
from gongjian.errors import DomainError
from gongjian.extensions import db

from ..conftest import NOW
from ..factories import local
from ..pages import login, submit, text


def names(response) -> list[str]:
    return re.findall(r'<td class="text-break"><a href="/admin/users/\d+">([^<]*)</a></td>',
                      response.get_data(as_text=True))


def fresh(user) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def events(prefix: str = "user.") -> list[tuple]:
    return [(e.action, e.object_id, e.actor_id, e.before, e.after)
            for e in db.session.scalars(sa.select(AuditEvent).where(
                AuditEvent.action.startswith(prefix)).order_by(AuditEvent.id))]


def book(venue, user):
    return create_booking(venue_id=venue.id, booker=user, start=local(2026, 12, 3, 14),
                          end=local(2026, 12, 3, 16), title="读书会", attendees=5, now=NOW)


# Search -------------------------------------------------------------------------------------


def test_search_by_name_e_mail_or_phone(app, client, district):
    district.resident.phone = "13800138000"
    db.session.commit()
    login(client, district.admin)
    assert names(client.get("/admin/users?q=王")) == [district.resident.name]
    assert names(client.get("/admin/users?q=ZHAO@")) == [district.other_manager.name]
    assert names(client.get("/admin/users?q=0013800")) == [district.resident.name]
    assert "0 users" in text(client.get("/admin/users?q=nobody"))


def test_everyone_is_listed_by_name_and_paged_by_fifty(app, client, district, make):
    for n in range(55):
        make.user(name=f"居民{n:02d}-")
    make.commit()
    login(client, district.admin)
    first = client.get("/admin/users")
    assert len(names(first)) == 50
    assert "59 users" in text(first)
    assert len(names(client.get("/admin/users?page=2"))) == 9


def test_filter_admins_managers_and_suspended(app, client, district, make):
    district.resident.suspended_until = NOW + timedelta(days=3)
    make.commit()
    login(client, district.admin)
    assert names(client.get("/admin/users?role=admins")) == [district.admin.name]
    assert names(client.get("/admin/users?role=managers")) == [district.manager.name,
                                                               district.other_manager.name]
    assert names(client.get("/admin/users?role=suspended")) == [district.resident.name]


# Booking rights -----------------------------------------------------------------------------


def test_an_admin_suspends_booking_rights_with_a_reason(app, client, district, make):
    venue = make.venue(unit=district.unit)
    make.commit()
    login(client, district.admin)
    page = f"/admin/users/{district.resident.id}"
    response = submit(client, f"{page}/suspend", {"reason": "多次爽约"}, page=page)
    assert response.status_code == 302
    assert response.headers["Location"] == page
    user = fresh(district.resident)
    assert (user.suspended, user.suspension_reason) == (True, "多次爽约")
    assert events() == [("user.suspend", user.id, district.admin.id,
                         {"suspended": False, "suspension_reason": ""},
                         {"suspended": True, "suspension_reason": "多次爽约"})]
    assert "Reason: 多次爽约" in text(client.get(page))
    with pytest.raises(DomainError) as refused:
        book(venue, user)
    assert refused.value.code == "booker_suspended"


def test_a_suspension_needs_a_reason(app, client, district):
    login(client, district.admin)
    page = f"/admin/users/{district.resident.id}"
    response = submit(client, f"{page}/suspend", {"reason": ""}, page=page)
    assert response.status_code == 200
    assert ('<div class="invalid-feedback d-block" id="reason-error">Please give a reason.'
            '</div>') in response.get_data(as_text=True)
    assert fresh(district.resident).suspended is False
    assert events() == []


def test_an_admin_restores_booking_rights(app, client, district, make):
    venue = make.venue(unit=district.unit)
    district.resident.suspended = True
    district.resident.suspension_reason = "多次爽约"
    make.commit()
    login(client, district.admin)
    page = f"/admin/users/{district.resident.id}"
    response = submit(client, f"{page}/restore", {}, page=page)
    assert response.status_code == 302
    user = fresh(district.resident)
    assert (user.suspended, user.suspension_reason) == (False, "")
    assert events() == [("user.restore", user.id, district.admin.id,
                         {"suspended": True, "suspension_reason": "多次爽约",
                          "suspended_until": None},
                         {"suspended": False, "suspension_reason": "",
                          "suspended_until": None})]
    assert book(venue, user).booker_id == user.id


def test_restoring_also_lifts_a_no_show_suspension(app, client, district, make):
    district.resident.suspended_until = NOW + timedelta(days=20)
    district.resident.no_show_suspended_at = NOW - timedelta(days=10)
    make.commit()
    login(client, district.admin)
    page = f"/admin/users/{district.resident.id}"
    assert "Suspended for no-shows until 2026-12-21 (Mon) 10:00." in text(client.get(page))
    submit(client, f"{page}/restore", {}, page=page)
    user = fresh(district.resident)
    assert user.suspended_until is None
    assert user.no_show_suspended_at == NOW - timedelta(days=10)  # those no-shows stay paid for
    assert user.is_suspended_at(NOW) is False


def test_restoring_a_user_who_may_book_changes_nothing(app, client, district):
    login(client, district.admin)
    page = f"/admin/users/{district.resident.id}"
    assert submit(client, f"{page}/restore", {}, page=page).status_code == 302
    assert "This user’s booking rights are not suspended." in text(client.get(page))
    assert events() == []


# The district admin right -------------------------------------------------------------------


def test_an_admin_grants_and_revokes_the_admin_right(app, client, district):
    login(client, district.admin)
    page = f"/admin/users/{district.manager.id}"
    assert submit(client, f"{page}/grant-admin", {}, page=page).status_code == 302
    assert fresh(district.manager).is_admin is True
    assert submit(client, f"{page}/revoke-admin", {}, page=page).status_code == 302
    assert fresh(district.manager).is_admin is False
    assert events() == [
        ("user.grant_admin", district.manager.id, district.admin.id, {"is_admin": False},
         {"is_admin": True}),
        ("user.revoke_admin", district.manager.id, district.admin.id, {"is_admin": True},
         {"is_admin": False})]


def test_an_admin_cannot_revoke_their_own_right(app, client, district):
    login(client, district.admin)
    page = f"/admin/users/{district.admin.id}"
    assert "You cannot change your own district admin right" in text(client.get(page))
    response = submit(client, f"{page}/revoke-admin", {}, page=page)
    assert response.status_code == 302
    assert fresh(district.admin).is_admin is True
    assert "You cannot change your own district admin right." in text(client.get(page))
    assert events() == []


def test_a_new_admin_reaches_the_console_and_a_former_one_does_not(app, client, district):
    login(client, district.admin)
    page = f"/admin/users/{district.manager.id}"
    submit(client, f"{page}/grant-admin", {}, page=page)
    login(client, district.manager)
    assert client.get("/admin").status_code == 200
    login(client, district.admin)
    submit(client, f"{page}/revoke-admin", {}, page=page)
    login(client, district.manager)
    assert client.get("/admin").status_code == 403


def test_user_forms_refuse_a_post_without_csrf_token(app, client, district):
    login(client, district.admin)
    page = f"/admin/users/{district.resident.id}"
    for action, data in [("suspend", {"reason": "x"}), ("restore", {}), ("grant-admin", {}),
                         ("revoke-admin", {})]:
        assert client.post(f"{page}/{action}", data=data).status_code == 400
    user = fresh(district.resident)
    assert (user.suspended, user.is_admin) == (False, False)
    assert events() == []
