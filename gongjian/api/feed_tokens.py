"""Calendar feed URLs (product.md §8): regenerate the personal and the unit feed's token."""

from __future__ import annotations

from ..accounts.models import Unit
from ..extensions import db
from ..feeds.services import renew_personal_feed, renew_unit_feed
from .auth import caller
from .registry import get_or_404, now, operation

FEED_URL = {
    "type": "object",
    "properties": {"url": {"type": "string", "format": "uri"}},
    "required": ["url"],
    "additionalProperties": False,
}


@operation("POST", "/me/feed-token", summary="Regenerate my personal feed URL", tag="auth",
           description="The old personal feed URL answers 404 from now on.",
           responses={201: ("The new personal feed URL", FEED_URL)})
def renew_my_feed():
    url = renew_personal_feed(user=caller(), now=now())
    db.session.commit()
    return {"url": url}, 201


@operation("POST", "/units/{unit_id}/feed-token", summary="Regenerate a unit's feed URL",
           tag="places", description="For the unit's managers and district admins; the old "
                                     "unit feed URL answers 404 from now on.",
           responses={201: ("The new unit feed URL", FEED_URL)}, errors=(403, 404))
def renew_unit_feed_url(unit_id: int):
    url = renew_unit_feed(unit=get_or_404(Unit, unit_id, "unit"), actor=caller(), now=now())
    db.session.commit()
    return {"url": url}, 201
