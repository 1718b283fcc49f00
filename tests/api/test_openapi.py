"""The OpenAPI document: valid 3.1, complete, and (through the `api` client of conftest)
true of every answer the API tests see."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

from gongjian.api.openapi import build_document


def test_the_document_is_valid_openapi_3_1(api):
    response = api.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"] == "3.1.0"
    validate(doc)
    assert doc == build_document()


def test_every_route_is_documented_and_every_operation_routed(app):
    doc = build_document()
    documented = {(path, method.upper()) for path, item in doc["paths"].items()
                  for method in item}
    routed = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<id:([a-z_]+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        routed |= {(path, method) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routed == documented
    for path, method in [("/tokens", "POST"), ("/tokens/current", "DELETE"), ("/me", "GET"),
                         ("/venues/{venue_id}/availability", "GET"),
                         ("/bookings/{booking_id}/no-show", "POST"), ("/agreements", "POST")]:
        assert (path, method) in documented


def test_every_operation_documents_its_errors_and_auth(app):
    doc = build_document()
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert "401" in responses, (method, path)
            assert any(code.startswith("2") for code in responses), (method, path)
            if method != "get":
                assert {"400", "403", "422", "429"} <= set(responses), (method, path)
            if "{" in path:
                assert "404" in responses, (method, path)
            assert operation["security"], (method, path)
            assert operation["summary"]
    public = {path for path, item in doc["paths"].items() if {} in item.get("get", {})
              .get("security", [])}
    assert {"/venues", "/venues/{venue_id}", "/units", "/units/{unit_id}", "/streets",
            "/communities", "/venues/{venue_id}/availability"} <= public
    assert "/me" not in public and "/bookings" not in public


def test_request_bodies_refuse_unknown_fields(app):
    doc = build_document()
    for item in doc["paths"].values():
        for operation in item.values():
            body = operation.get("requestBody")
            if body:
                schema = body["content"]["application/json"]["schema"]
                target = schema.get("items", schema)
                assert target["additionalProperties"] is False


def test_the_docs_page_is_readable_and_self_contained(api):
    response = api.client.get("/api/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for path in ("/api/v1/bookings/{booking_id}/approve", "/api/v1/venues/{venue_id}/closures",
                 "/api/v1/tokens"):
        assert path in html
    assert "Authorization: Bearer" in html and "schema-Booking" in html
    external = re.findall(r'(?:src|href)="(https?:)?//', html)
    assert external == []
