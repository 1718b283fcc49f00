"""The harness itself: the home page as a visitor, on a desktop and on a phone."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_home_page_has_no_console_error_or_serious_axe_violation(visit_factory, viewport):
    visit = visit_factory(viewport, "visitor")
    response = visit.goto("/")
    assert response.status == 200
    visit.check("home")
