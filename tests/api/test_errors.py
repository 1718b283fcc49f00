"""The error envelope, strict parsing, pagination and localized messages."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from gongjian.errors import CODES


@pytest.fixture
def admin(make):
    user = make.user(is_admin=True)
    make.commit()
    return user


def _error(response) -> dict:
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    return body["error"]


def test_malformed_json_is_400(api, admin):
    response = api.post("/api/v1/streets", data='{"name": "未闭合', as_=admin,
                        content_type="application/json")
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "malformed"


def test_a_body_that_is_not_json_is_400(api, admin):
    response = api.post("/api/v1/streets", data="name=x", as_=admin,
                        content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert _error(response)["code"] == "malformed"


def test_unknown_fields_are_named(api, admin):
    response = api.post("/api/v1/streets", json={"name": "和平街道", "mayor": "张三"}, as_=admin)
    assert response.status_code == 422
    error = _error(response)
    assert error["code"] == "invalid_input"
    assert error["details"] == {"fields": {"mayor": "unknown"}}
    assert "mayor" in error["message"]


def test_wrong_types_are_named(api, admin, make):
    community = make.community()
    make.commit()
    response = api.post("/api/v1/units", as_=admin, json={
        "name": 7, "type": "castle", "community_id": "1", "address": ["x"]})
    assert response.status_code == 422
    assert _error(response)["details"]["fields"] == {
        "name": "not_a_string", "type": "invalid_choice", "community_id": "not_an_integer",
        "address": "not_a_string"}
    missing = api.post("/api/v1/units", as_=admin, json={"name": "x"})
    assert _error(missing)["details"]["fields"] == {"type": "required",
                                                    "community_id": "required"}
    unknown = api.post("/api/v1/units", as_=admin,
                       json={"name": "x", "type": "school", "community_id": community.id + 99})
    assert _error(unknown)["details"]["fields"] == {"community_id": "not_found"}


def test_nested_fields_are_named_by_position(api, make):
    venue = make.venue()
    make.commit()
    response = api.put(f"/api/v1/venues/{venue.id}/opening-hours", as_=make.admin,
                       json=[{"weekday": 0, "start": "08:00", "end": "12:00"},
                             {"weekday": 9, "start": "8am", "end": "12:00", "extra": 1}])
    assert response.status_code == 422
    assert _error(response)["details"]["fields"] == {
        "1.weekday": "out_of_range", "1.start": "not_a_time", "1.extra": "unknown"}


def test_a_body_of_the_wrong_shape_is_422(api, admin):
    response = api.post("/api/v1/streets", json=["和平街道"], as_=admin)
    assert response.status_code == 422
    assert _error(response)["details"]["fields"] == {"body": "not_an_object"}


def test_nul_characters_are_refused_by_name(api, admin):
    response = api.post("/api/v1/streets", json={"name": "和平\x00街道"}, as_=admin)
    assert response.status_code == 422
    assert _error(response)["details"]["fields"] == {"name": "invalid_character"}


def test_endpoints_without_a_body_refuse_one(api, world):
    response = api.post(f"/api/v1/bookings/{world.booking.id}/approve", json={"x": 1},
                        as_=world.manager)
    assert response.status_code == 422
    assert _error(response)["details"]["fields"] == {"x": "unknown"}


def test_lists_are_paginated(api, make, admin):
    from gongjian.accounts.services import create_street

    for i in range(5):
        create_street(name=f"街道{i}")
    make.commit()
    body = api.get("/api/v1/streets?per_page=2&page=2").get_json()
    assert body["page"] == 2 and body["per_page"] == 2 and body["total"] == 5
    assert [s["name"] for s in body["items"]] == ["街道2", "街道3"]
    assert api.get("/api/v1/streets?per_page=2&page=3").get_json()["items"][0]["name"] == "街道4"
    assert api.get("/api/v1/streets").get_json()["per_page"] == 20


@pytest.mark.parametrize(("query", "field", "code"), [
    ("page=4&per_page=2", "page", "out_of_range"),
    ("page=0", "page", "out_of_range"),
    ("page=x", "page", "not_an_integer"),
    ("per_page=101", "per_page", "out_of_range"),
    ("per_page=0", "per_page", "out_of_range"),
])
def test_out_of_range_pages_are_422_naming_the_field(api, make, query, field, code):
    from gongjian.accounts.services import create_street

    for i in range(5):
        create_street(name=f"街道{i}")
    make.commit()
    response = api.get(f"/api/v1/streets?{query}")
    assert response.status_code == 422
    assert _error(response)["details"]["fields"] == {field: code}


def test_an_empty_list_has_page_one(api):
    assert api.get("/api/v1/streets").get_json() == {"items": [], "page": 1, "per_page": 20,
                                                    "total": 0}


def test_messages_follow_accept_language_chinese_by_default(api):
    chinese = api.get("/api/v1/me")
    english = api.get("/api/v1/me", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert chinese.headers["Content-Language"] == "zh"
    assert english.headers["Content-Language"] == "en"
    with force_locale("zh"):
        assert _error(chinese)["message"] == str(CODES["unauthorized"][1])
    with force_locale("en"):
        assert _error(english)["message"] == str(CODES["unauthorized"][1]) == (
            "Please sign in first.")
    assert api.get("/api/v1/me", headers={"Accept-Language": "fr"}).headers[
        "Content-Language"] == "zh"


def test_unknown_ids_and_paths_answer_the_envelope(api):
    for url in ("/api/v1/venues/999", "/api/v1/venues/99999999999", "/api/v1/venues/0",
                "/api/v1/nothing-here"):
        response = api.get(url)
        assert response.status_code == 404, url
        assert _error(response)["code"] == "not_found"


def test_query_parameters_are_checked(api):
    response = api.get("/api/v1/venues?min_capacity=many&kind=castle&free_from=tomorrow")
    assert response.status_code == 422
    assert _error(response)["details"]["fields"] == {
        "min_capacity": "not_an_integer", "kind": "invalid_choice",
        "free_from": "not_an_instant"}
