"""Tokens, the caller's own account, and people's accounts."""

from __future__ import annotations

from typing import Any

from ..accounts.models import User
from ..accounts.people import add_user
from ..accounts.services import managed_unit_ids
from ..accounts.tokens import issue_api_token, revoke_api_token
from ..bookings.visibility import can_view_person
from ..errors import NotFound
from ..extensions import db
from . import auth
from .auth import caller
from .parsing import Boolean, Object, String
from .registry import PUBLIC, get_or_404, no_content, now, operation
from .schemas import ref
from .serializers import me_json, person_json

TOKEN_BODY = Object({
    "email": String(254, min_length=1, example="resident@demo.gongjian.cn"),
    "password": String(1000, min_length=1, example="demo-resident-2026"),
}, required=("email", "password"))

USER_BODY = Object({
    "email": String(254, min_length=1),
    "password": String(1000, min_length=1, description="At least 8 characters"),
    "name": String(100, min_length=1),
    "phone": String(40),
    "is_admin": Boolean(description="Make the account a district admin"),
}, required=("email", "password", "name"))


@operation("POST", "/tokens", summary="Issue an API token", tag="auth", access=PUBLIC,
           body=TOKEN_BODY, limit="login",
           description="Exchange an e-mail address and password for a Bearer token. The token "
                       "is shown only in this answer; only its SHA-256 is stored.",
           responses={201: ("The new token", ref("Token"))}, errors=(401,))
def issue_token(body: dict[str, Any]):
    token, secret = issue_api_token(email=body["email"], password=body["password"], now=now())
    db.session.commit()
    return {"token": secret, "id": token.id}, 201


@operation("DELETE", "/tokens/current", summary="Revoke the token of this request",
           tag="auth", responses={204: ("Revoked", None)}, errors=(404,))
def revoke_current_token():
    """Revoke the Bearer token this request was made with (404 for a web session)."""
    token = auth.current_token()
    if token is None:
        raise NotFound("token")
    revoke_api_token(token=token, now=now())
    db.session.commit()
    return no_content()


@operation("GET", "/me", summary="The signed-in user", tag="auth",
           responses={200: ("The caller's account, roles and personal feed URL", ref("Me"))})
def get_me():
    user = caller()
    data = me_json(user, sorted(managed_unit_ids(user)))
    db.session.commit()  # the personal feed's secret is made on first use
    return data


@operation("POST", "/users", summary="Create an account (district admins)", tag="people",
           body=USER_BODY, responses={201: ("The new account", ref("Person"))},
           errors=(403,))
def create_user(body: dict[str, Any]):
    """District admins create accounts, e.g. for a new unit's manager."""
    user = add_user(actor=caller(), now=now(), **body)
    db.session.commit()
    return person_json(user), 201


@operation("GET", "/users/{user_id}", summary="A person's contact details", tag="people",
           responses={200: ("The person", ref("Person"))}, errors=(404,),
           description="Visible to the person, district admins, and the managers of a unit at "
                       "which the person has booked; to anyone else the person does not exist.")
def get_user(user_id: int):
    person = get_or_404(User, user_id, "user")
    if not can_view_person(caller(), person):
        raise NotFound("user")
    return person_json(person)
