"""The district console's pages (thin: every rule lives in the services they call).

Every /admin page answers district admins only: visitors are sent to sign in, anyone else gets
403, before any id in the URL is looked up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from math import ceil
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from werkzeug.datastructures import MultiDict
from wtforms import Field, SelectChoice

from .. import audit
from ..accounts import people, places
from ..accounts.forms import community_choices
from ..accounts.models import (
    Community,
    ManagerInvitation,
    Membership,
    Organization,
    OrganizationStatus,
    Street,
    Unit,
    User,
    unit_managers,
)
from ..accounts.services import (
    MAX_PASSWORD_LENGTH,
    NAME_MAX_LENGTH,
    UNIT_TEXT_MAX,
    communities_by_street,
    get_community,
    members_of,
    normalize_email,
    organizations_of,
)
from ..clock import now
from ..errors import DomainError, InvalidInput, NotFound
from ..extensions import db, login_manager
from ..feeds.services import base_url
from ..labels import UNIT_TYPES
from ..stats import agreements as agreement_services
from ..stats.models import Agreement
from ..venues.models import Venue
from . import bp, public_bp
from .audit_log import action_choices, describe_events
from .forms import (
    FORM_FIELDS,
    AgreementForm,
    CommunityForm,
    ConfirmForm,
    EndAgreementForm,
    InvitationForm,
    ManagerForm,
    NameForm,
    ReasonForm,
    UnitForm,
    message,
)
from .invitations import send_invitation

PER_PAGE = 50
LIMITS = {"name": NAME_MAX_LENGTH, "password": MAX_PASSWORD_LENGTH,
          "reason": people.SUSPENSION_REASON_MAX,
          "notes": agreement_services.NOTES_MAX, **UNIT_TEXT_MAX}


# Guards and small helpers ---------------------------------------------------------------------


@bp.before_request
def _admins_only():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_admin:
        abort(403)
    return None


def _actor() -> User:
    return current_user._get_current_object()


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])


def _today() -> date:
    return now().astimezone(_zone()).date()


def _get(model, object_id: int):
    found = db.session.get(model, object_id)
    if found is None:
        raise NotFound(model.__tablename__)
    return found


def show_errors(form, error: DomainError, *, limits: dict[str, int] | None = None) -> None:
    """Refused fields get their message under the input; anything else is flashed."""
    fields = error.details.get("fields") if isinstance(error, InvalidInput) else None
    if not fields:
        flash(error.message, "danger")
        return
    for name, code in fields.items():
        name = FORM_FIELDS.get(name, name)
        text = message(name, code, limit=(limits or LIMITS).get(name))
        field = form._fields.get(name) if form is not None else None
        if isinstance(field, Field):
            field.errors = [*field.errors, text]
        else:
            flash(text, "danger")


def flash_refusal(error: InvalidInput) -> None:
    show_errors(None, error)


def _commit_change(change: Callable[[], object], done: str) -> None:
    """Run one service change and commit, flashing `done`; a refusal rolls back and is
    flashed instead (the buttons without a form of their own)."""
    try:
        change()
        db.session.commit()
    except InvalidInput as error:
        db.session.rollback()
        flash_refusal(error)
    else:
        flash(done, "success")


def _int_arg(args: MultiDict, name: str) -> int | None:
    value = (args.get(name) or "").strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


def _choice_arg(args: MultiDict, name: str, allowed) -> str | None:
    value = args.get(name) or ""
    return value if value in allowed else None


@dataclass
class Page:
    items: list
    total: int
    page: int
    pages: int
    page_window: list[int | None]
    page_url: Callable[[int], str]


def _page_window(page: int, pages: int) -> list[int | None]:
    """First, last and two either side of the current page; None marks a gap."""
    shown = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    window: list[int | None] = []
    for number in shown:
        if window and number - (window[-1] or 0) > 1:
            window.append(None)
        window.append(number)
    return window


def paginate(select: sa.Select, endpoint: str, **view_args: Any) -> Page:
    """One page of 50 of `select`, the page number from ?page= (out of range: the nearest)."""
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(select.order_by(None).subquery())) or 0
    pages = max(1, ceil(total / PER_PAGE))
    page = min(max(_int_arg(request.args, "page") or 1, 1), pages)
    items = list(db.session.scalars(select.limit(PER_PAGE).offset((page - 1) * PER_PAGE)))
    kept = MultiDict([(k, v) for k, v in request.args.items(multi=True) if k != "page" and v])

    def page_url(number: int) -> str:
        args = kept.to_dict(flat=False)
        if number > 1:
            args["page"] = [str(number)]
        return url_for(endpoint, **view_args, **args)

    return Page(items, total, page, pages, _page_window(page, pages), page_url)


def _count(select: sa.Select) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(select.order_by(None).subquery())) or 0


def _unit_choices(placeholder: str) -> list[SelectChoice]:
    units = db.session.scalars(sa.select(Unit).order_by(Unit.name, Unit.id)).all()
    return [SelectChoice("", placeholder)] + [
        SelectChoice(u.id, u.name if u.active else _("%(name)s (inactive)", name=u.name))
        for u in units]


# The front page -------------------------------------------------------------------------------


@bp.get("")
def index():
    today = _today()
    pending = _count(people.organizations_query(status=OrganizationStatus.PENDING.value))
    unmanaged = _count(places.units_without_managers_query())
    unagreed = _count(agreement_services.units_without_agreement_query(today=today))
    expiring = list(db.session.scalars(
        agreement_services.expiring_agreements_query(today=today)))
    return render_template("admin/index.html", pending=pending, unmanaged=unmanaged,
                           unagreed=unagreed, expiring=expiring, today=today,
                           days=agreement_services.EXPIRY_WARNING_DAYS)


# Streets and communities -------------------------------------------------------------------


def _places_page(*, street_form: NameForm | None = None,
                 community_form: CommunityForm | None = None,
                 rename: tuple[str, int, str, str] | None = None, status: int = 200):
    streets = list(db.session.scalars(sa.select(Street).order_by(Street.name, Street.id)))
    communities = list(db.session.scalars(sa.select(Community).order_by(Community.name,
                                                                         Community.id)))
    by_street: dict[int, list[Community]] = {}
    for community in communities:
        by_street.setdefault(community.street_id, []).append(community)
    street_form = street_form or NameForm(prefix="street")
    community_form = community_form or CommunityForm(prefix="community")
    community_form.street.choices = [SelectChoice("", _("Choose a street"))] + [
        SelectChoice(s.id, s.name) for s in streets]
    return render_template("admin/places.html", streets=streets, by_street=by_street,
                           street_form=street_form, community_form=community_form,
                           rename=rename), status


@bp.get("/places")
def places_page():
    return _places_page()


@bp.post("/streets")
def street_create():
    form = NameForm(prefix="street")
    if form.validate_on_submit():
        try:
            street = places.add_street(name=form.name.data, actor=_actor(), now=now())
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            show_errors(form, error, limits={"name": places.NAME_MAX["street"]})
        except sa.exc.IntegrityError:
            db.session.rollback()
            show_errors(form, InvalidInput({"name": "taken"}))
        else:
            flash(_("The street “%(name)s” is added.", name=street.name), "success")
            return redirect(url_for("admin.places_page"))
    return _places_page(street_form=form)


@bp.post("/communities")
def community_create():
    form = CommunityForm(prefix="community")
    form.street.choices = [SelectChoice(s.id, s.name) for s in db.session.scalars(
        sa.select(Street))]
    if form.validate_on_submit():
        try:
            community = places.add_community(name=form.name.data,
                                             street=_get(Street, form.street.data),
                                             actor=_actor(), now=now())
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            show_errors(form, error, limits={"name": places.NAME_MAX["community"]})
        except sa.exc.IntegrityError:
            db.session.rollback()
            show_errors(form, InvalidInput({"name": "taken"}))
        else:
            flash(_("The community “%(name)s” is added.", name=community.name), "success")
            return redirect(url_for("admin.places_page"))
    return _places_page(community_form=form)


def _rename(kind: str, obj, service) -> Any:
    form = NameForm()
    typed = request.form.get("name", "")
    if not form.validate_on_submit():
        return _places_page(rename=(kind, obj.id, typed, message("name", "required")))
    try:
        service(form.name.data)
        db.session.commit()
    except InvalidInput as error:
        db.session.rollback()
        code = error.details["fields"].get("name", "invalid")
        return _places_page(rename=(kind, obj.id, typed, message(
            "name", code, limit=places.NAME_MAX[kind])))
    flash(_("Renamed to “%(name)s”.", name=obj.name), "success")
    return redirect(url_for("admin.places_page"))


@bp.post("/streets/<int:street_id>/rename")
def street_rename(street_id: int):
    street = _get(Street, street_id)
    return _rename("street", street, lambda name: places.rename_street(
        street=street, name=name, actor=_actor(), now=now()))


@bp.post("/communities/<int:community_id>/rename")
def community_rename(community_id: int):
    community = _get(Community, community_id)
    return _rename("community", community, lambda name: places.rename_community(
        community=community, name=name, actor=_actor(), now=now()))


# Units --------------------------------------------------------------------------------------

UNIT_STATUSES = ("active", "inactive")
UNIT_GAPS = ("managers", "agreement")


def _community_field(field, placeholder: str) -> None:
    field.choices = community_choices(communities_by_street(), placeholder=placeholder)


@bp.get("/units")
def units():
    args = request.args
    streets = list(db.session.scalars(places.streets_query()))
    communities = list(db.session.scalars(places.communities_query()))
    status = _choice_arg(args, "status", UNIT_STATUSES)
    gap = _choice_arg(args, "missing", UNIT_GAPS)
    filters = {
        "q": (args.get("q") or "").strip()[:200] or None,
        "street_id": _int_arg(args, "street"),
        "community_id": _int_arg(args, "community"),
        "type": _choice_arg(args, "type", UNIT_TYPES),
        "active": None if status is None else status == "active",
        "without_managers": gap == "managers",
    }
    select = places.admin_units_query(**filters)
    if gap == "agreement":
        select = agreement_services.without_agreement(select, today=_today())
    page = paginate(select, "admin.units")
    ids = [unit.id for unit in page.items]
    managers = dict(db.session.execute(
        sa.select(unit_managers.c.unit_id, sa.func.count())
        .where(unit_managers.c.unit_id.in_(ids)).group_by(unit_managers.c.unit_id)).all())
    venues = dict(db.session.execute(
        sa.select(Venue.unit_id, sa.func.count()).where(
            Venue.unit_id.in_(ids), Venue.archived_at.is_(None)).group_by(Venue.unit_id)).all())
    return render_template("admin/units.html", page=page, managers=managers, venues=venues,
                           streets=streets, communities=communities, values=args,
                           unit_types=UNIT_TYPES, status=status, gap=gap)


def _unit_values(form: UnitForm) -> dict[str, Any]:
    return {"name": form.name.data, "type": form.type.data,
            "community": get_community(form.community.data),
            "address": (form.address.data or "").strip(),
            "contact_name": (form.contact_name.data or "").strip(),
            "contact_phone": (form.contact_phone.data or "").strip(),
            "description": (form.description.data or "").strip()}


@bp.route("/units/new", methods=["GET", "POST"])
def unit_new():
    form = UnitForm()
    _community_field(form.community, _("Choose a community"))
    if form.validate_on_submit():
        try:
            unit = places.add_unit(actor=_actor(), now=now(), **_unit_values(form))
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            flash(_("The unit “%(name)s” is added. Now name its managers.", name=unit.name),
                  "success")
            return redirect(url_for("admin.unit", unit_id=unit.id))
    return render_template("admin/unit_new.html", form=form)


def _unit_page(unit: Unit, *, form: UnitForm | None = None,
               manager_form: ManagerForm | None = None, invite: dict | None = None,
               status: int = 200):
    if form is None:
        form = UnitForm(data={
            "name": unit.name, "type": unit.type.value, "community": unit.community_id,
            "address": unit.address, "contact_name": unit.contact_name,
            "contact_phone": unit.contact_phone, "description": unit.description})
    _community_field(form.community, _("Choose a community"))
    managers = sorted(unit.managers, key=lambda user: (user.name, user.id))
    venues = [venue for venue in unit.venues if venue.archived_at is None]
    agreements = list(db.session.scalars(sa.select(Agreement).where(
        Agreement.unit_id == unit.id).order_by(Agreement.valid_from.desc(), Agreement.id.desc())))
    return render_template(
        "admin/unit.html", unit=unit, form=form, manager_form=manager_form or ManagerForm(),
        managers=managers, invitations=people.open_invitations(unit, now=now()),
        venues=venues, agreements=agreements, invite=invite, today=_today(),
        confirm=ConfirmForm()), status


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
def unit(unit_id: int):
    unit = _get(Unit, unit_id)
    if request.method == "GET":
        return _unit_page(unit)
    form = UnitForm()
    _community_field(form.community, _("Choose a community"))
    if form.validate_on_submit():
        try:
            places.update_unit(unit=unit, actor=_actor(), now=now(), **_unit_values(form))
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            flash(_("The unit “%(name)s” is saved.", name=unit.name), "success")
            return redirect(url_for("admin.unit", unit_id=unit.id))
    return _unit_page(unit, form=form)


@bp.post("/units/<int:unit_id>/deactivate")
def unit_deactivate(unit_id: int):
    unit = _get(Unit, unit_id)
    places.set_unit_active(unit=unit, active=False, actor=_actor(), now=now())
    db.session.commit()
    flash(_("“%(name)s” is deactivated: its venues are hidden from residents.", name=unit.name),
          "success")
    return redirect(url_for("admin.unit", unit_id=unit.id))


@bp.post("/units/<int:unit_id>/reactivate")
def unit_reactivate(unit_id: int):
    unit = _get(Unit, unit_id)
    places.set_unit_active(unit=unit, active=True, actor=_actor(), now=now())
    db.session.commit()
    flash(_("“%(name)s” is active again.", name=unit.name), "success")
    return redirect(url_for("admin.unit", unit_id=unit.id))


@bp.post("/units/<int:unit_id>/managers")
def unit_add_manager(unit_id: int):
    """An existing account becomes a manager at once; an unknown address is invited."""
    unit = _get(Unit, unit_id)
    form = ManagerForm()
    if not form.validate_on_submit():
        return _unit_page(unit, manager_form=form)
    try:
        result = people.invite_unit_manager(unit=unit, email=form.email.data, actor=_actor(),
                                            now=now())
        db.session.commit()
    except InvalidInput as error:
        db.session.rollback()
        show_errors(form, error)
        return _unit_page(unit, manager_form=form)
    if result.user is not None:
        flash(_("%(name)s now manages “%(unit)s”.", name=result.user.name, unit=unit.name),
              "success")
        return redirect(url_for("admin.unit", unit_id=unit.id))
    invitation = result.invitation
    link = _absolute(url_for("district.invitation", token=result.token))
    if send_invitation(invitation=invitation, link=link, inviter=_actor()):
        flash(_("Nobody has an account with %(email)s yet: an invitation to manage the unit "
                "was e-mailed to them. The link is valid for 7 days.",
                email=invitation.email), "success")
        return redirect(url_for("admin.unit", unit_id=unit.id))
    # No mail server (or it failed): the admin passes the link on; it is shown only now.
    return _unit_page(unit, invite={"email": invitation.email, "link": link,
                                    "expires_at": invitation.expires_at,
                                    "mailed": False})


def _absolute(path: str) -> str:
    """An absolute URL: GONGJIAN_BASE_URL, else the request's trusted host (as the feeds')."""
    return base_url() + path


@bp.post("/units/<int:unit_id>/managers/<int:user_id>/remove")
def unit_remove_manager(unit_id: int, user_id: int):
    unit = _get(Unit, unit_id)
    user = _get(User, user_id)
    if user not in unit.managers:
        flash(_("%(name)s does not manage this unit.", name=user.name), "warning")
        return redirect(url_for("admin.unit", unit_id=unit.id))
    places.remove_unit_manager(unit=unit, user=user, actor=_actor(), now=now())
    db.session.commit()
    flash(_("%(name)s no longer manages “%(unit)s”.", name=user.name, unit=unit.name), "success")
    return redirect(url_for("admin.unit", unit_id=unit.id))


@bp.post("/invitations/<int:invitation_id>/revoke")
def invitation_revoke(invitation_id: int):
    invitation = _get(ManagerInvitation, invitation_id)
    _commit_change(
        lambda: people.revoke_invitation(invitation=invitation, actor=_actor(), now=now()),
        _("The invitation of %(email)s is withdrawn.", email=invitation.email))
    return redirect(url_for("admin.unit", unit_id=invitation.unit_id))


# Organizations ------------------------------------------------------------------------------

ORGANIZATION_STATUSES = tuple(status.value for status in OrganizationStatus)


@bp.get("/organizations")
def organizations():
    status = _choice_arg(request.args, "status", ORGANIZATION_STATUSES)
    q = (request.args.get("q") or "").strip()[:200]
    page = paginate(people.organizations_query(status=status, q=q), "admin.organizations")
    ids = [o.id for o in page.items]
    members = dict(db.session.execute(
        sa.select(Membership.organization_id, sa.func.count())
        .where(Membership.organization_id.in_(ids))
        .group_by(Membership.organization_id)).all())
    return render_template("admin/organizations.html", page=page, status=status, q=q,
                           members=members, statuses=ORGANIZATION_STATUSES,
                           confirm=ConfirmForm())


def _organization_page(organization: Organization, *, form: ReasonForm | None = None,
                       status: int = 200):
    return render_template("admin/organization.html", organization=organization,
                           members=members_of(organization), form=form or ReasonForm(),
                           confirm=ConfirmForm()), status


@bp.get("/organizations/<int:organization_id>")
def organization(organization_id: int):
    return _organization_page(_get(Organization, organization_id))


@bp.post("/organizations/<int:organization_id>/approve")
def organization_approve(organization_id: int):
    organization = _get(Organization, organization_id)
    _commit_change(
        lambda: people.review_organization(organization=organization, actor=_actor(), now=now()),
        _("“%(name)s” is approved: its members may book for it.", name=organization.name))
    if request.form.get("back") == "list":
        return redirect(url_for("admin.organizations", status="pending"))
    return redirect(url_for("admin.organization", organization_id=organization.id))


@bp.post("/organizations/<int:organization_id>/suspend")
def organization_suspend(organization_id: int):
    organization = _get(Organization, organization_id)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            people.suspend_organization(organization=organization, reason=form.reason.data,
                                        actor=_actor(), now=now())
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            flash(_("“%(name)s” is suspended: it cannot book until you restore it.",
                    name=organization.name), "success")
            return redirect(url_for("admin.organization", organization_id=organization.id))
    return _organization_page(organization, form=form)


@bp.post("/organizations/<int:organization_id>/restore")
def organization_restore(organization_id: int):
    organization = _get(Organization, organization_id)
    _commit_change(
        lambda: people.restore_organization(organization=organization, actor=_actor(), now=now()),
        _("“%(name)s” is restored and may book again.", name=organization.name))
    return redirect(url_for("admin.organization", organization_id=organization.id))


# Users --------------------------------------------------------------------------------------


@bp.get("/users")
def users():
    q = (request.args.get("q") or "").strip()[:200]
    role = _choice_arg(request.args, "role", people.USER_ROLES)
    page = paginate(people.users_query(q=q, role=role, now=now()), "admin.users")
    ids = [u.id for u in page.items]
    managed = dict(db.session.execute(
        sa.select(unit_managers.c.user_id, sa.func.count())
        .where(unit_managers.c.user_id.in_(ids)).group_by(unit_managers.c.user_id)).all())
    return render_template("admin/users.html", page=page, q=q, role=role, managed=managed,
                           roles=people.USER_ROLES, current=now())


def _user_page(user: User, *, form: ReasonForm | None = None):
    return render_template("admin/user.html", user=user, form=form or ReasonForm(),
                           confirm=ConfirmForm(), organizations=organizations_of(user),
                           managed_units=sorted(user.managed_units, key=lambda u: u.name),
                           current=now())


@bp.get("/users/<int:user_id>")
def user(user_id: int):
    return _user_page(_get(User, user_id))


@bp.post("/users/<int:user_id>/suspend")
def user_suspend(user_id: int):
    user = _get(User, user_id)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            people.suspend_user(user=user, reason=form.reason.data, actor=_actor(), now=now())
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            flash(_("The booking rights of %(name)s are suspended.", name=user.name), "success")
            return redirect(url_for("admin.user", user_id=user.id))
    return _user_page(user, form=form)


@bp.post("/users/<int:user_id>/restore")
def user_restore(user_id: int):
    user = _get(User, user_id)
    _commit_change(lambda: people.restore_user(user=user, actor=_actor(), now=now()),
                   _("The booking rights of %(name)s are restored.", name=user.name))
    return redirect(url_for("admin.user", user_id=user.id))


def _set_admin(user_id: int, is_admin: bool):
    user = _get(User, user_id)
    done = (_("%(name)s is now a district admin.", name=user.name) if is_admin
            else _("%(name)s is no longer a district admin.", name=user.name))
    _commit_change(lambda: people.set_district_admin(user=user, is_admin=is_admin,
                                                     actor=_actor(), now=now()), done)
    return redirect(url_for("admin.user", user_id=user.id))


@bp.post("/users/<int:user_id>/grant-admin")
def user_grant_admin(user_id: int):
    return _set_admin(user_id, True)


@bp.post("/users/<int:user_id>/revoke-admin")
def user_revoke_admin(user_id: int):
    return _set_admin(user_id, False)


# Agreements ---------------------------------------------------------------------------------


@bp.get("/agreements")
def agreements():
    unit_id = _int_arg(request.args, "unit")
    state = _choice_arg(request.args, "state", agreement_services.AGREEMENT_STATES)
    select = agreement_services.agreements_query(actor=_actor(), unit_id=unit_id)
    select = agreement_services.filter_agreements(select, state=state, today=_today())
    select = select.order_by(None).join(Unit, Unit.id == Agreement.unit_id).order_by(
        Unit.name, Agreement.valid_from.desc(), Agreement.id.desc())
    page = paginate(select, "admin.agreements")
    return render_template("admin/agreements.html", page=page, unit_id=unit_id, state=state,
                           unit_choices=_unit_choices(_("All units")),
                           states=agreement_services.AGREEMENT_STATES, today=_today())


def _counterparty_choices() -> list[SelectChoice]:
    choices = [SelectChoice("", _("Choose a community or the street"))]
    streets = db.session.scalars(sa.select(Street).order_by(Street.name, Street.id)).all()
    grouped = {street.id: communities for street, communities in communities_by_street()}
    for street in streets:
        choices.append(SelectChoice(f"street:{street.id}",
                                    _("%(street)s (the street)", street=street.name),
                                    optgroup=street.name))
        choices += [SelectChoice(f"community:{c.id}", c.name, optgroup=street.name)
                    for c in grouped.get(street.id, [])]
    return choices


def _agreement_form(form: AgreementForm) -> AgreementForm:
    form.unit.choices = _unit_choices(_("Choose the unit"))
    form.counterparty.choices = _counterparty_choices()
    return form


def _counterparty(value: str) -> dict[str, Any]:
    kind, _sep, ident = (value or "").partition(":")
    if not ident.isdigit() or kind not in ("community", "street"):
        raise InvalidInput({"community_id": "one_counterparty_required"})
    model = Community if kind == "community" else Street
    found = db.session.get(model, int(ident))
    if found is None:
        raise InvalidInput({"community_id": "one_counterparty_required"})
    return {kind: found}


def _agreement_terms(form: AgreementForm) -> dict[str, Any]:
    unit = db.session.get(Unit, form.unit.data) if form.unit.data is not None else None
    if unit is None:
        raise InvalidInput({"unit": "invalid"})
    return {"unit": unit, **_counterparty(form.counterparty.data),
            "signed_on": form.signed_on.data, "valid_from": form.valid_from.data,
            "valid_until": form.valid_until.data,
            "committed_hours_per_week": form.committed_hours_per_week.data,
            "notes": form.notes.data or ""}


def _agreement_dir() -> Path:
    return Path(current_app.config["AGREEMENT_DIR"])


def _uploaded(form: AgreementForm) -> tuple[bytes, str] | None:
    storage = form.document.data
    if storage is None or not getattr(storage, "filename", ""):
        return None
    # Read one byte past the limit: enough to tell "too large" without holding more.
    return storage.read(agreement_services.DOCUMENT_MAX_BYTES + 1), storage.filename


def _delete_file(name: str | None) -> None:
    if name:
        (_agreement_dir() / name).unlink(missing_ok=True)


@bp.route("/agreements/new", methods=["GET", "POST"])
def agreement_new():
    form = _agreement_form(AgreementForm(data={"unit": _int_arg(request.args, "unit")}))
    if form.validate_on_submit():
        try:
            agreement = agreement_services.create_agreement(
                actor=_actor(), now=now(), **_agreement_terms(form))
            upload = _uploaded(form)
            if upload is not None:
                agreement_services.attach_document(
                    agreement=agreement, data=upload[0], filename=upload[1],
                    directory=_agreement_dir(), actor=_actor(), now=now())
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            flash(_("The agreement of “%(unit)s” is recorded.", unit=agreement.unit.name),
                  "success")
            return redirect(url_for("admin.agreement", agreement_id=agreement.id))
    return render_template("admin/agreement_new.html", form=form)


def _agreement_page(agreement: Agreement, *, form: AgreementForm | None = None,
                    end_form: EndAgreementForm | None = None):
    if form is None:
        party = (f"community:{agreement.community_id}" if agreement.community_id
                 else f"street:{agreement.street_id}")
        form = AgreementForm(data={
            "unit": agreement.unit_id, "counterparty": party, "signed_on": agreement.signed_on,
            "valid_from": agreement.valid_from, "valid_until": agreement.valid_until,
            "committed_hours_per_week": agreement.committed_hours_per_week,
            "notes": agreement.notes})
    _agreement_form(form)
    today = _today()
    if end_form is None:
        end_form = EndAgreementForm(prefix="end",
                                    data={"valid_until": max(today, agreement.valid_from)})
    return render_template("admin/agreement.html", agreement=agreement, form=form,
                           end_form=end_form, today=today)


@bp.route("/agreements/<int:agreement_id>", methods=["GET", "POST"])
def agreement(agreement_id: int):
    agreement = _get(Agreement, agreement_id)
    if request.method == "GET":
        return _agreement_page(agreement)
    form = _agreement_form(AgreementForm())
    if form.validate_on_submit():
        stale: str | None = None
        try:
            agreement_services.update_agreement(agreement=agreement, actor=_actor(), now=now(),
                                                **_agreement_terms(form))
            upload = _uploaded(form)
            if upload is not None:
                stale = agreement_services.attach_document(
                    agreement=agreement, data=upload[0], filename=upload[1],
                    directory=_agreement_dir(), actor=_actor(), now=now())
            elif form.remove_document.data:
                stale = agreement_services.remove_document(agreement=agreement, actor=_actor(),
                                                           now=now())
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            _delete_file(stale)
            flash(_("The agreement is saved."), "success")
            return redirect(url_for("admin.agreement", agreement_id=agreement.id))
    return _agreement_page(agreement, form=form)


@bp.post("/agreements/<int:agreement_id>/end")
def agreement_end(agreement_id: int):
    agreement = _get(Agreement, agreement_id)
    form = EndAgreementForm(prefix="end")
    if form.validate_on_submit():
        try:
            agreement_services.end_agreement(agreement=agreement, on=form.valid_until.data,
                                             actor=_actor(), now=now())
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            flash(_("The agreement ends on %(day)s.", day=agreement.valid_until.isoformat()),
                  "success")
            return redirect(url_for("admin.agreement", agreement_id=agreement.id))
    return _agreement_page(agreement, end_form=form)


@public_bp.get("/agreements/<int:agreement_id>/document")
@login_required
def agreement_document(agreement_id: int):
    """The signed PDF, for district admins and the unit's managers, always as a download."""
    agreement = _get(Agreement, agreement_id)
    if not agreement_services.can_download_document(current_user, agreement):
        abort(403)
    path = _agreement_dir() / (agreement.document_file or "")
    if not agreement.document_file or not path.is_file():
        abort(404)
    response = send_file(path, mimetype="application/pdf", as_attachment=True,
                         download_name=f"agreement-{agreement.id}.pdf", max_age=0)
    # The uploaded name for browsers (RFC 6266), a plain ASCII one for the rest.
    response.headers["Content-Disposition"] = (
        f'attachment; filename="agreement-{agreement.id}.pdf"; '
        f"filename*=UTF-8''{quote(agreement.document_name or 'agreement.pdf', safe='')}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# The audit log ------------------------------------------------------------------------------


def _date_arg(name: str, errors: dict[str, str]) -> date | None:
    value = (request.args.get(name) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = _("Enter a date like 2026-12-01.")
        return None


@bp.get("/audit")
def audit_log():
    args = request.args
    errors: dict[str, str] = {}
    start_day, end_day = _date_arg("from", errors), _date_arg("to", errors)
    if start_day and end_day and end_day < start_day:
        errors["to"] = _("The last day cannot be before the first day.")
        end_day = None
    zone = _zone()
    actor_email = (args.get("user") or "").strip()[:254]
    actor_id: int | None = None
    if actor_email:
        actor_id = db.session.scalar(sa.select(User.id).where(
            User.email == normalize_email(actor_email)))
        if actor_id is None:
            errors["user"] = _("Nobody has an account with this e-mail address.")
    actions = audit.actions_present()
    action = args.get("action") or None
    if action not in actions:
        action = None
    select = audit.events_query(
        unit_id=_int_arg(args, "unit"), venue_id=_int_arg(args, "venue"),
        actor_id=-1 if "user" in errors else actor_id, action=action,
        start=datetime.combine(start_day, time(), zone) if start_day else None,
        end=datetime.combine(end_day + timedelta(days=1), time(), zone) if end_day else None)
    page = paginate(select, "admin.audit_log")
    venues = db.session.execute(
        sa.select(Venue.id, Venue.name, Unit.name).join(Unit, Unit.id == Venue.unit_id)
        .order_by(Unit.name, Venue.name, Venue.id)).all()
    return render_template(
        "admin/audit.html", page=page, rows=describe_events(page.items), values=args,
        errors=errors, action_choices=action_choices(actions),
        unit_choices=_unit_choices(_("All units")), venues=venues, zone=zone)


# Accepting an invitation (public) --------------------------------------------------------------


@public_bp.route("/invitations/<token>", methods=["GET", "POST"])
def invitation(token: str):
    clock = now()
    found = people.invitation_for_token(token)
    state = people.invitation_state(found, now=clock)
    if state != "open":
        return render_template("admin/invitation_closed.html", state=state), (
            404 if state == "unknown" else 410)
    invitation = found
    if current_user.is_authenticated:
        if normalize_email(current_user.email) != invitation.email:
            return render_template("admin/invitation_other.html", invitation=invitation), 403
        form = ConfirmForm()
        if request.method == "POST" and form.validate_on_submit():
            people.accept_invitation_as(invitation=invitation, user=_actor(), now=clock)
            db.session.commit()
            flash(_("You now manage “%(unit)s”.", unit=invitation.unit.name), "success")
            return redirect(url_for("accounts.profile"))
        return render_template("admin/invitation_accept.html", invitation=invitation,
                               form=form)
    registered = db.session.scalar(sa.select(User.id).where(User.email == invitation.email))
    if registered is not None:
        return render_template("admin/invitation_login.html", invitation=invitation,
                               next_url=url_for("district.invitation", token=token))
    form = InvitationForm()
    if form.validate_on_submit():
        try:
            user = people.accept_invitation(
                invitation=invitation, name=form.name.data, password=form.password.data,
                phone=form.phone.data or "", locale=str(get_locale()), now=clock)
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            show_errors(form, error)
        except sa.exc.IntegrityError:
            db.session.rollback()
            return render_template("admin/invitation_login.html", invitation=invitation,
                                   next_url=url_for("district.invitation", token=token))
        else:
            login_user(user)
            flash(_("Welcome, %(name)s! You now manage “%(unit)s”.", name=user.name,
                    unit=invitation.unit.name), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("admin/invitation.html", invitation=invitation, form=form)
