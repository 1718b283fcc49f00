"""Closures: what they refuse, and open intervals = weekly windows minus closures."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from gongjian.audit import AuditEvent
from gongjian.bookings.services import check_booking
from gongjian.errors import DomainError
from gongjian.extensions import db
from gongjian.venues.models import Closure, ClosureReason
from gongjian.venues.services import add_closure, open_intervals, remove_closure

from ..factories import local


def closures_of(venue) -> list[tuple]:
    rows = db.session.scalars(
        sa.select(Closure).where(Closure.venue_id == venue.id).order_by(Closure.start_at))
    return [(c.start_at, c.end_at, c.reason) for c in rows]


def instants(snapshot: dict | None) -> dict | None:
    """An audit snapshot with its RFC 3339 strings read back as instants (offsets may differ)."""
    if snapshot is None:
        return None
    return {k: datetime.fromisoformat(v) if k.endswith("_at") and v else v
            for k, v in snapshot.items()}


def day(d: int) -> tuple[datetime, datetime]:
    """December `d` 2026, local midnight to local midnight."""
    return local(2026, 12, d), local(2026, 12, d + 1)


# What add_closure refuses ----------------------------------------------------------------


@pytest.mark.parametrize("end_hour", [12, 10])
def test_a_closure_must_end_after_it_starts(app, make, now, end_hour):
    venue = make.venue()
    with pytest.raises(DomainError) as raised:
        add_closure(venue=venue, start=local(2026, 12, 3, 12), end=local(2026, 12, 3, end_hour),
                    reason="maintenance", actor=make.admin, now=now)
    assert raised.value.code == "invalid_input"
    assert raised.value.details == {"fields": {"end": "not_after_start"}}
    assert closures_of(venue) == []


def test_a_naive_start_is_refused(app, make, now):
    venue = make.venue()
    with pytest.raises(DomainError) as raised:
        add_closure(venue=venue, start=datetime(2026, 12, 3, 12), end=local(2026, 12, 3, 14),
                    reason="maintenance", actor=make.admin, now=now)
    assert raised.value.code == "invalid_input"
    assert raised.value.details == {"fields": {"start": "naive_time"}}
    assert closures_of(venue) == []


def test_a_naive_end_is_refused_naming_the_end(app, make, now):
    venue = make.venue()
    with pytest.raises(DomainError) as raised:
        add_closure(venue=venue, start=local(2026, 12, 3, 12), end=datetime(2026, 12, 3, 14),
                    reason="maintenance", actor=make.admin, now=now)
    assert raised.value.code == "invalid_input"
    assert raised.value.details == {"fields": {"end": "naive_time"}}
    assert closures_of(venue) == []


def test_a_naive_open_ended_closure_is_refused(app, make, now):
    venue = make.venue()
    with pytest.raises(DomainError) as raised:
        add_closure(venue=venue, start=datetime(2026, 12, 3, 12), end=None,
                    reason="suspension", actor=make.admin, now=now)
    assert raised.value.details == {"fields": {"start": "naive_time"}}


@pytest.mark.parametrize("reason", ["renovation", "", "MAINTENANCE"])
def test_an_unknown_reason_is_refused(app, make, now, reason):
    venue = make.venue()
    with pytest.raises(DomainError) as raised:
        add_closure(venue=venue, start=local(2026, 12, 3, 12), end=local(2026, 12, 3, 14),
                    reason=reason, actor=make.admin, now=now)
    assert raised.value.code == "invalid_input"
    assert raised.value.details == {"fields": {"reason": "invalid"}}
    assert closures_of(venue) == []


def test_every_reason_of_the_contract_is_accepted(app, make, now):
    venue = make.venue()
    for i, reason in enumerate(["maintenance", "event", "holiday", "suspension"]):
        add_closure(venue=venue, start=local(2026, 12, 3 + i, 12), end=local(2026, 12, 3 + i, 13),
                    reason=reason, actor=make.admin, now=now)
    assert [r for _, _, r in closures_of(venue)] == list(ClosureReason)


def test_a_resident_may_not_add_or_remove_a_closure(app, make, now):
    venue = make.venue()
    resident = make.user()
    with pytest.raises(DomainError) as raised:
        add_closure(venue=venue, start=local(2026, 12, 3, 12), end=local(2026, 12, 3, 14),
                    reason="event", actor=resident, now=now)
    assert raised.value.code == "forbidden"
    closure = add_closure(venue=venue, start=local(2026, 12, 3, 12), end=local(2026, 12, 3, 14),
                          reason="event", actor=make.admin, now=now)
    with pytest.raises(DomainError) as raised:
        remove_closure(closure=closure, actor=resident, now=now)
    assert raised.value.code == "forbidden"
    assert len(closures_of(venue)) == 1


def test_a_manager_of_another_unit_may_not_add_a_closure(app, make, now):
    stranger = make.user(name="别家联络员")
    make.unit(managers=(stranger,))
    venue = make.venue()
    with pytest.raises(DomainError) as raised:
        add_closure(venue=venue, start=local(2026, 12, 3, 12), end=local(2026, 12, 3, 14),
                    reason="event", actor=stranger, now=now)
    assert raised.value.code == "forbidden"


# Open intervals --------------------------------------------------------------------------


def test_without_closures_open_intervals_are_the_windows(app, make, now):
    venue = make.venue()
    assert open_intervals(venue, *day(3)) == [(local(2026, 12, 3, 8), local(2026, 12, 3, 22))]


def test_a_closure_cutting_a_window_in_half_leaves_the_two_pieces(app, make, now):
    venue = make.venue()
    add_closure(venue=venue, start=local(2026, 12, 3, 12), end=local(2026, 12, 3, 14),
                reason="maintenance", actor=make.admin, now=now)
    assert open_intervals(venue, local(2026, 12, 2), local(2026, 12, 5)) == [
        (local(2026, 12, 2, 8), local(2026, 12, 2, 22)),
        (local(2026, 12, 3, 8), local(2026, 12, 3, 12)),
        (local(2026, 12, 3, 14), local(2026, 12, 3, 22)),
        (local(2026, 12, 4, 8), local(2026, 12, 4, 22)),
    ]


def test_a_closure_outside_the_windows_changes_nothing(app, make, now):
    venue = make.venue()
    # 22:00 to 08:00 the next morning: exactly the night, when the venue is shut anyway.
    add_closure(venue=venue, start=local(2026, 12, 3, 22), end=local(2026, 12, 4, 8),
                reason="event", actor=make.admin, now=now)
    assert open_intervals(venue, local(2026, 12, 3), local(2026, 12, 5)) == [
        (local(2026, 12, 3, 8), local(2026, 12, 3, 22)),
        (local(2026, 12, 4, 8), local(2026, 12, 4, 22)),
    ]


def test_a_closure_over_several_days_removes_them_whole_and_trims_the_ends(app, make, now):
    venue = make.venue()
    add_closure(venue=venue, start=local(2026, 12, 3, 18), end=local(2026, 12, 6, 10),
                reason="holiday", actor=make.admin, now=now)
    assert open_intervals(venue, local(2026, 12, 3), local(2026, 12, 7)) == [
        (local(2026, 12, 3, 8), local(2026, 12, 3, 18)),
        (local(2026, 12, 6, 10), local(2026, 12, 6, 22)),
    ]


def test_an_open_ended_closure_closes_everything_after_its_start(app, make, now):
    venue = make.venue()
    add_closure(venue=venue, start=local(2026, 12, 3, 12), end=None, reason="suspension",
                actor=make.admin, now=now)
    assert open_intervals(venue, local(2026, 12, 2), local(2026, 12, 10)) == [
        (local(2026, 12, 2, 8), local(2026, 12, 2, 22)),
        (local(2026, 12, 3, 8), local(2026, 12, 3, 12)),
    ]
    assert open_intervals(venue, local(2030, 6, 1), local(2030, 7, 1)) == []


def test_open_intervals_are_clipped_to_the_range(app, make, now):
    venue = make.venue()
    assert open_intervals(venue, local(2026, 12, 3, 10, 30), local(2026, 12, 4, 9)) == [
        (local(2026, 12, 3, 10, 30), local(2026, 12, 3, 22)),
        (local(2026, 12, 4, 8), local(2026, 12, 4, 9)),
    ]


def test_removing_a_closure_restores_the_hours_and_is_audited(app, make, now):
    venue = make.venue()
    closure = add_closure(venue=venue, start=local(2026, 12, 3, 12), end=local(2026, 12, 3, 14),
                          reason="maintenance", note="换地板", actor=make.admin, now=now)
    closure_id = closure.id
    remove_closure(closure=closure, actor=make.admin, now=now)
    make.commit()

    assert closures_of(venue) == []
    assert open_intervals(venue, *day(3)) == [(local(2026, 12, 3, 8), local(2026, 12, 3, 22))]
    events = db.session.execute(
        sa.select(AuditEvent.action, AuditEvent.object_type, AuditEvent.object_id,
                  AuditEvent.before, AuditEvent.after)
        .where(AuditEvent.action.like("closure.%")).order_by(AuditEvent.id)
    ).all()
    snapshot = {"start_at": local(2026, 12, 3, 12), "end_at": local(2026, 12, 3, 14),
                "reason": "maintenance", "note": "换地板"}
    assert [(a, t, i, instants(b), instants(c)) for a, t, i, b, c in events] == [
        ("closure.create", "closures", closure_id, None, snapshot),
        ("closure.delete", "closures", closure_id, snapshot, None),
    ]


def test_removing_a_suspension_reopens_the_venue(app, make, now):
    venue = make.venue()
    suspension = add_closure(venue=venue, start=local(2026, 12, 3), end=None,
                             reason="suspension", actor=make.admin, now=now)
    assert open_intervals(venue, *day(4)) == []
    remove_closure(closure=suspension, actor=make.admin, now=now)
    assert open_intervals(venue, *day(4)) == [(local(2026, 12, 4, 8), local(2026, 12, 4, 22))]


# The `closed` rule -----------------------------------------------------------------------


def test_a_booking_overlapping_a_closure_is_closed_but_one_beside_it_is_not(app, make, now):
    venue = make.venue()
    booker = make.user()
    add_closure(venue=venue, start=local(2026, 12, 3, 12), end=local(2026, 12, 3, 14),
                reason="event", actor=make.admin, now=now)

    def codes(start_hour: int, end_hour: int) -> list[str]:
        verdict = check_booking(venue_id=venue.id, booker=booker,
                                start=local(2026, 12, 3, start_hour),
                                end=local(2026, 12, 3, end_hour), attendees=5, now=now)
        return [v.code for v in verdict.violations]

    assert codes(13, 15) == ["closed"]
    assert codes(11, 13) == ["closed"]
    assert codes(10, 12) == []
    assert codes(14, 16) == []
