"""Exports of the openness figures: XLSX (openpyxl) and CSV, with Chinese headers.

The district table and each unit's assessment report (半年/年终考核) go to offices that open
them in Excel: Chinese headers, a frozen header row, set column widths and real numbers in
XLSX; UTF-8 with a BOM in CSV. Text cells that a spreadsheet would read as a formula (starting
with =, +, -, @, tab or carriage return) are neutralised with a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..labels import BOOKING_STATUSES, UNIT_TYPES, VENUE_KINDS
from .periods import Period
from .services import Figures, UnitRow, baseline_gap, round_half_up

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
STATUS_ZH = {"pending": "待审核", "confirmed": "已通过", "rejected": "已驳回",
             "cancelled": "已取消", "expired": "已过期", "completed": "已完成", "no_show": "爽约"}
UNIT_TYPE_ZH = {"government": "党政机关", "public_institution": "事业单位",
                "state_enterprise": "国有企业", "private_enterprise": "民营企业", "school": "学校",
                "other": "其他"}
VENUE_KIND_ZH = {"meeting_room": "会议室", "sports": "运动场馆", "training": "培训教室",
                 "activity": "活动室", "other": "其他"}
assert set(STATUS_ZH) == set(BOOKING_STATUSES) and set(UNIT_TYPE_ZH) == set(UNIT_TYPES)
assert set(VENUE_KIND_ZH) == set(VENUE_KINDS)

HOURS, RATIO, COUNT, TEXT = "0.00", "0.00%", "0", "@"

# (key in Figures.to_dict(), Chinese header, number format)
FIGURE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("open_hours", "开放时长(小时)", HOURS),
    ("evening_hours", "晚间开放时长(小时)", HOURS),
    ("rest_day_hours", "周末开放时长(小时)", HOURS),
    ("booked_hours", "预约时长(小时)", HOURS),
    ("used_hours", "使用时长(小时)", HOURS),
    ("utilization", "使用率", RATIO),
    ("bookings.total", "预约总数", COUNT),
    *((f"bookings.{code}", f"{label}数", COUNT) for code, label in STATUS_ZH.items()),
    ("people_served", "服务人次", COUNT),
    ("distinct_bookers", "预约人数", COUNT),
    ("organizations_served", "服务组织数", COUNT),
    ("approval_rate", "审核通过率", RATIO),
    ("median_decision_hours", "审核用时中位数(小时)", HOURS),
    ("cancellation_rate", "取消率", RATIO),
    ("no_show_rate", "爽约率", RATIO),
    ("satisfaction", "满意度(1-5)", HOURS),
    ("ratings", "评价数", COUNT),
    ("committed_hours", "承诺开放时长(小时)", HOURS),
    ("commitment_rate", "承诺完成率", RATIO),
)


@dataclass
class Column:
    header: str
    number_format: str = TEXT
    width: float | None = None


@dataclass
class Sheet:
    title: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # lines under the table (XLSX only)
    row_formats: dict[int, str] = field(default_factory=dict)  # row index → number format


def escape_text(value: Any) -> Any:
    """Neutralise a text cell that a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def figure_values(figures: Figures) -> list[Any]:
    data = figures.to_dict()
    values = []
    for key, _, _ in FIGURE_COLUMNS:
        value: Any = data
        for part in key.split("."):
            value = value[part]
        values.append(value)
    return values


def figure_columns() -> list[Column]:
    return [Column(header, fmt) for _, header, fmt in FIGURE_COLUMNS]


def _width(column: Column, values: Iterable[Any]) -> float:
    if column.width:
        return column.width

    def length(value) -> int:
        text = "" if value is None else str(value)
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)  # CJK is double width

    longest = max([length(column.header), *(length(v) for v in values)])
    return min(max(8, longest + 2), 60)


def to_xlsx(sheets: Sequence[Sheet]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="F2DCDB")
    for sheet in sheets:
        ws = workbook.create_sheet(sheet.title[:31])
        for col, column in enumerate(sheet.columns, start=1):
            cell = ws.cell(row=1, column=col, value=column.header)
            cell.font = bold
            cell.fill = fill
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        for r, row in enumerate(sheet.rows, start=2):
            for col, (column, value) in enumerate(zip(sheet.columns, row, strict=True),
                                                  start=1):
                cell = ws.cell(row=r, column=col)
                if isinstance(value, str):
                    cell.value = escape_text(value)
                    cell.data_type = TYPE_STRING  # never a formula
                else:
                    cell.value = value
                    fmt = sheet.row_formats.get(r - 2, column.number_format)
                    if value is not None and fmt != TEXT:
                        cell.number_format = fmt
        for offset, note in enumerate(sheet.notes, start=len(sheet.rows) + 3):
            cell = ws.cell(row=offset, column=1, value=escape_text(note))
            cell.data_type = TYPE_STRING
        ws.freeze_panes = "A2"
        for col, column in enumerate(sheet.columns, start=1):
            ws.column_dimensions[get_column_letter(col)].width = _width(
                column, (row[col - 1] for row in sheet.rows))
        ws.row_dimensions[1].height = 32
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_csv(sheet: Sheet) -> bytes:
    """UTF-8 with a BOM (Excel then reads the Chinese right), CRLF rows, escaped text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([escape_text(c.header) for c in sheet.columns])
    for row in sheet.rows:
        writer.writerow(["" if v is None else escape_text(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# The documents ---------------------------------------------------------------------------------


def district_sheet(rows: Sequence[UnitRow], period: Period) -> Sheet:
    """Every unit of the district table, in the table's order, with its rank."""
    columns = [Column("排名", COUNT, 6), Column("单位", width=30), Column("单位类型"),
               Column("街道"), Column("社区"), *figure_columns(),
               Column("低于承诺(小时)", HOURS), Column("低于基准(小时)", HOURS)]
    sheet = Sheet(f"开放统计 {period.first:%Y%m%d}-{period.last:%Y%m%d}", columns)
    for rank, row in enumerate(rows, start=1):
        unit = row.unit
        sheet.rows.append([
            rank, unit.name, UNIT_TYPE_ZH[unit.type.value], unit.community.street.name,
            unit.community.name, *figure_values(row.figures),
            _hours(row.agreement_gap), _hours(row.baseline_gap),
        ])
    sheet.notes = [f"统计期间：{period.first.isoformat()} 至 {period.last.isoformat()}"
                   "（含首尾两日，按场地所在时区计算）", BASELINE_NOTE]
    return sheet


BASELINE_NOTE = ("政策基准：每周开放不少于21小时，其中晚间（18:00后）或周六、周日不少于10小时，"
                 "按统计期间天数÷7折算。")


def _hours(value) -> float | int | None:
    rounded = round_half_up(value, 2)
    if rounded is None:
        return None
    return int(rounded) if rounded == rounded.to_integral_value() else float(rounded)


def unit_report_sheets(*, unit, period: Period, figures: Figures, venues, months,
                       series: Sequence[Figures], agreements) -> list[Sheet]:
    """The assessment report of one unit: summary, venues, months, agreements."""
    summary = Sheet("汇总", [Column("指标", width=26), Column("数值", HOURS, 16)])
    for (_key, header, fmt), value in zip(FIGURE_COLUMNS, figure_values(figures),
                                          strict=True):
        summary.row_formats[len(summary.rows)] = fmt
        summary.rows.append([header, value])
    summary.rows.append(["低于政策基准(小时)", _hours(baseline_gap(figures, period))])
    summary.notes = [f"单位：{unit.name}（{UNIT_TYPE_ZH[unit.type.value]}，"
                     f"{unit.community.name}）",
                     f"统计期间：{period.first.isoformat()} 至 {period.last.isoformat()}",
                     BASELINE_NOTE]

    by_venue = Sheet("场地", [Column("场地", width=24), Column("类型"), Column("状态"),
                              *figure_columns()[:-2]])
    for venue, venue_figures in venues:
        by_venue.rows.append([venue.name, VENUE_KIND_ZH[venue.kind.value],
                              "已停用" if venue.archived_at else "开放中",
                              *figure_values(venue_figures)[:-2]])

    monthly = Sheet("月度", [Column("月份", width=10), *figure_columns()])
    for month, month_figures in zip(months, series, strict=True):
        monthly.rows.append([f"{month.first:%Y-%m}", *figure_values(month_figures)])

    promised = Sheet("共驻共建协议", [Column("对方", width=20), Column("签订日期", width=12),
                                     Column("生效日期", width=12), Column("截止日期", width=12),
                                     Column("每周承诺(小时)", HOURS),
                                     Column("期间内有效天数", COUNT),
                                     Column("期间承诺时长(小时)", HOURS)])
    for agreement in agreements:
        days = period.overlap_days(agreement.valid_from, agreement.valid_until)
        counterparty = agreement.community or agreement.street
        promised.rows.append([
            counterparty.name if counterparty else "", agreement.signed_on.isoformat(),
            agreement.valid_from.isoformat(),
            agreement.valid_until.isoformat() if agreement.valid_until else "长期",
            float(agreement.committed_hours_per_week), days,
            _hours(Fraction(agreement.committed_hours_per_week) * days / 7),
        ])
    return [summary, by_venue, monthly, promised]


def unit_report_csv_sheet(*, unit, period: Period, figures: Figures, venues) -> Sheet:
    """The report as one CSV table: the unit's row, then one row per venue."""
    sheet = Sheet("report", [Column("对象"), Column("名称"), Column("统计开始"),
                             Column("统计结束"), *figure_columns()])
    sheet.rows.append(["单位", unit.name, period.first.isoformat(), period.last.isoformat(),
                       *figure_values(figures)])
    for venue, venue_figures in venues:
        sheet.rows.append(["场地", venue.name, period.first.isoformat(),
                           period.last.isoformat(), *figure_values(venue_figures)])
    return sheet


def board_sheet(rows, month: Period, year: Period) -> Sheet:
    """The public board as open data: one row per unit, no personal data."""
    def part(prefix: str) -> list[Column]:
        return [Column(f"{prefix}开放时长(小时)", HOURS), Column(f"{prefix}使用率", RATIO),
                Column(f"{prefix}服务人次", COUNT), Column(f"{prefix}满意度", HOURS)]

    sheet = Sheet("公开榜", [Column("单位编号", COUNT), Column("单位", width=30),
                            Column("单位类型"), Column("社区"), *part("上月"), *part("本年"),
                            Column("开放时段", width=60)])
    for row in rows:
        month_data, year_data = row.month.to_dict(), row.year.to_dict()
        hours = "；".join(
            f"{venue.name} " + "、".join(f"{WEEKDAYS_ZH[d]}{span}" for d, span in table)
            for venue, table in row.venues)
        sheet.rows.append([
            row.unit.id, row.unit.name, UNIT_TYPE_ZH[row.unit.type.value],
            row.unit.community.name,
            *(data[k] for data in (month_data, year_data)
              for k in ("open_hours", "utilization", "people_served", "satisfaction")),
            hours,
        ])
    sheet.notes = [f"上月：{month}；本年：{year}"]
    return sheet
