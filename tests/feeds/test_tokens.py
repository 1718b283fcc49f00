"""Feed tokens: unguessable, visible again to their owner, revoked by regenerating."""

from __future__ import annotations

import pytest

from gongjian.feeds import services as feeds

from .conftest import get


def test_the_owner_sees_the_same_url_again(district):
    first = feeds.personal_feed_url(district.resident)
    district.make.commit()
    assert feeds.personal_feed_url(district.resident) == first
    assert feeds.user_for_feed_token(first.rsplit("/", 1)[1].removesuffix(".ics")) == (
        district.resident)


def test_tokens_differ_per_owner_and_kind(district):
    tokens = {feeds.user_feed_token(district.resident), feeds.user_feed_token(district.member),
              feeds.unit_feed_token(district.unit)}
    assert len(tokens) == 3


@pytest.mark.parametrize("token", [
    "", "abc", "1", "1-", "0-" + "A" * 32, "01-" + "A" * 32, "1-" + "A" * 31, "1-" + "A" * 33,
    "²-" + "A" * 32, "99999999999999999999-" + "A" * 32, "1-" + "!" * 32, "-1-" + "A" * 32,
])
def test_malformed_tokens_resolve_to_nobody(district, token):
    assert feeds.user_for_feed_token(token) is None
    assert feeds.unit_for_feed_token(token) is None


def test_malformed_tokens_answer_404(client, district):
    for token in ("x", "99999999999999999999-" + "A" * 32, "1-" + "A" * 32):
        assert get(client, f"/feeds/me/{token}.ics").status_code == 404
        assert get(client, f"/feeds/units/{token}.ics").status_code == 404


def test_looking_at_a_feed_creates_no_secret(client, district):
    from gongjian.accounts.models import FeedToken
    from gongjian.extensions import db

    get(client, f"/feeds/me/{district.resident.id}-{'A' * 32}.ics")
    assert db.session.scalars(db.select(FeedToken)).all() == []
