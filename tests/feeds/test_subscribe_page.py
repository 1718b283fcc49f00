"""The subscription page: links, QR code, instructions, regenerate buttons."""

from __future__ import annotations

import re

from .conftest import get, sign_in


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


def test_signed_out_visitors_are_sent_to_log_in(client, district):
    response = get(client, "/feeds")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_page_offers_webcal_and_https_links_a_qr_code_and_instructions(client, district):
    sign_in(client, district.resident)
    response = get(client, "/feeds")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.data.decode()
    url = district.personal_url
    assert f'value="{url}"' in html
    assert f'href="{url.replace("https://", "webcal://")}"' in html
    assert "<svg" in html
    for text in ("日历订阅", "iPhone", "Google", "Outlook", "一天", "提醒由共建发出"):
        assert text in html
    assert 'action="/feeds/me/regenerate"' in html
    # A resident manages no unit: no unit feed.
    assert "/feeds/units/" not in html


def test_managers_see_their_units_feeds_only(client, district, make):
    other_unit = make.unit(managers=(make.user(name="别的联络员"),))
    make.commit()
    sign_in(client, district.manager)
    html = get(client, "/feeds").data.decode()
    assert district.unit_url in html
    assert f"/feeds/units/{other_unit.id}-" not in html
    assert f'action="/feeds/units/{district.unit.id}/regenerate"' in html


def test_regenerate_button_revokes_the_old_link(client, district):
    old = district.personal_url
    district.make.commit()
    sign_in(client, district.resident)
    token = csrf_token(get(client, "/feeds").data.decode())
    response = client.post("/feeds/me/regenerate", data={"csrf_token": token})
    assert response.status_code == 302
    assert get(client, old).status_code == 404
    new = district.personal_url
    assert new != old
    assert get(client, new).status_code == 200
    sign_in(client, district.resident)
    assert new in get(client, "/feeds").data.decode()


def test_regenerate_needs_the_csrf_token(client, district):
    old = district.personal_url
    district.make.commit()
    sign_in(client, district.resident)
    assert client.post("/feeds/me/regenerate").status_code == 400
    assert get(client, old).status_code == 200


def test_a_manager_regenerates_only_their_own_units_link(client, district, make):
    other_manager = make.user(name="别的联络员")
    make.unit(managers=(other_manager,))
    old = district.unit_url
    make.commit()
    sign_in(client, other_manager)
    token = csrf_token(get(client, "/feeds").data.decode())
    response = client.post(f"/feeds/units/{district.unit.id}/regenerate",
                           data={"csrf_token": token})
    assert response.status_code == 403
    assert get(client, old).status_code == 200

    sign_in(client, district.manager)
    token = csrf_token(get(client, "/feeds").data.decode())
    client.post(f"/feeds/units/{district.unit.id}/regenerate", data={"csrf_token": token})
    assert get(client, old).status_code == 404
    assert get(client, district.unit_url).status_code == 200


def test_page_speaks_english_on_request(client, district):
    sign_in(client, district.resident)
    html = get(client, "/feeds?lang=en").data.decode()
    assert "Calendar feeds" in html
    assert "Reminders come from Gongjian" in html
