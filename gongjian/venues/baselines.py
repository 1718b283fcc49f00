"""Policy baseline templates for a weekly timetable, and the one check of whether a timetable
meets one.

A baseline is a few lines, each a rule over one week of the timetable: hours open on each of
some weekdays, hours after 18:00 on each of them, being open throughout a span every day, hours
a week, hours a week in the evening or at the weekend. Each baseline also carries a template
timetable that meets it, for the hours editor to start from. The editor's live check (its JSON
endpoint) and the page rendered after a save both call `check_baseline`: the rules live here
only, the browser just shows the answer.

"Evening" is 18:00–24:00 local and the weekend is Saturday and Sunday, as in the openness
figures (product.md §7). The check reads the weekly timetable as written: holidays and
closures are the figures' business, not the template's. The district's assessment baseline
repeats `gongjian/stats/services.py` BASELINE_WEEKLY_HOURS / BASELINE_WEEKLY_OFF_HOURS (stats
sits above venues and cannot be imported here; tests/venues/test_baselines.py keeps them equal).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .intervals import format_hhmm

EVENING_MINUTE = 18 * 60
DAY_MINUTES = 24 * 60
EVERY_DAY = (0, 1, 2, 3, 4, 5, 6)
WORKDAYS = (0, 1, 2, 3, 4)
WEEKEND = (5, 6)

DISTRICT_WEEKLY_HOURS = Fraction(21)
DISTRICT_WEEKLY_OFF_HOURS = Fraction(10)

WEEKDAY_NAMES = (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun"))


class RuleKind(StrEnum):
    DAY_HOURS = "day_hours"  # each of `days`: at least `hours` open
    DAY_EVENING_HOURS = "day_evening_hours"  # each of `days`: at least `hours` after 18:00
    DAY_COVERS = "day_covers"  # each of `days`: open throughout `span`
    WEEK_HOURS = "week_hours"  # at least `hours` open a week
    WEEK_OFF_HOURS = "week_off_hours"  # at least `hours` a week after 18:00 or at the weekend


@dataclass(frozen=True)
class Rule:
    kind: RuleKind
    days: tuple[int, ...] = EVERY_DAY
    hours: Fraction = Fraction(0)
    span: tuple[int, int] = (0, 0)

    def text(self) -> str:
        """The rule in the reader's language."""
        days = _days_text(self.days)
        hours = format_hours(self.hours)
        if self.kind == RuleKind.DAY_HOURS:
            return _("%(days)s: at least %(hours)s h open each day", days=days, hours=hours)
        if self.kind == RuleKind.DAY_EVENING_HOURS:
            return _("%(days)s: at least %(hours)s h after 18:00 each day", days=days,
                     hours=hours)
        if self.kind == RuleKind.DAY_COVERS:
            return _("%(days)s: open throughout %(start)s–%(end)s", days=days,
                     start=format_hhmm(self.span[0]), end=format_hhmm(self.span[1]))
        if self.kind == RuleKind.WEEK_HOURS:
            return _("At least %(hours)s h open a week", hours=hours)
        return _("At least %(hours)s h a week in the evening (after 18:00) or at the weekend",
                 hours=hours)


@dataclass(frozen=True)
class Baseline:
    key: str
    title: Any  # lazy string
    rules: tuple[Rule, ...]
    # A timetable that meets the baseline: (weekday, start minute, end minute).
    template: tuple[tuple[int, int, int], ...]


def _h(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _every(days: Iterable[int], *spans: str) -> tuple[tuple[int, int, int], ...]:
    windows = []
    for day in days:
        for span in spans:
            start, end = span.split("-")
            windows.append((day, _h(start), _h(end)))
    return tuple(windows)


BASELINES: dict[str, Baseline] = {
    baseline.key: baseline for baseline in (
        Baseline(
            "district", _l("District assessment: 21 h a week, 10 h of them evenings or weekend"),
            (Rule(RuleKind.WEEK_HOURS, hours=DISTRICT_WEEKLY_HOURS),
             Rule(RuleKind.WEEK_OFF_HOURS, hours=DISTRICT_WEEKLY_OFF_HOURS)),
            _every(WORKDAYS, "18:00-21:00") + _every((5,), "09:00-12:00", "14:00-17:00"),
        ),
        Baseline(
            "weekday_evenings",
            _l("Weekday evenings: 3 h a day with 2 h after 18:00; rest days 6 h"),
            (Rule(RuleKind.DAY_HOURS, WORKDAYS, Fraction(3)),
             Rule(RuleKind.DAY_EVENING_HOURS, WORKDAYS, Fraction(2)),
             Rule(RuleKind.DAY_HOURS, WEEKEND, Fraction(6))),
            _every(WORKDAYS, "18:00-21:00") + _every(WEEKEND, "09:00-12:00", "14:00-17:00"),
        ),
        Baseline(
            "weekends", _l("Weekends only: 8 h on Saturday and on Sunday"),
            (Rule(RuleKind.DAY_HOURS, WEEKEND, Fraction(8)),),
            _every(WEEKEND, "09:00-12:00", "13:00-18:00"),
        ),
        Baseline(
            "every_evening", _l("Every day 18:00–21:00"),
            (Rule(RuleKind.DAY_COVERS, EVERY_DAY, span=(_h("18:00"), _h("21:00"))),),
            _every(EVERY_DAY, "18:00-21:00"),
        ),
    )
}
DEFAULT_BASELINE = "district"


@dataclass
class DayCount:
    weekday: int
    hours: Fraction
    ok: bool

    def as_dict(self) -> dict[str, Any]:
        return {"weekday": self.weekday, "label": str(WEEKDAY_NAMES[self.weekday]),
                "hours": float(self.hours), "ok": self.ok}


@dataclass
class LineResult:
    rule: Rule
    ok: bool
    total: Fraction | None = None  # weekly lines: the hours counted
    days: list[DayCount] = field(default_factory=list)  # daily lines: each day's hours

    def counted(self) -> str:
        """The numbers behind the verdict, e.g. "18 h of 21 h" or "Mon 3 h · Sat 4 h"."""
        if self.total is not None:
            return _("%(hours)s h of %(required)s h", hours=format_hours(self.total),
                     required=format_hours(self.rule.hours))
        return " · ".join(
            _("%(day)s %(hours)s h", day=WEEKDAY_NAMES[d.weekday], hours=format_hours(d.hours))
            for d in self.days)

    def short_days(self) -> list[str]:
        return [str(WEEKDAY_NAMES[d.weekday]) for d in self.days if not d.ok]

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.rule.kind.value, "text": self.rule.text(), "ok": self.ok,
                "counted": self.counted(), "short_days": self.short_days(),
                "required": float(self.rule.hours),
                "total": None if self.total is None else float(self.total),
                "days": [d.as_dict() for d in self.days]}


@dataclass
class BaselineResult:
    baseline: Baseline
    lines: list[LineResult]

    @property
    def ok(self) -> bool:
        return all(line.ok for line in self.lines)

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.baseline.key, "title": str(self.baseline.title), "ok": self.ok,
                "lines": [line.as_dict() for line in self.lines]}


def format_hours(value: Fraction) -> str:
    """Hours as the figures print them: up to 2 decimals, no trailing zeros ("2.5", "3")."""
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return text or "0"


def _days_text(days: tuple[int, ...]) -> str:
    if days == EVERY_DAY:
        return _("Every day")
    if days == WORKDAYS:
        return _("Monday to Friday")
    if days == WEEKEND:
        return _("Saturday and Sunday")
    return ", ".join(str(WEEKDAY_NAMES[d]) for d in days)


def _day_spans(windows: Iterable[tuple[int, int, int]]) -> dict[int, list[tuple[int, int]]]:
    """Each weekday's open minutes as merged spans (overlapping input is counted once)."""
    spans: dict[int, list[tuple[int, int]]] = {d: [] for d in EVERY_DAY}
    for weekday, start, end in sorted(windows, key=lambda w: (w[0], w[1])):
        if weekday not in spans or not 0 <= start < end <= DAY_MINUTES:
            continue
        day = spans[weekday]
        if day and start <= day[-1][1]:
            day[-1] = (day[-1][0], max(day[-1][1], end))
        else:
            day.append((start, end))
    return spans


def _minutes(spans: list[tuple[int, int]], low: int = 0, high: int = DAY_MINUTES) -> int:
    return sum(max(0, min(e, high) - max(s, low)) for s, e in spans)


def check_baseline(baseline: Baseline,
                   windows: Iterable[tuple[int, int, int]]) -> BaselineResult:
    """Whether the weekly windows (weekday, start minute, end minute) meet each line of the
    baseline, with the hours counted."""
    spans = _day_spans(windows)
    open_hours = {d: Fraction(_minutes(s), 60) for d, s in spans.items()}
    evening = {d: Fraction(_minutes(s, EVENING_MINUTE), 60) for d, s in spans.items()}
    lines = []
    for rule in baseline.rules:
        if rule.kind in (RuleKind.WEEK_HOURS, RuleKind.WEEK_OFF_HOURS):
            if rule.kind == RuleKind.WEEK_HOURS:
                total = sum(open_hours.values(), Fraction(0))
            else:  # each hour once: all of a weekend day, the evening of the others
                total = sum((open_hours[d] if d in WEEKEND else evening[d] for d in EVERY_DAY),
                            Fraction(0))
            lines.append(LineResult(rule, total >= rule.hours, total=total))
            continue
        days = []
        for d in rule.days:
            if rule.kind == RuleKind.DAY_COVERS:
                start, end = rule.span
                ok = any(s <= start and end <= e for s, e in spans[d])
                days.append(DayCount(d, open_hours[d], ok))
            else:
                hours = open_hours[d] if rule.kind == RuleKind.DAY_HOURS else evening[d]
                days.append(DayCount(d, hours, hours >= rule.hours))
        lines.append(LineResult(rule, all(day.ok for day in days), days=days))
    return BaselineResult(baseline, lines)
