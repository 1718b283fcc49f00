"""The API announces feed URLs and regenerates them (product.md §8)."""

from __future__ import annotations

from urllib.parse import urlsplit


def _path(url: str) -> str:
    return urlsplit(url).path


def test_regenerating_the_personal_feed_revokes_the_old_url(api, make, client):
    resident = make.user()
    make.commit()
    old = api.get("/api/v1/me", as_=resident).get_json()["feeds"]["personal"]
    assert client.get(_path(old)).status_code == 200

    response = api.post("/api/v1/me/feed-token", as_=resident)
    assert response.status_code == 201
    new = response.get_json()["url"]
    assert set(response.get_json()) == {"url"}
    assert new != old and _path(new).startswith("/feeds/me/") and new.endswith(".ics")
    assert api.get("/api/v1/me", as_=resident).get_json()["feeds"]["personal"] == new
    assert client.get(_path(old)).status_code == 404
    assert client.get(_path(new)).status_code == 200


def test_only_the_units_managers_regenerate_its_feed(api, make, client):
    manager, other_manager, resident = make.user(), make.user(), make.user()
    unit = make.unit(managers=(manager,))
    make.unit(managers=(other_manager,))
    make.commit()
    old = api.get(f"/api/v1/units/{unit.id}", as_=manager).get_json()["feed_url"]
    for outsider in (other_manager, resident):
        refused = api.post(f"/api/v1/units/{unit.id}/feed-token", as_=outsider)
        assert refused.status_code == 403
        assert refused.get_json()["error"]["code"] == "forbidden"
    assert api.post("/api/v1/units/99999/feed-token", as_=manager).status_code == 404
    assert api.post(f"/api/v1/units/{unit.id}/feed-token").status_code == 401

    response = api.post(f"/api/v1/units/{unit.id}/feed-token", as_=manager)
    assert response.status_code == 201
    new = response.get_json()["url"]
    assert new != old and _path(new).startswith("/feeds/units/")
    assert client.get(_path(old)).status_code == 404
    assert client.get(_path(new)).status_code == 200
    assert api.post(f"/api/v1/units/{unit.id}/feed-token", as_=make.admin).status_code == 201
