"""Exports: XLSX re-opened with openpyxl, CSV with a BOM, formula injection neutralised."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from gongjian.bookings import services as bookings
from gongjian.extensions import db
from gongjian.stats import exports
from gongjian.stats.models import Agreement

from ..factories import local
from .conftest import login

NOVEMBER_ARGS = "from=2026-11-01&to=2026-11-30"


@pytest.mark.parametrize("text, expected", [
    ("=HYPERLINK(\"http://evil\")", "'=HYPERLINK(\"http://evil\")"),
    ("+8613800000000", "'+8613800000000"),
    ("-1", "'-1"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tcmd", "'\tcmd"),
    ("区图书馆", "区图书馆"),
    ("a=b", "a=b"),
])
def test_text_that_a_spreadsheet_would_run_is_escaped(text, expected):
    assert exports.escape_text(text) == expected


def test_numbers_are_never_escaped():
    assert exports.escape_text(-1.5) == -1.5 and exports.escape_text(0) == 0


@pytest.fixture
def district(app, make):
    """Two units: one open 420 h in November with a used booking, one named like a formula."""
    admin = make.user(is_admin=True)
    library = make.unit()
    venue = make.venue(unit=library)
    db.session.add(Agreement(unit=library, community=library.community,
                             signed_on=date(2026, 1, 1), valid_from=date(2026, 1, 1),
                             valid_until=None, committed_hours_per_week=Decimal("140")))
    start = local(2026, 11, 3, 9)
    booking = make.booking(venue=venue, start=start, end=start + timedelta(hours=3),
                           attendees=25, now=start - timedelta(days=1))
    bookings.complete_booking(booking=booking, now=start + timedelta(hours=3))
    sneaky = make.unit()
    sneaky.name = '=HYPERLINK("http://evil.example","点我")'
    make.venue(unit=sneaky, hours=[(5, "09:00", "12:00")])
    make.commit()
    return admin, library, sneaky


def test_the_district_table_as_xlsx(app, client, district):
    admin, library, sneaky = district
    login(client, admin)
    response = client.get(f"/stats/district.xlsx?{NOVEMBER_ARGS}")
    assert response.status_code == 200
    assert response.content_type == exports_xlsx_type()
    assert "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    assert headers[:5] == ["排名", "单位", "单位类型", "街道", "社区"]
    assert "开放时长(小时)" in headers and "使用率" in headers and "服务人次" in headers
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width >= 20
    rows = {row[1]: row for row in sheet.iter_rows(min_row=2, max_row=3, values_only=True)}
    first = rows[library.name]
    assert first[0] == 1  # ranked by open hours
    column = dict(zip(headers, first, strict=True))
    assert column["开放时长(小时)"] == 420 and isinstance(column["开放时长(小时)"], int)
    assert column["预约时长(小时)"] == 3
    assert column["使用率"] == pytest.approx(round(3 / 420, 4))
    assert column["服务人次"] == 25
    assert column["承诺开放时长(小时)"] == 600  # 140 h a week × 30/7
    assert column["承诺完成率"] == 0.7
    assert column["单位类型"] == "事业单位"
    assert sheet.cell(row=2, column=headers.index("使用率") + 1).number_format == "0.00%"
    # The formula-like name stays text.
    cell = sheet.cell(row=3, column=2)
    assert cell.value == "'" + sneaky.name and cell.data_type == "s"


def exports_xlsx_type() -> str:
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_the_district_table_as_csv(app, client, district):
    admin, library, sneaky = district
    login(client, admin)
    response = client.get(f"/stats/district.csv?{NOVEMBER_ARGS}")
    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:2] == ["排名", "单位"]
    by_name = {row[1]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert by_name[library.name]["开放时长(小时)"] == "420"
    assert by_name["'" + sneaky.name]["开放时长(小时)"] == "12"  # four Saturdays × 3 h
    assert by_name["'" + sneaky.name]["使用率"] == "0"


def test_the_unit_report_as_xlsx_has_four_sheets(app, client, district):
    admin, library, _sneaky = district
    login(client, admin)
    response = client.get(f"/stats/units/{library.id}/report.xlsx?{NOVEMBER_ARGS}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["汇总", "场地", "月度", "共驻共建协议"]
    summary = {row[0]: row[1] for row in book["汇总"].iter_rows(min_row=2, max_col=2,
                                                               values_only=True) if row[0]}
    assert summary["开放时长(小时)"] == 420
    assert summary["使用时长(小时)"] == 3
    assert summary["预约总数"] == 1 and summary["已完成数"] == 1
    assert summary["审核通过率"] is None  # nothing needed approval
    assert summary["低于政策基准(小时)"] == 0
    months = list(book["月度"].iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in months] == ["2026-11"]
    agreement = next(book["共驻共建协议"].iter_rows(min_row=2, values_only=True))
    assert agreement[3] == "长期" and agreement[5] == 30 and agreement[6] == 600
    for ws in book.worksheets:
        assert ws.freeze_panes == "A2"


def test_the_unit_report_as_csv_and_printable_page(app, client, district):
    admin, library, _sneaky = district
    login(client, admin)
    response = client.get(f"/stats/units/{library.id}/report.csv?{NOVEMBER_ARGS}")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[1][:4] == ["单位", library.name, "2026-11-01", "2026-11-30"]
    assert rows[2][0] == "场地"
    page = client.get(f"/stats/units/{library.id}/report?period=h2&year=2026")
    assert page.status_code == 200
    assert "2026-07-01" in page.get_data(as_text=True)
