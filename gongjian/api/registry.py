"""The API blueprint and its operations.

Every endpoint is declared with `@operation(...)`: its method and path, who may call it, the
query and body it takes (parsed strictly by `parsing`), and the responses it gives. The same
declaration builds the route, parses the request and writes the OpenAPI document, so the
document describes exactly what runs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, has_request_context, jsonify, request
from flask_babel import get_locale, refresh
from werkzeug.routing import BaseConverter

from ..clock import now
from ..errors import DomainError, InvalidInput, NotFound
from ..extensions import csrf, db
from ..ratelimit import login_limit, write_limit
from . import auth
from .parsing import MAX_ID, Field, Integer, Invalid, Query, parse_body

bp = Blueprint("api", __name__, url_prefix="/api")
V1 = "/v1"

PUBLIC = "public"  # visitors welcome (a presented token must still be valid)
USER = "user"  # a signed-in user: Bearer token or web session

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100


class IdConverter(BaseConverter):
    """A database id in a path. Out-of-range numbers still match (the view answers 404):
    a converter that refused them would make Werkzeug answer 405 for other methods."""

    regex = r"\d{1,30}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: Any) -> str:
        return str(int(value))


bp.record_once(lambda state: state.app.url_map.converters.setdefault("id", IdConverter))
csrf.exempt(bp)  # the API checks X-CSRFToken itself, and only for session-authenticated writes


@dataclass
class Operation:
    method: str
    path: str  # OpenAPI style: /venues/{venue_id}
    endpoint: str
    summary: str
    description: str
    tag: str
    access: str
    query: Query | None
    body: Field | None
    body_optional: bool
    responses: dict[int, tuple[str, dict[str, Any] | None]]
    errors: tuple[int, ...]
    limit: str | None
    path_params: dict[str, str] = field(default_factory=dict)


OPERATIONS: list[Operation] = []


def operation(
    method: str,
    path: str,
    *,
    summary: str,
    tag: str,
    access: str = USER,
    description: str = "",
    query: Query | None = None,
    body: Field | None = None,
    body_optional: bool = False,
    responses: dict[int, tuple[str, dict[str, Any] | None]],
    errors: tuple[int, ...] = (),
    limit: str | None = None,
    path_params: dict[str, str] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare an endpoint; the view gets path values plus `query=` / `body=` when declared."""
    method = method.upper()
    rule = V1 + path.replace("{", "<id:").replace("}", ">")
    params = path_params or {}

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def handle(**path_values: Any) -> Any:
            user = auth.authenticate(now())
            if access == USER and user is None:
                raise DomainError("unauthorized", details={"reason": "sign_in_required"})
            if not all(1 <= value <= MAX_ID for value in path_values.values()):
                raise NotFound()
            kwargs = dict(path_values)
            if query is not None:
                kwargs["query"] = query.parse(request.args)
            if body is not None:
                kwargs["body"] = parse_body(body, optional=body_optional)
            elif method in auth.WRITE_METHODS and request.get_data(cache=True).strip():
                parse_body(_NO_BODY, optional=True)
            return _respond(view(**kwargs))

        wrapped: Callable[..., Any] = handle
        if limit == "login":
            wrapped = login_limit(wrapped)
        elif method in auth.WRITE_METHODS:
            wrapped = write_limit(wrapped)
        bp.add_url_rule(rule, view.__name__, wrapped, methods=[method])
        OPERATIONS.append(Operation(
            method=method, path=path, endpoint=f"{bp.name}.{view.__name__}", summary=summary,
            description=description or (view.__doc__ or "").strip(), tag=tag, access=access,
            query=query, body=body, body_optional=body_optional, responses=responses,
            errors=errors, limit=limit if limit else ("write" if method in auth.WRITE_METHODS
                                                      else None),
            path_params={name: params.get(name, "") for name in _names(path)},
        ))
        return view

    return decorate


def _names(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


class _Nothing(Field):
    """Endpoints without a body accept an empty one, or `{}`."""

    def parse(self, value: Any) -> Any:
        if value != {}:
            if isinstance(value, dict):
                raise Invalid("invalid", {str(key): "unknown" for key in value})
            raise Invalid("not_an_object")
        return value

    def json_schema(self) -> dict[str, Any]:
        return {"type": "object", "additionalProperties": False}


_NO_BODY = _Nothing()


def _respond(result: Any) -> Response:
    if isinstance(result, Response):
        return result
    status = 200
    if isinstance(result, tuple):
        result, status = result
    if result is None:
        return Response(status=204)
    response = jsonify(result)
    response.status_code = status
    return response


def no_content() -> Response:
    return Response(status=204)


@bp.before_request
def _before() -> None:
    auth.forget_request_state()
    refresh()  # the locale follows this request's Accept-Language (see api_locale)


@bp.after_request
def _after(response: Response) -> Response:
    response.headers.setdefault("Content-Language", str(get_locale() or "zh"))
    response.headers["Cache-Control"] = response.headers.get("Cache-Control", "no-store")
    vary = {v.strip() for v in response.headers.get("Vary", "").split(",") if v.strip()}
    response.headers["Vary"] = ", ".join(sorted(vary | {"Accept-Language", "Authorization",
                                                        "Cookie"}))
    return response


def api_locale() -> str:
    """API messages follow Accept-Language, Chinese by default (product.md §9)."""
    languages = current_app.config["LANGUAGES"]
    return request.accept_languages.best_match(languages) or languages[0]


def _install_locale_selector(state) -> None:
    babel_state = state.app.extensions.get("babel")
    if babel_state is None:  # pragma: no cover - create_app always sets Babel up
        return
    pages = babel_state.locale_selector
    prefix = bp.url_prefix or "/api"

    def select() -> str | None:
        if has_request_context() and request.path.startswith(prefix + "/"):
            return api_locale()
        return pages() if pages is not None else None

    babel_state.locale_selector = select


bp.record_once(_install_locale_selector)


# Lists -----------------------------------------------------------------------------------

PAGE_QUERY = Query({
    "page": Integer(1, 10**6, description="Page number, from 1."),
    "per_page": Integer(1, MAX_PER_PAGE, description=f"Items per page (default "
                                                      f"{DEFAULT_PER_PAGE}, at most "
                                                      f"{MAX_PER_PAGE})."),
})


def paginate(query: sa.Select, params: dict[str, Any],
             serialize: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    """`{"items","page","per_page","total"}`; a page past the last one is refused (422)."""
    page = params.get("page", 1)
    per_page = params.get("per_page", DEFAULT_PER_PAGE)
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    ) or 0
    last_page = max(1, -(-total // per_page))
    if page > last_page:
        raise InvalidInput({"page": "out_of_range"})
    rows = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": [serialize(row) for row in rows], "page": page, "per_page": per_page,
            "total": total}


def get_or_404(model: type, object_id: int, what: str) -> Any:
    found = db.session.get(model, object_id)
    if found is None:
        raise NotFound(what)
    return found


def lookup(model: type, object_id: int | None, field_name: str) -> Any:
    """An object a body refers to by id; a missing one names the field (422)."""
    if object_id is None:
        return None
    found = db.session.get(model, object_id)
    if found is None:
        raise InvalidInput({field_name: "not_found"})
    return found
