"""Accounts on the web: signing up, in and out, the profile and password, organizations."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale, refresh
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_login.config import COOKIE_NAME
from sqlalchemy.orm import selectinload
from wtforms import Field

from ..clock import now
from ..errors import DomainError, InvalidInput, NotFound
from ..extensions import db
from ..ratelimit import login_limit
from . import services
from .forms import (
    AddMemberForm,
    ConfirmForm,
    LoginForm,
    OrganizationForm,
    PasswordForm,
    ProfileForm,
    RegisterForm,
    RoleForm,
    community_choices,
    field_message,
)
from .models import MemberRole, Organization, User
from .services import authenticate

bp = Blueprint("accounts", __name__)

# Longest values per field, for the "too long" messages.
USER_LIMITS = {"name": services.NAME_MAX_LENGTH, "email": services.EMAIL_MAX_LENGTH,
               "password": services.MAX_PASSWORD_LENGTH,
               "new_password": services.MAX_PASSWORD_LENGTH}
ORGANIZATION_LIMITS = {"name": services.ORGANIZATION_NAME_MAX,
                       "description": services.ORGANIZATION_DESCRIPTION_MAX}
# The organization page shows bookings that ended at most this long ago.
PAST_BOOKINGS = timedelta(days=30)


def safe_next(target: str | None) -> str:
    """Only a path inside this site; anything with a scheme or host goes home. Backslashes and
    control characters go home too: browsers read `/\\evil.example` and `/<TAB>/evil.example`
    as `//evil.example`."""
    home = url_for("venues.index")
    if not target or not target.startswith("/") or target.startswith("//"):
        return home
    if "\\" in target or any(ord(c) < 33 or ord(c) == 127 for c in target):
        return home
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return home
    return target


def show_errors(form, error: DomainError, limits: dict[str, int] | None = None) -> None:
    """Refused fields get their message under the input; anything else is flashed."""
    fields = error.details.get("fields") if isinstance(error, InvalidInput) else None
    if not fields:
        flash(error.message, "danger")
        return
    for name, code in fields.items():
        message = field_message(name, code, limit=(limits or {}).get(name))
        field = form._fields.get(name)
        if isinstance(field, Field):
            field.errors = [*field.errors, message]
        else:
            flash(message, "danger")


def _communities(form_field, placeholder: str) -> None:
    form_field.choices = community_choices(services.communities_by_street(),
                                           placeholder=placeholder)


# Signing up, in and out -------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@login_limit
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors = [*form.password.errors, _("Wrong e-mail or password.")]
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
@login_limit
def register():
    """Residents sign up with the community they live in, and are signed in at once."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = RegisterForm()
    _communities(form.community, _("Choose your community"))
    if form.validate_on_submit():
        try:
            user = services.register_user(
                email=form.email.data, password=form.password.data, name=form.name.data,
                phone=form.phone.data or "", community=services.get_community(form.community.data),
                locale=str(get_locale()), now=now())
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            show_errors(form, error, USER_LIMITS)
        except sa.exc.IntegrityError:
            # Someone took the address between the check and the insert.
            db.session.rollback()
            show_errors(form, InvalidInput({"email": "taken"}))
        else:
            login_user(user)
            flash(_("Welcome to Gongjian, %(name)s! Your account is ready.", name=user.name),
                  "success")
            return redirect(safe_next(request.args.get("next")))
    return render_template("accounts/register.html", form=form)


# The profile and the password ---------------------------------------------------------------


@bp.route("/account", methods=["GET", "POST"])
@login_required
def profile():
    user = current_user._get_current_object()
    form = ProfileForm(data={"name": user.name, "phone": user.phone,
                             "community": user.community_id, "locale": user.locale})
    _communities(form.community, _("— not set —"))
    if form.validate_on_submit():
        try:
            services.update_profile(
                user=user, name=form.name.data, phone=form.phone.data or "",
                community=services.get_community(form.community.data),
                locale=form.locale.data, now=now())
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            show_errors(form, error, USER_LIMITS)
        else:
            # The saved language applies from now on, this message included.
            if user.locale:
                session["lang"] = user.locale
            else:
                session.pop("lang", None)
            refresh()
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("accounts.profile"))
    memberships = services.organizations_of(user)
    return render_template("accounts/profile.html", form=form, user=user,
                           memberships=memberships, managed_units=user.managed_units)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@login_limit
def password():
    """The current password is checked like a sign-in, so it shares the sign-in rate limit."""
    user = current_user._get_current_object()
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(user=user, current_password=form.current_password.data,
                                     new_password=form.new_password.data, now=now())
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            show_errors(form, error, USER_LIMITS)
        else:
            # Every other browser is signed out (User.get_id); this one signs in again.
            remembered = current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) in (
                request.cookies)
            login_user(user, remember=remembered)
            flash(_("Your password is changed. Other devices are signed out."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/password.html", form=form)


# Organizations ------------------------------------------------------------------------------


@bp.get("/organizations")
@login_required
def organizations():
    user = current_user._get_current_object()
    return render_template("accounts/organizations.html",
                           memberships=services.organizations_of(user))


@bp.route("/organizations/new", methods=["GET", "POST"])
@login_required
def organization_new():
    user = current_user._get_current_object()
    form = OrganizationForm(data={"community": user.community_id})
    _communities(form.community, _("Choose a community"))
    if form.validate_on_submit():
        try:
            organization = services.create_organization(
                name=form.name.data, kind=form.kind.data,
                community=services.get_community(form.community.data), founder=user,
                description=form.description.data or "", now=now())
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            show_errors(form, error, ORGANIZATION_LIMITS)
        else:
            flash(_("Your application for “%(name)s” is sent. A district admin will review it; "
                    "until it is approved the organization cannot book venues. You are its "
                    "admin.", name=organization.name), "success")
            return redirect(url_for("accounts.organization", organization_id=organization.id))
    return render_template("accounts/organization_new.html", form=form)


def _visible_organization(organization_id: int) -> Organization:
    """The organization, if the signed-in user may know it exists: an approved one for
    everybody, any for its members and district admins; otherwise 404."""
    organization = services.get_organization(organization_id)
    user = current_user._get_current_object()
    if not organization.is_approved and not services.can_see_members(user, organization):
        raise NotFound("organization")
    return organization


def _organization_page(organization: Organization, *, add_form: AddMemberForm | None = None):
    """Who sees what: its members and district admins see the details, the members and the
    organization's bookings (upcoming, and those that ended in the past 30 days); its admins
    and district admins also manage the members. Any other signed-in user sees only the name,
    kind and community of an approved organization (a pending one does not exist for them)."""
    from ..bookings.models import Booking
    from ..bookings.visibility import organization_bookings_query
    from ..venues.models import Venue

    user = current_user._get_current_object()
    full = services.can_see_members(user, organization)
    context = {"organization": organization, "full": full}
    if full:
        clock = now()
        bookings = db.session.scalars(
            organization_bookings_query(organization.id, ended_after=clock - PAST_BOOKINGS)
            .options(selectinload(Booking.venue).selectinload(Venue.unit),
                     selectinload(Booking.booker))
        ).all()
        membership = services.membership_of(user, organization.id)
        context.update(
            members=services.members_of(organization),
            membership=membership,
            can_admin=services.can_admin_organization(user, organization),
            upcoming=[b for b in bookings if b.end_at > clock],
            past=sorted((b for b in bookings if b.end_at <= clock),
                        key=lambda b: (b.start_at, b.id), reverse=True),
            add_form=add_form or AddMemberForm(formdata=None),
            role_form=RoleForm(formdata=None),
            confirm_form=ConfirmForm(formdata=None),
        )
    return render_template("accounts/organization.html", **context)


@bp.get("/organizations/<int:organization_id>")
@login_required
def organization(organization_id: int):
    return _organization_page(_visible_organization(organization_id))


@bp.post("/organizations/<int:organization_id>/members")
@login_required
def organization_add_member(organization_id: int):
    organization = _visible_organization(organization_id)
    form = AddMemberForm()
    if form.validate_on_submit():
        try:
            membership = services.add_member_by_email(
                organization=organization, email=form.email.data, role=form.role.data,
                actor=current_user._get_current_object(), now=now())
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            flash(_("%(name)s is now a member.", name=membership.user.name), "success")
            return redirect(url_for("accounts.organization", organization_id=organization.id))
    return _organization_page(organization, add_form=form)


def _flash_refusal(error: InvalidInput) -> None:
    for name, code in error.details["fields"].items():
        flash(field_message(name, code), "danger")


def _member(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("user")
    return user


@bp.post("/organizations/<int:organization_id>/members/<int:user_id>/role")
@login_required
def organization_set_role(organization_id: int, user_id: int):
    organization = _visible_organization(organization_id)
    member = _member(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        flash(_("Choose member or admin."), "danger")
    else:
        try:
            services.set_member_role(organization=organization, user=member,
                                     role=form.role.data,
                                     actor=current_user._get_current_object(), now=now())
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            _flash_refusal(error)
        else:
            if form.role.data == MemberRole.ADMIN:
                flash(_("%(name)s is now an admin.", name=member.name), "success")
            else:
                flash(_("%(name)s is now a member.", name=member.name), "success")
    return redirect(url_for("accounts.organization", organization_id=organization.id))


@bp.post("/organizations/<int:organization_id>/members/<int:user_id>/remove")
@login_required
def organization_remove_member(organization_id: int, user_id: int):
    organization = _visible_organization(organization_id)
    member = _member(user_id)
    user = current_user._get_current_object()
    try:
        services.remove_member(organization=organization, user=member, actor=user, now=now())
        db.session.commit()
    except InvalidInput as error:
        db.session.rollback()
        _flash_refusal(error)
        return redirect(url_for("accounts.organization", organization_id=organization.id))
    if member.id == user.id:
        flash(_("You left %(name)s.", name=organization.name), "success")
        return redirect(url_for("accounts.organizations"))
    flash(_("%(name)s is no longer a member.", name=member.name), "success")
    return redirect(url_for("accounts.organization", organization_id=organization.id))


@bp.post("/organizations/<int:organization_id>/leave")
@login_required
def organization_leave(organization_id: int):
    return organization_remove_member(organization_id, current_user.id)
