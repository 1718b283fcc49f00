"""API fixtures: a fixed clock, a client that checks every answer against the OpenAPI
document, and a small district with one person in each role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from werkzeug.exceptions import HTTPException

from gongjian.accounts.models import User
from gongjian.accounts.tokens import issue_token_for
from gongjian.api.openapi import document
from gongjian.api.registry import OPERATIONS
from gongjian.extensions import db
from gongjian.ratelimit import limiter

from ..conftest import NOW
from ..factories import local

OPERATION_BY_ENDPOINT = {op.endpoint: op for op in OPERATIONS}
FORMATS = FormatChecker()


@pytest.fixture(autouse=True)
def api_app(app):
    """The API reads the fixed clock; rate-limit counters start empty in every test."""
    saved = {key: app.config.get(key)
             for key in ("CLOCK", "RATE_LIMITS", "RATE_LIMIT_WRITES", "RATE_LIMIT_LOGIN")}
    app.config["CLOCK"] = lambda: NOW
    app.config["RATE_LIMITS"] = "on"
    limiter.reset()
    yield app
    app.config.update(saved)
    limiter.reset()


def documented_schema(method: str, path: str, status: int) -> tuple[bool, dict | None]:
    """Whether the document lists this status for the operation, and its body schema."""
    doc = document()
    operation = doc["paths"][path][method.lower()]
    answer = operation["responses"].get(str(status))
    if answer is None:
        return False, None
    if "$ref" in answer:
        answer = doc["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
    content = answer.get("content", {}).get("application/json")
    return True, content["schema"] if content else None


def check_against_document(app, method: str, url: str, response) -> None:
    """Every answer an API test sees must be one the document promises."""
    path = url.split("?", 1)[0]
    if not path.startswith("/api/v1/"):
        return
    adapter = app.url_map.bind("gongjian.test")
    try:
        endpoint, _ = adapter.match(path, method=method)
    except HTTPException:
        endpoint = None
    operation = OPERATION_BY_ENDPOINT.get(endpoint)
    body = response.get_json(silent=True)
    if operation is None:
        assert response.status_code in (404, 405), (method, url, response.status_code)
        assert set(body) == {"error"}
        return
    listed, schema = documented_schema(method, operation.path, response.status_code)
    assert listed, f"{method} {operation.path} answered {response.status_code}, undocumented"
    if schema is None:
        assert not response.get_data(), f"{method} {url}: a body where none is documented"
        return
    assert response.mimetype == "application/json"
    full = {**schema, "components": document()["components"]}
    errors = sorted(Draft202012Validator(full, format_checker=FORMATS).iter_errors(body),
                    key=str)
    assert not errors, f"{method} {url} → {response.status_code}: {errors[0].message}"


class ApiClient:
    """The Flask test client, with Bearer tokens per user and the document's check."""

    def __init__(self, app) -> None:
        self.app = app
        self.client = app.test_client()
        self.tokens: dict[int, str] = {}

    def token_for(self, user: User) -> str:
        if user.id not in self.tokens:
            _, secret = issue_token_for(user=user, now=NOW)
            db.session.commit()
            self.tokens[user.id] = secret
        return self.tokens[user.id]

    def request(self, method: str, url: str, *, as_: User | None = None,
                headers: dict[str, str] | None = None, **kwargs: Any):
        headers = dict(headers or {})
        if as_ is not None:
            headers["Authorization"] = f"Bearer {self.token_for(as_)}"
        response = self.client.open(url, method=method, headers=headers, **kwargs)
        check_against_document(self.app, method, url, response)
        return response

    def get(self, url: str, **kwargs: Any):
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any):
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any):
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str, **kwargs: Any):
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any):
        return self.request("DELETE", url, **kwargs)


@pytest.fixture
def api(app) -> ApiClient:
    return ApiClient(app)


@dataclass
class World:
    """One unit with a venue and its bookings, a second unit, and one person per role."""

    admin: User
    manager: User  # manages `unit`
    other_manager: User  # manages `other_unit` only
    resident: User
    member: User  # belongs to `organization`
    outsider: User  # a resident with no bookings
    unit: Any
    other_unit: Any
    venue: Any
    other_venue: Any
    organization: Any
    booking: Any  # the resident's, confirmed, tomorrow
    org_booking: Any  # the member's on behalf of the organization
    other_booking: Any  # at the other unit's venue

    @property
    def roles(self) -> dict[str, User | None]:
        return {"visitor": None, "resident": self.resident, "member": self.member,
                "manager": self.manager, "other_manager": self.other_manager,
                "admin": self.admin}


@pytest.fixture
def world(make) -> World:
    admin = make.admin
    manager = make.user(name="联络员")
    other_manager = make.user(name="另一单位联络员")
    resident = make.user(name="居民")
    member = make.user(name="组织成员")
    outsider = make.user(name="路人")
    unit = make.unit(managers=(manager,))
    other_unit = make.unit(community=unit.community, managers=(other_manager,))
    venue = make.venue(unit=unit, name="多功能厅")
    other_venue = make.venue(unit=other_unit, name="篮球馆", kind="sports")
    organization = make.organization(members=(member,))
    tomorrow = NOW + timedelta(days=1)
    day = tomorrow.date()
    booking = make.booking(venue=venue, booker=resident,
                           start=local(day.year, day.month, day.day, 9),
                           end=local(day.year, day.month, day.day, 10))
    org_booking = make.booking(venue=venue, booker=member, organization_id=organization.id,
                               start=local(day.year, day.month, day.day, 14),
                               end=local(day.year, day.month, day.day, 16))
    other_booking = make.booking(venue=other_venue, booker=outsider,
                                 start=local(day.year, day.month, day.day, 9),
                                 end=local(day.year, day.month, day.day, 10))
    make.commit()
    return World(admin=admin, manager=manager, other_manager=other_manager, resident=resident,
                 member=member, outsider=outsider, unit=unit, other_unit=other_unit,
                 venue=venue, other_venue=other_venue, organization=organization,
                 booking=booking, org_booking=org_booking, other_booking=other_booking)
