"""The OpenAPI 3.1 document, built from the declared operations, and the docs page."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import render_template
from markupsafe import Markup, escape

from .registry import OPERATIONS, PUBLIC, V1, Operation, bp, operation
from .schemas import COMPONENTS, ref

TITLE = "Gongjian (共建) API"
VERSION = "1"
TAGS = [
    ("auth", "Tokens and the signed-in user"),
    ("people", "Accounts"),
    ("places", "Streets, communities, units"),
    ("venues", "Venues, opening hours, closures, availability"),
    ("bookings", "Booking rules and lifecycle"),
    ("agreements", "Co-construction agreements"),
    ("openness", "Openness figures (product.md §7)"),
    ("meta", "This document"),
]
INTRO = """\
JSON API v1 of Gongjian (product.md §9).

**Authentication.** `POST /api/v1/tokens` with `{"email", "password"}` answers
`201 {"token", "id"}`; send the token as `Authorization: Bearer <token>` on every request, and
revoke it with `DELETE /api/v1/tokens/current`. Our own pages may use the web session instead;
their writes need the session's CSRF token in `X-CSRFToken`. Visitors (no credentials) may read
venues, units, streets, communities, opening hours, closures and availability.

**Errors** answer `{"error": {"code", "message", "details"}}`; `message` follows
`Accept-Language` (Chinese by default). Refused fields are named in `details.fields`;
booking refusals list every failed rule in `details.violations`.

**Lists** take `?page=&per_page=` (at most 100) and answer `{"items", "page", "per_page",
"total"}`; a page past the last is refused (422, `details.fields.page`).

**Times**: instants are RFC 3339 with an offset, answered in the venue's own offset; `from` and
`to` are local dates, both inclusive.

**Rate limits**: signing in and issuing tokens 30 per minute per IP; writes 120 per minute per
token or session; beyond them 429.
"""

ERROR_TEXT = {
    400: "Malformed request: the body is not JSON (`malformed`)",
    401: "No valid credentials: sign in, or the token is unknown or revoked (`unauthorized`)",
    403: "Not allowed (`forbidden`, or a booking rule such as `booker_suspended`); a session "
         "write without a valid X-CSRFToken (`details.reason = csrf`)",
    404: "No such object, or not visible to the caller (`not_found`, `venue_not_found`)",
    409: "A clash (`conflict`), a lifecycle step that does not apply now "
         "(`invalid_transition`), or a concurrent change (`stale`)",
    422: "A field is refused (`invalid_input`, `details.fields` names it) or a rule fails",
    429: "Too many requests (`rate_limited`)",
    503: "The database is busy; try again (`busy`)",
}

_document: dict[str, Any] | None = None


def _parameters(op: Operation) -> list[dict[str, Any]]:
    params = [
        {"name": name, "in": "path", "required": True,
         "description": text or f"The {name.removesuffix('_id')}'s id",
         "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}
        for name, text in op.path_params.items()
    ]
    if op.query is not None:
        for name, field in op.query.params.items():
            schema = field.schema()
            param: dict[str, Any] = {"name": name, "in": "query",
                                     "required": name in op.query.required, "schema": schema}
            if schema.get("description"):
                param["description"] = schema.pop("description")
            if schema.get("type") == "array":
                param["style"] = "form"
                param["explode"] = False
            params.append(param)
    return params


def _error_statuses(op: Operation) -> list[int]:
    statuses = set(op.errors) | {401}
    if op.query is not None or op.body is not None:
        statuses.add(422)
    if op.method != "GET":
        statuses |= {400, 403, 422}
    if op.path_params:
        statuses.add(404)
    if op.limit:
        statuses.add(429)
    return sorted(statuses)


def _operation_object(op: Operation) -> dict[str, Any]:
    security: list[dict[str, list[str]]] = [{"bearer": []}, {"session": []}]
    if op.access == PUBLIC:
        security = [{}, *security]
    data: dict[str, Any] = {
        "operationId": op.endpoint.split(".", 1)[1],
        "summary": op.summary,
        "tags": [op.tag],
        "security": security,
        "responses": {},
    }
    if op.description:
        data["description"] = op.description
    parameters = _parameters(op)
    if parameters:
        data["parameters"] = parameters
    if op.body is not None:
        data["requestBody"] = {
            "required": not op.body_optional,
            "content": {"application/json": {"schema": op.body.schema()}},
        }
    for status, (text, schema) in sorted(op.responses.items()):
        response: dict[str, Any] = {"description": text}
        if schema is not None:
            response["content"] = {"application/json": {"schema": schema}}
        data["responses"][str(status)] = response
    for status in _error_statuses(op):
        data["responses"][str(status)] = {"$ref": f"#/components/responses/E{status}"}
    return data


def _tags() -> list[dict[str, str]]:
    """The known tags in their order, then any other an operation declares."""
    described = dict(TAGS)
    names = list(described)
    names += sorted({op.tag for op in OPERATIONS} - set(names))
    return [{"name": name, "description": described.get(name, name)} for name in names]


def build_document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation_object(op)
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION, "description": INTRO},
        "servers": [{"url": bp.url_prefix + V1}],
        "tags": _tags(),
        "paths": paths,
        "components": {
            "schemas": COMPONENTS,
            "responses": {
                f"E{status}": {"description": text,
                               "content": {"application/json": {"schema": ref("Error")}}}
                for status, text in ERROR_TEXT.items()
            },
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "A token from POST /api/v1/tokens"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session",
                            "description": "The web session of our own pages; writes also "
                                           "need the header X-CSRFToken"},
            },
        },
    }


def document() -> dict[str, Any]:
    global _document
    if _document is None:
        _document = build_document()
    return _document


@operation("GET", "/openapi.json", summary="This OpenAPI 3.1 document", tag="meta",
           access=PUBLIC, responses={200: ("The document", {"type": "object"})})
def openapi_document():
    return document()


# The docs page ---------------------------------------------------------------------------

def _schema_text(schema: dict[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2)


def _ref_name(schema: dict[str, Any] | None) -> str | None:
    if not schema:
        return None
    target = schema.get("$ref") or (schema.get("items") or {}).get("$ref")
    if target is None:
        items = (schema.get("properties") or {}).get("items") or {}
        target = (items.get("items") or {}).get("$ref")
    return target.rsplit("/", 1)[1] if target else None


def inline_markup(text: str) -> Markup:
    """`code` and **bold** in escaped text: all the document's prose uses."""
    html = str(escape(" ".join(text.split())))
    html = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html)
    return Markup(re.sub(r"`(.+?)`", r"<code>\1</code>", html))


@bp.get("/docs")
def docs_page():
    """A readable rendering of the document, made on the server (no scripts, no CDN)."""
    doc = document()
    sections = []
    for tag in doc["tags"]:
        name, text = tag["name"], tag["description"]
        ops = []
        for path, methods in doc["paths"].items():
            for method, item in methods.items():
                if item["tags"] != [name]:
                    continue
                body = item.get("requestBody", {}).get("content", {}).get("application/json")
                ops.append({
                    "method": method.upper(),
                    "path": doc["servers"][0]["url"] + path,
                    "item": item,
                    "public": {} in item["security"],
                    "body": _schema_text(body["schema"]) if body else None,
                    "body_required": item.get("requestBody", {}).get("required", False),
                    "responses": [
                        (status, answer.get("description")
                         or doc["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
                         ["description"],
                         _ref_name(answer.get("content", {}).get("application/json", {})
                                   .get("schema")))
                        for status, answer in item["responses"].items()
                    ],
                })
        sections.append({"name": name, "text": text, "operations": ops})
    schemas = [(name, _schema_text(schema))
               for name, schema in doc["components"]["schemas"].items()]
    return render_template("api/docs.html", doc=doc, sections=sections, schemas=schemas,
                           intro=[inline_markup(block)
                                  for block in doc["info"]["description"].split("\n\n")],
                           md=inline_markup)
