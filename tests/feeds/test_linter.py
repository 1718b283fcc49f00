"""The checks of calendars.py catch the defects they are there for."""

from __future__ import annotations

import pytest

from .calendars import lint, parse

GOOD = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//ZH\r\n"
    b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\nBEGIN:VEVENT\r\nUID:a@b\r\n"
    b"DTSTAMP:20261201T020000Z\r\nDTSTART:20261203T060000Z\r\nDTEND:20261203T080000Z\r\n"
    b"SUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)
EVENT = b"BEGIN:VEVENT\r\nUID:a@b\r\nDTSTAMP:20261201T020000Z\r\nDTSTART:20261203T060000Z\r\n"


def test_a_good_calendar_passes():
    assert lint(GOOD) == []
    assert [str(e["UID"]) for e in parse(GOOD).events] == ["a@b"]


@pytest.mark.parametrize(("defect", "body"), [
    ("bare LF", GOOD.replace(b"SUMMARY:x\r\n", b"SUMMARY:x\n")),
    ("long line", GOOD.replace(b"SUMMARY:x", b"SUMMARY:" + "预".encode() * 30)),
    ("split character", GOOD.replace(b"SUMMARY:x", b"SUMMARY:\xe9\xa2\r\n \x84")),
    ("TZID without VTIMEZONE", GOOD.replace(
        b"DTSTART:20261203T060000Z", b"DTSTART;TZID=Asia/Shanghai:20261203T140000")),
    ("duplicate UID", GOOD.replace(b"END:VCALENDAR", EVENT + b"END:VEVENT\r\nEND:VCALENDAR")),
    ("untyped REFRESH-INTERVAL", GOOD.replace(b";VALUE=DURATION", b"")),
    ("local DTSTAMP", GOOD.replace(b"DTSTAMP:20261201T020000Z", b"DTSTAMP:20261201T100000")),
    ("unbalanced", GOOD.replace(b"END:VEVENT\r\n", b"")),
])
def test_the_linter_catches(defect, body):
    assert lint(body), defect


@pytest.mark.parametrize(("defect", "body"), [
    ("no DTSTAMP", GOOD.replace(b"DTSTAMP:20261201T020000Z\r\n", b"")),
    ("no PRODID", GOOD.replace(b"PRODID:-//x//y//ZH\r\n", b"")),
    ("end before start", GOOD.replace(b"DTEND:20261203T080000Z", b"DTEND:20261203T050000Z")),
    ("unknown STATUS", GOOD.replace(b"SUMMARY:x", b"STATUS:DONE")),
])
def test_the_parsers_catch(defect, body):
    assert lint(body) == []
    with pytest.raises(Exception):  # noqa: B017 - each parser raises its own kind
        parse(body)
