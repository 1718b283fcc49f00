"""Finding venues (issue 4): `venue_search` filters and order, the free-between search in each
venue's own zone, today's open hours and "in use now" for a page of venues.

NOW is Tuesday 1 December 2026, 10:00 Shanghai.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from gongjian.accounts import services as accounts
from gongjian.accounts.models import Community, Street, Unit, UnitType
from gongjian.bookings.availability import free_venue_ids_local, venues_in_use
from gongjian.extensions import db
from gongjian.venues.models import Venue
from gongjian.venues.search import equipment_in_use, sports_in_use, venue_search
from gongjian.venues.services import add_closure, archive_venue, open_intervals_on_local_day

from ..conftest import NOW
from ..factories import Factory, local


@dataclass
class World:
    north: Street
    south: Street
    dongfeng: Community
    xishan: Community
    nanhu: Community
    library: Unit
    school: Unit
    power: Unit
    hall: Venue
    reading: Venue
    basketball: Venue
    badminton: Venue
    classroom: Venue


def build_world(make: Factory) -> World:
    """Two streets, three communities, three units and five venues anyone can find, plus an
    archived venue and a venue of an inactive unit that nobody finds."""
    north = accounts.create_street(name="北街道")
    south = accounts.create_street(name="南街道")
    dongfeng = accounts.create_community(name="东风社区", street=north)
    xishan = accounts.create_community(name="西山社区", street=north)
    nanhu = accounts.create_community(name="南湖社区", street=south)

    def unit(name: str, community: Community) -> Unit:
        return accounts.create_unit(name=name, type=UnitType.PUBLIC_INSTITUTION,
                                    community=community, address="和平路1号")

    library, school, power = (unit("A 区图书馆", dongfeng), unit("B 和平中学", xishan),
                              unit("C 供电公司", nanhu))
    hall = make.venue(unit=library, name="报告厅", kind="meeting_room", capacity=120,
                      equipment=["投影仪", "音响"], step_free=True, accessible_toilet=True,
                      address="图书馆一层")
    reading = make.venue(unit=library, name="阅览活动室", kind="activity", capacity=30,
                         equipment=["投影仪"], description="亲子阅读、绘本分享")
    basketball = make.venue(unit=school, name="篮球馆", kind="sports", sport="篮球",
                            capacity=40, equipment=["更衣室", "夜间照明"], step_free=True)
    badminton = make.venue(unit=school, name="羽毛球馆", kind="sports", sport="羽毛球",
                           capacity=24, equipment=["更衣室"])
    classroom = make.venue(unit=power, name="培训教室", kind="training", capacity=50,
                           equipment=["投影仪", "电脑"], accessible_toilet=True)
    gym = make.venue(unit=power, name="职工健身房", kind="sports", sport="健身", capacity=20,
                     equipment=["跑步机"])
    archive_venue(venue=gym, actor=make.admin, now=NOW)
    closed_unit = unit("D 已停用单位", nanhu)
    make.venue(unit=closed_unit, name="隐藏会议室", equipment=["投影仪"], sport="乒乓球")
    closed_unit.active = False
    make.commit()
    return World(north, south, dongfeng, xishan, nanhu, library, school, power, hall, reading,
                 basketball, badminton, classroom)


@pytest.fixture
def world(app, make) -> World:
    return build_world(make)


def names(**filters) -> list[str]:
    return [v.name for v in db.session.scalars(venue_search(order="name", **filters))]


ALL = ["报告厅", "阅览活动室", "篮球馆", "羽毛球馆", "培训教室"]


# Filters -------------------------------------------------------------------------------


def test_without_filters_every_findable_venue_by_unit_then_name(world):
    assert names() == ALL


def test_archived_venues_and_venues_of_inactive_units_are_never_found(world):
    assert "职工健身房" not in names(q="健身房")
    assert names(q="隐藏") == []


def test_order_by_id_is_the_default(world):
    found = [v.id for v in db.session.scalars(venue_search())]
    assert found == sorted(found)


def test_order_by_name_breaks_ties_by_id(world, make):
    twin = make.venue(unit=world.library, name="报告厅", kind="meeting_room", capacity=10)
    make.commit()
    found = [(v.name, v.id) for v in db.session.scalars(venue_search(order="name"))][:2]
    assert found == [("报告厅", world.hall.id), ("报告厅", twin.id)]


def test_kind(world):
    assert names(kind="sports") == ["篮球馆", "羽毛球馆"]
    assert names(kind="training") == ["培训教室"]


def test_sport_matches_exactly(world):
    assert names(sport="篮球") == ["篮球馆"]
    assert names(sport="羽毛球") == ["羽毛球馆"]
    assert names(sport="球") == []


def test_street(world):
    assert names(street_id=world.north.id) == ["报告厅", "阅览活动室", "篮球馆", "羽毛球馆"]
    assert names(street_id=world.south.id) == ["培训教室"]


def test_community(world):
    assert names(community_id=world.xishan.id) == ["篮球馆", "羽毛球馆"]


def test_unit(world):
    assert names(unit_id=world.library.id) == ["报告厅", "阅览活动室"]


def test_min_capacity(world):
    assert names(min_capacity=50) == ["报告厅", "培训教室"]
    assert names(min_capacity=121) == []


def test_one_equipment_tag(world):
    assert names(equipment=["投影仪"]) == ["报告厅", "阅览活动室", "培训教室"]


def test_every_equipment_tag_must_be_present(world):
    assert names(equipment=["投影仪", "音响"]) == ["报告厅"]
    assert names(equipment=["更衣室", "夜间照明"]) == ["篮球馆"]
    assert names(equipment=["投影仪", "更衣室"]) == []


def test_equipment_tags_match_whole_tags_only(world):
    assert names(equipment=["投影"]) == []
    assert names(equipment=['"投影仪"']) == []


def test_step_free(world):
    assert names(step_free=True) == ["报告厅", "篮球馆"]
    assert names(step_free=False) == ALL


def test_accessible_toilet(world):
    assert names(accessible_toilet=True) == ["报告厅", "培训教室"]


def test_text_searches_venue_name_sport_address_description_and_unit_name(world):
    assert names(q="羽毛球") == ["羽毛球馆"]
    assert names(q="篮球") == ["篮球馆"]
    assert names(q="一层") == ["报告厅"]
    assert names(q="绘本") == ["阅览活动室"]
    assert names(q="和平中学") == ["篮球馆", "羽毛球馆"]
    assert names(q="  供电 ") == ["培训教室"]


def test_text_search_ignores_case_and_takes_wildcards_literally(world, make):
    make.venue(unit=world.power, name="VR Lab 100%", kind="other", capacity=8)
    make.commit()
    assert names(q="vr lab") == ["VR Lab 100%"]
    assert names(q="100%") == ["VR Lab 100%"]
    assert names(q="_") == []


def test_filters_combine(world):
    assert names(kind="sports", step_free=True) == ["篮球馆"]
    assert names(street_id=world.north.id, equipment=["投影仪"], min_capacity=100) == ["报告厅"]
    assert names(street_id=world.south.id, kind="sports") == []
    assert names(q="馆", community_id=world.xishan.id, sport="羽毛球") == ["羽毛球馆"]
    assert names(accessible_toilet=True, step_free=True, kind="meeting_room") == ["报告厅"]


def test_choices_list_what_findable_venues_have(world):
    assert sports_in_use() == sorted(["篮球", "羽毛球"])
    # Most common first, then by name; the archived gym's and the hidden unit's are absent.
    assert equipment_in_use() == ["投影仪", "更衣室", *sorted(["夜间照明", "电脑", "音响"])]


# Free between, in each venue's zone ---------------------------------------------------


def test_free_between_keeps_venues_open_and_free_throughout(world, make):
    # Wednesday 2 December 18:00–20:00 Shanghai.
    make.booking(venue=world.basketball, start=local(2026, 12, 2, 19), end=local(2026, 12, 2, 20),
                 title="篮球友谊赛")
    add_closure(venue=world.classroom, start=local(2026, 12, 2, 17), end=local(2026, 12, 2, 18, 30),
                reason="maintenance", actor=make.admin, now=NOW)
    make.venue(unit=world.power, name="早关门", hours=[(2, "08:00", "19:00")])
    make.commit()
    ids = free_venue_ids_local(venue_search(), day=date(2026, 12, 2), start_minute=18 * 60,
                               end_minute=20 * 60)
    assert ids == sorted([world.hall.id, world.reading.id, world.badminton.id])


def test_free_between_reads_the_time_in_each_venues_zone(world, make):
    london = make.venue(unit=world.power, name="伦敦办事处", timezone="Europe/London",
                        hours=[(2, "09:00", "17:00")])
    make.commit()
    # 09:00–10:00 on Wednesday: London's office opens at 09:00 London time (17:00 Shanghai).
    ids = free_venue_ids_local(venue_search(), day=date(2026, 12, 2), start_minute=9 * 60,
                               end_minute=10 * 60)
    assert ids == sorted([world.hall.id, world.reading.id, world.basketball.id,
                          world.badminton.id, world.classroom.id, london.id])
    ids = free_venue_ids_local(venue_search(), day=date(2026, 12, 2), start_minute=17 * 60,
                               end_minute=18 * 60)
    assert london.id not in ids


def test_free_between_keeps_to_the_candidates(world):
    ids = free_venue_ids_local(venue_search(kind="sports"), day=date(2026, 12, 2),
                               start_minute=10 * 60, end_minute=11 * 60)
    assert ids == sorted([world.basketball.id, world.badminton.id])


# Today's hours and "in use now" for a page of venues ---------------------------------------


def test_open_intervals_today_take_windows_minus_closures_in_the_venues_zone(app, make):
    split = make.venue(hours=[(1, "08:00", "12:00"), (1, "14:00", "21:30")])
    closed = make.venue()
    add_closure(venue=closed, start=local(2026, 11, 30), end=None, reason="suspension",
                actor=make.admin, now=NOW)
    partly = make.venue()
    add_closure(venue=partly, start=local(2026, 12, 1, 12), end=local(2026, 12, 1, 13),
                reason="event", actor=make.admin, now=NOW)
    monday = make.venue(hours=[(0, "08:00", "22:00")])
    late = make.venue(hours=[(1, "20:00", "24:00"), (2, "00:00", "02:00")])
    make.commit()
    today = open_intervals_on_local_day([split, closed, partly, monday, late], NOW)
    assert today == {
        split.id: [(local(2026, 12, 1, 8), local(2026, 12, 1, 12)),
                   (local(2026, 12, 1, 14), local(2026, 12, 1, 21, 30))],
        closed.id: [],
        partly.id: [(local(2026, 12, 1, 8), local(2026, 12, 1, 12)),
                    (local(2026, 12, 1, 13), local(2026, 12, 1, 22))],
        monday.id: [],
        late.id: [(local(2026, 12, 1, 20), local(2026, 12, 2))],
    }


def test_today_is_the_venues_own_local_date(app, make):
    # 10:00 Shanghai on Tuesday is still Monday 18:00 in Los Angeles.
    la = make.venue(timezone="America/Los_Angeles", hours=[(0, "17:00", "19:00")])
    make.commit()
    zone = la.zone
    assert open_intervals_on_local_day([la], NOW) == {
        la.id: [(datetime(2026, 11, 30, 17, tzinfo=zone).astimezone(UTC),
                 datetime(2026, 11, 30, 19, tzinfo=zone).astimezone(UTC))]}


def test_venues_in_use_are_those_with_a_slot_holding_booking_now(app, make):
    busy, later, ended, free = (make.venue() for _ in range(4))
    early = local(2026, 12, 1, 6)
    make.booking(venue=busy, start=local(2026, 12, 1, 9), end=local(2026, 12, 1, 10), now=early)
    make.booking(venue=busy, start=local(2026, 12, 1, 10), end=local(2026, 12, 1, 11), now=early)
    make.booking(venue=later, start=local(2026, 12, 1, 11), end=local(2026, 12, 1, 12))
    make.booking(venue=ended, start=local(2026, 12, 1, 8), end=local(2026, 12, 1, 10), now=early)
    make.commit()
    assert venues_in_use([busy.id, later.id, ended.id, free.id], NOW) == {busy.id}
    assert venues_in_use([], NOW) == set()
