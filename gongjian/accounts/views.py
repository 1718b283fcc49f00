"""Signing in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user

from ..ratelimit import login_limit
from .forms import LoginForm
from .services import authenticate

bp = Blueprint("accounts", __name__)


def safe_next(target: str | None) -> str:
    """Only a path inside this site; anything with a scheme or host goes home."""
    if not target:
        return url_for("venues.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("venues.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
@login_limit
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            flash(_("Wrong e-mail or password."), "danger")
        else:
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")))
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    return redirect(url_for("venues.index"))


@bp.route("/register", methods=["GET", "POST"])
def register():
    return render_template("base.html")  # TODO(#4): registration


@bp.route("/account", methods=["GET", "POST"])
@login_required
def profile():
    return render_template("base.html")  # TODO(#4): profile


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    return render_template("base.html")  # TODO(#4): change password


@bp.get("/organizations")
@login_required
def organizations():
    return render_template("base.html")  # TODO(#4): my organizations
