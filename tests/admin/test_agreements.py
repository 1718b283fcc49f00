"""Agreements (共驻共建协议) in the district console: list and filter, record, edit, end, the
signed PDF (checked, stored under a random name, downloaded only by admins and the unit's
managers), and the front page's counts and agreements about to expire."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from gongjian.accounts import services as accounts
from gongjian.audit import AuditEvent
from gongjian.extensions import db
from gongjian.stats.agreements import attach_document, create_agreement
from gongjian.stats.models import Agreement

from ..conftest import NOW
from ..pages import csrf_token, login, submit, text
from .pdfs import PDF, build_pdf


def agreement_rows(response) -> list[int]:
    return [int(n) for n in re.findall(r'<tr data-agreement="(\d+)">',
                                       response.get_data(as_text=True))]


def events(prefix: str = "agreement.") -> list[tuple]:
    return [(e.action, e.object_id, e.actor_id, e.before, e.after, e.unit_id)
            for e in db.session.scalars(sa.select(AuditEvent).where(
                AuditEvent.action.startswith(prefix)).order_by(AuditEvent.id))]


def stored(app) -> list[str]:
    folder = Path(app.config["AGREEMENT_DIR"])
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def agree(district, unit=None, *, valid_from=date(2026, 1, 1), valid_until=None, hours=21,
          street=False, notes=""):
    return create_agreement(unit=unit or district.unit,
                            community=None if street else district.east,
                            street=district.street if street else None,
                            signed_on=date(2025, 12, 20), valid_from=valid_from,
                            valid_until=valid_until, committed_hours_per_week=hours, notes=notes,
                            actor=district.admin, now=NOW)


FORM = {"signed_on": "2026-11-20", "valid_from": "2027-01-01", "valid_until": "2027-12-31",
        "committed_hours_per_week": "12.5", "notes": "每周二、四晚开放"}


def form(district, **changes) -> dict:
    return {"unit": str(district.unit.id), "counterparty": f"community:{district.east.id}",
            **FORM, **changes}


def post(client, url, data, *, upload: tuple[bytes, str] | None = None, page=None):
    """A multipart form post, its body built in memory (the test client would spool a large
    upload to a temporary file it never closes)."""
    token = csrf_token(client, page or url)
    payload = MultiDict({"csrf_token": token, **data})
    if upload is not None:
        payload["document"] = FileStorage(io.BytesIO(upload[0]), filename=upload[1],
                                          content_type="application/pdf")
    boundary, body = encode_multipart(payload)
    return client.post(url, data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


# The list ---------------------------------------------------------------------------------------


def test_the_list_filters_by_unit_and_validity(app, client, district):
    ended = agree(district, valid_until=date(2026, 6, 30))
    current = agree(district, valid_from=date(2026, 7, 1))
    upcoming = agree(district, district.other_unit, valid_from=date(2027, 1, 1), street=True)
    db.session.commit()
    login(client, district.admin)
    # By unit name (区图书馆 sorts before 和平中学), then the latest first.
    assert agreement_rows(client.get("/admin/agreements")) == [current.id, ended.id,
                                                               upcoming.id]
    assert agreement_rows(client.get(f"/admin/agreements?unit={district.unit.id}")) == [
        current.id, ended.id]
    assert agreement_rows(client.get("/admin/agreements?state=active")) == [current.id]
    assert agreement_rows(client.get("/admin/agreements?state=ended")) == [ended.id]
    assert agreement_rows(client.get("/admin/agreements?state=upcoming")) == [upcoming.id]
    page = text(client.get("/admin/agreements?state=upcoming"))
    assert "和平中学 和平街道 (the street) 2025-12-20 2027-01-01 – open-ended 21.00" in page


# Recording ------------------------------------------------------------------------------------


def test_an_admin_records_an_agreement_with_its_pdf(app, client, district):
    login(client, district.admin)
    response = post(client, "/admin/agreements/new", form(district),
                    upload=(PDF, "和平协议 2026.pdf"))
    agreement = db.session.scalars(sa.select(Agreement)).one()
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/agreements/{agreement.id}"
    assert (agreement.unit_id, agreement.community_id, agreement.street_id, agreement.signed_on,
            agreement.valid_from, agreement.valid_until, agreement.committed_hours_per_week,
            agreement.notes) == (district.unit.id, district.east.id, None, date(2026, 11, 20),
                                 date(2027, 1, 1), date(2027, 12, 31), Decimal("12.50"),
                                 "每周二、四晚开放")
    assert (agreement.document_name, agreement.document_size) == ("和平协议 2026.pdf", len(PDF))
    assert re.fullmatch(r"[0-9a-f]{32}\.pdf", agreement.document_file)
    assert stored(app) == [agreement.document_file]
    assert (Path(app.config["AGREEMENT_DIR"]) / agreement.document_file).read_bytes() == PDF
    assert [e[0] for e in events()] == ["agreement.create", "agreement.attach_document"]
    assert events()[1][4] == {"document_name": "和平协议 2026.pdf", "document_size": len(PDF)}


def test_the_street_can_be_the_counterparty(app, client, district):
    login(client, district.admin)
    post(client, "/admin/agreements/new",
         form(district, counterparty=f"street:{district.street.id}", valid_until=""))
    agreement = db.session.scalars(sa.select(Agreement)).one()
    assert (agreement.community_id, agreement.street_id, agreement.valid_until) == (
        None, district.street.id, None)


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"counterparty": ""}, "counterparty",
     "Choose the counterparty: one community or the street."),
    ({"counterparty": "community:999"}, "counterparty", "Not a valid choice."),
    ({"valid_until": "2026-12-31"}, "valid_until", "The last day cannot be before the first day."),
    ({"committed_hours_per_week": "-1"}, "committed_hours_per_week",
     "Enter the committed hours per week, between 0 and 10000."),
    ({"notes": "长" * 5001}, "notes", "Use at most 5000 characters."),
    ({"signed_on": "yesterday"}, "signed_on", "Not a valid date value."),
])
def test_bad_terms_are_refused_on_their_field(app, client, district, changes, field, message):
    login(client, district.admin)
    response = post(client, "/admin/agreements/new", form(district, **changes),
                    page="/admin/agreements/new")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<div class="invalid-feedback d-block" id="{field}-error">{message}' in html
    assert f'aria-describedby="{field}-error"' in html or (
        f'aria-describedby="{field}-hint {field}-error"' in html)
    assert db.session.scalar(sa.select(sa.func.count(Agreement.id))) == 0
    assert events() == []


@pytest.mark.parametrize(("data", "name", "code"), [
    (b"<script>alert(1)</script>", "协议.pdf", "This file is not a PDF document."),
    (b"\x89PNG\r\n\x1a\n" + b"0" * 100, "photo.pdf", "This file is not a PDF document."),
    (b"%PDF-1.7\n<html><script>alert(1)</script></html>", "disguised.pdf",
     "This file is not a PDF document."),
    (b"%PDF-1.4\n" + b"x" * (10 * 1024 * 1024), "big.pdf", "The PDF may be at most 10 MB."),
])
def test_uploads_that_are_not_a_pdf_are_refused(app, client, district, data, name, code):
    login(client, district.admin)
    response = post(client, "/admin/agreements/new", form(district), upload=(data, name),
                    page="/admin/agreements/new")
    assert response.status_code == 200
    assert (f'<div class="invalid-feedback d-block" id="document-error">{code}</div>'
            in response.get_data(as_text=True))
    assert db.session.scalar(sa.select(sa.func.count(Agreement.id))) == 0
    assert stored(app) == []
    assert events() == []


def test_a_pdf_of_exactly_ten_megabytes_is_taken(app, client, district):
    body = build_pdf()
    # A comment line after the header pads it; the trailer's offset still lies inside the file.
    filler = b"%" + b"x" * (10 * 1024 * 1024 - len(body) - 2) + b"\n"
    big = body[:9] + filler + body[9:]
    assert len(big) == 10 * 1024 * 1024
    login(client, district.admin)
    response = post(client, "/admin/agreements/new", form(district), upload=(big, "big.pdf"),
                    page="/admin/agreements/new")
    assert response.status_code == 302
    assert db.session.scalars(sa.select(Agreement)).one().document_size == 10 * 1024 * 1024


# Editing and ending ------------------------------------------------------------------------


def test_an_admin_edits_the_terms(app, client, district):
    agreement = agree(district, valid_until=date(2026, 12, 31))
    db.session.commit()
    login(client, district.admin)
    url = f"/admin/agreements/{agreement.id}"
    response = post(client, url, form(district, valid_from="2026-01-01",
                                      committed_hours_per_week="25",
                                      counterparty=f"street:{district.street.id}"))
    assert response.status_code == 302
    db.session.expire_all()
    assert (agreement.street_id, agreement.community_id, agreement.committed_hours_per_week,
            agreement.valid_until) == (district.street.id, None, Decimal("25.00"),
                                       date(2027, 12, 31))
    [event] = events("agreement.update")
    assert event[3] == {"committed_hours_per_week": "21.00", "community_id": district.east.id,
                        "notes": "", "signed_on": "2025-12-20", "street_id": None,
                        "valid_until": "2026-12-31"}
    assert event[4] == {"committed_hours_per_week": "25.00", "community_id": None,
                        "notes": "每周二、四晚开放", "signed_on": "2026-11-20",
                        "street_id": district.street.id, "valid_until": "2027-12-31"}


def test_the_edit_form_shows_the_current_terms(app, client, district):
    agreement = agree(district, valid_until=date(2026, 12, 31), notes="原备注")
    db.session.commit()
    login(client, district.admin)
    html = client.get(f"/admin/agreements/{agreement.id}").get_data(as_text=True)
    assert f'<option selected value="community:{district.east.id}">东风社区</option>' in html
    assert 'value="2026-01-01"' in html and 'value="21.00"' in html and "原备注" in html
    assert ('id="end-valid_until" name="end-valid_until" required type="date" '
            'value="2026-12-01"') in html


def test_an_admin_ends_an_agreement(app, client, district):
    agreement = agree(district)
    db.session.commit()
    login(client, district.admin)
    url = f"/admin/agreements/{agreement.id}"
    response = submit(client, f"{url}/end", {"end-valid_until": "2026-12-15"}, page=url)
    assert response.status_code == 302
    db.session.expire_all()
    assert agreement.valid_until == date(2026, 12, 15)
    assert events("agreement.end") == [("agreement.end", agreement.id, district.admin.id,
                                        {"valid_until": None}, {"valid_until": "2026-12-15"},
                                        district.unit.id)]


def test_an_agreement_cannot_end_before_it_starts(app, client, district):
    agreement = agree(district, valid_from=date(2027, 1, 1))
    db.session.commit()
    login(client, district.admin)
    url = f"/admin/agreements/{agreement.id}"
    response = submit(client, f"{url}/end", {"end-valid_until": "2026-12-31"}, page=url)
    assert response.status_code == 200
    assert ('<div class="invalid-feedback d-block" id="end-valid_until-error">The last day '
            'cannot be before the first day.</div>') in response.get_data(as_text=True)
    db.session.expire_all()
    assert agreement.valid_until is None
    assert events("agreement.end") == []


def test_ending_cannot_extend_an_agreement(app, client, district):
    agreement = agree(district, valid_until=date(2026, 12, 10))
    db.session.commit()
    login(client, district.admin)
    url = f"/admin/agreements/{agreement.id}"
    response = submit(client, f"{url}/end", {"end-valid_until": "2026-12-20"}, page=url)
    assert response.status_code == 200
    assert "ending it later would extend it" in text(response)
    db.session.expire_all()
    assert agreement.valid_until == date(2026, 12, 10)


def test_agreement_forms_refuse_a_post_without_csrf_token(app, client, district):
    agreement = agree(district)
    db.session.commit()
    login(client, district.admin)
    url = f"/admin/agreements/{agreement.id}"
    assert client.post("/admin/agreements/new", data=form(district)).status_code == 400
    assert client.post(url, data=form(district)).status_code == 400
    assert client.post(f"{url}/end", data={"end-valid_until": "2026-12-15"}).status_code == 400
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Agreement.id))) == 1
    assert (agreement.valid_until, agreement.notes) == (None, "")
    assert [e[0] for e in events()] == ["agreement.create"]


# The PDF ----------------------------------------------------------------------------------------


@pytest.fixture
def signed(app, district):
    agreement = agree(district)
    attach_document(agreement=agreement, data=PDF, filename="协议.pdf",
                    directory=Path(app.config["AGREEMENT_DIR"]), actor=district.admin, now=NOW)
    db.session.commit()
    return agreement


def test_the_pdf_downloads_as_an_attachment(app, client, district, signed):
    login(client, district.manager)
    response = client.get(f"/agreements/{signed.id}/document")
    assert response.status_code == 200
    assert response.data == PDF
    response.close()
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=\"agreement-{signed.id}.pdf\"; "
        "filename*=UTF-8''%E5%8D%8F%E8%AE%AE.pdf")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]


def test_a_new_pdf_replaces_the_old_file(app, client, district, signed):
    old = signed.document_file
    login(client, district.admin)
    url = f"/admin/agreements/{signed.id}"
    second = build_pdf("second")
    response = post(client, url, form(district, valid_from="2026-01-01", valid_until=""),
                    upload=(second, "second.pdf"))
    assert response.status_code == 302
    db.session.expire_all()
    assert signed.document_file != old and signed.document_name == "second.pdf"
    assert stored(app) == [signed.document_file]
    assert events("agreement.attach_document")[-1][3] == {"document_name": "协议.pdf",
                                                          "document_size": len(PDF)}


def test_a_refused_replacement_keeps_the_old_pdf_and_terms(app, client, district, signed):
    old = signed.document_file
    login(client, district.admin)
    url = f"/admin/agreements/{signed.id}"
    response = post(client, url, form(district, valid_from="2026-01-01", notes="改了"),
                    upload=(b"MZ\x90\x00 not a pdf", "virus.pdf"))
    assert response.status_code == 200
    db.session.expire_all()
    assert (signed.document_file, signed.notes) == (old, "")
    assert stored(app) == [old]


def test_an_admin_removes_the_pdf(app, client, district, signed):
    login(client, district.admin)
    url = f"/admin/agreements/{signed.id}"
    assert "Attached: 协议.pdf" in text(client.get(url))
    response = post(client, url, form(district, valid_from="2026-01-01", valid_until="",
                                      notes="", signed_on="2025-12-20",
                                      committed_hours_per_week="21",
                                      remove_document="y"))
    assert response.status_code == 302
    db.session.expire_all()
    assert (signed.document_file, signed.document_name, signed.document_size) == (
        None, None, None)
    assert stored(app) == []
    # The terms did not change: no update event, only the removal.
    assert [e[0] for e in events()] == ["agreement.create", "agreement.attach_document",
                                        "agreement.remove_document"]
    response = client.get(f"/agreements/{signed.id}/document")
    assert response.status_code == 404


def test_a_missing_file_is_404(app, client, district, signed):
    (Path(app.config["AGREEMENT_DIR"]) / signed.document_file).unlink()
    login(client, district.admin)
    assert client.get(f"/agreements/{signed.id}/document").status_code == 404


# The front page -------------------------------------------------------------------------------


def test_the_front_page_counts_what_needs_attention(app, client, district, make):
    agree(district, valid_until=date(2027, 1, 30))  # expires in 60 days
    agree(district, district.other_unit, valid_until=date(2027, 1, 31))  # in 61 days
    accounts.create_unit(name="区文化馆", type="government", community=district.west)
    retired = accounts.create_unit(name="旧仓库", type="other", community=district.west)
    retired.active = False
    make.organization(approved=False)
    make.organization(approved=False)
    make.organization(approved=True)
    db.session.commit()
    login(client, district.admin)
    html = client.get("/admin").get_data(as_text=True)
    assert re.search(r'data-count="pending-organizations">2<', html)
    assert re.search(r'data-count="units-without-managers">1<', html)
    assert re.search(r'data-count="units-without-agreements">1<', html)
    page = text(client.get("/admin"))
    assert ("Agreements expiring within 60 days Unit Counterparty Last valid day Days left "
            "区图书馆 东风社区 2027-01-30 60") in page
    assert "2027-01-31" not in page


def test_agreements_that_ended_yesterday_are_not_expiring(app, client, district):
    agree(district, valid_until=date(2026, 11, 30))
    agree(district, valid_until=date(2026, 12, 1))
    db.session.commit()
    login(client, district.admin)
    page = text(client.get("/admin"))
    assert "区图书馆 东风社区 2026-12-01 0" in page
    assert "2026-11-30" not in page
