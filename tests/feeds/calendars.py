"""Read a calendar the way clients do: five independent parsers and a linter of our own.

No single parser catches every defect: icalendar is lenient, vobject validates components,
ics-py and ical have their own grammars, recurring-ical-events expands like a client does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

import ical.calendar_stream
import icalendar
import ics
import recurring_ical_events
import vobject

TZID_PARAM = re.compile(rb";TZID=([^:;]+)")


def lint(body: bytes) -> list[str]:
    """RFC 5545 framing: CRLF only, ≤ 75 octets a line, UTF-8 whole on every physical line,
    balanced BEGIN/END, every TZID with its VTIMEZONE, unique UIDs, DTSTAMP in UTC,
    REFRESH-INTERVAL typed as a duration."""
    problems = []
    if not body.endswith(b"\r\n"):
        problems.append("the body does not end with CRLF")
    if b"\r" in body.replace(b"\r\n", b"") or b"\n" in body.replace(b"\r\n", b""):
        problems.append("a line break other than CRLF")
    physical = body.split(b"\r\n")[:-1]
    for number, line in enumerate(physical, 1):
        if len(line) > 75:
            problems.append(f"line {number} has {len(line)} octets")
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(f"line {number} splits a UTF-8 character")
        if not line:
            problems.append(f"line {number} is empty")
    logical: list[bytes] = []
    for line in physical:
        if line[:1] in (b" ", b"\t") and logical:
            logical[-1] += line[1:]
        else:
            logical.append(line)
    stack: list[bytes] = []
    defined_tzids: set[bytes] = set()
    used_tzids: set[bytes] = set()
    uids: list[bytes] = []
    for line in logical:
        name = line.split(b":", 1)[0].split(b";", 1)[0].upper()
        value = line.split(b":", 1)[1] if b":" in line else b""
        if name == b"BEGIN":
            stack.append(value)
        elif name == b"END":
            if not stack or stack.pop() != value:
                problems.append(f"unbalanced END:{value.decode()}")
        elif name == b"TZID" and stack and stack[-1] == b"VTIMEZONE":
            defined_tzids.add(value)
        elif name == b"UID" and stack and stack[-1] == b"VEVENT":
            uids.append(value)
        used_tzids.update(TZID_PARAM.findall(line.split(b":", 1)[0]))
        # Known client traps: a bare REFRESH-INTERVAL is ignored; UTC-only properties.
        if name == b"REFRESH-INTERVAL" and b";VALUE=DURATION" not in line.split(b":", 1)[0]:
            problems.append("REFRESH-INTERVAL without VALUE=DURATION")
        if name in (b"DTSTAMP", b"LAST-MODIFIED", b"CREATED") and not value.endswith(b"Z"):
            problems.append(f"{name.decode()} is not in UTC")
    if stack:
        problems.append(f"unclosed {stack}")
    for tzid in sorted(used_tzids - defined_tzids):
        problems.append(f"TZID {tzid.decode()} has no VTIMEZONE")
    if len(uids) != len(set(uids)):
        problems.append("duplicate UIDs")
    return problems


@dataclass
class Parsed:
    body: bytes
    calendar: icalendar.Calendar
    events: list[icalendar.Event] = field(default_factory=list)

    def event(self, booking_id: int) -> icalendar.Event:
        matches = [e for e in self.events if str(e["UID"]).startswith(f"booking-{booking_id}@")]
        assert len(matches) == 1, f"booking {booking_id} appears {len(matches)} times"
        return matches[0]

    def has(self, booking_id: int) -> bool:
        return any(str(e["UID"]).startswith(f"booking-{booking_id}@") for e in self.events)

    @property
    def uids(self) -> list[str]:
        return [str(e["UID"]) for e in self.events]


def parse(body: bytes, *, window: tuple[datetime, datetime] | None = None) -> Parsed:
    """Check `body` with every parser and the linter; answer icalendar's reading."""
    assert lint(body) == []
    text = body.decode("utf-8")

    calendar = icalendar.Calendar.from_ical(body)
    assert calendar.get_missing_tzids() == set()
    events = list(calendar.walk("VEVENT"))
    uids = {str(e["UID"]) for e in events}

    # recurring-ical-events expands the calendar like a client showing a date range.
    start, end = window or (datetime(1970, 1, 1), datetime(2100, 1, 1))
    expanded = recurring_ical_events.of(calendar).between(start, end)
    assert {str(e["UID"]) for e in expanded} == uids

    # vobject with validation on: required properties, cardinalities, value types.
    vcal = vobject.readOne(text, validate=True)
    vevents = list(getattr(vcal, "vevent_list", []))
    assert {e.uid.value for e in vevents} == uids
    for vevent in vevents:
        vevent.validate(raiseException=True)

    # ics-py (arrow-based): reads every event with its begin and end.
    ics_calendar = ics.Calendar(text)
    assert {e.uid for e in ics_calendar.events} == uids
    for event in ics_calendar.events:
        assert event.begin < event.end

    # ical (pydantic models: strict value types).
    ical_calendar = ical.calendar_stream.IcsCalendarStream.calendar_from_ics(text)
    assert {e.uid for e in ical_calendar.events} == uids

    return Parsed(body=body, calendar=calendar, events=events)
