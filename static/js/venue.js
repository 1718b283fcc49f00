// The venue page: a FullCalendar week/day grid fed by GET /api/v1/venues/{id}/availability,
// and the booking form's live check against POST /api/v1/bookings/check. Data comes from the
// JSON block #venue-data; no inline handlers (CSP). The form works without any of this.
//
// Time zones. The calendar must show the venue's wall clock whatever zone the browser is in,
// and FullCalendar honours named zones only with a plugin (moment/luxon) we do not ship. So
// the calendar runs with timeZone "UTC" and is fed *wall-clock* strings: the API answers
// instants in the venue's own offset ("2026-12-05T14:00:00+08:00"); dropping the offset leaves
// the venue's wall time ("2026-12-05T14:00:00"), which a UTC calendar shows as 14:00 in every
// browser. What the calendar hands back (a selection) is read the same way (toISOString) and is
// again venue wall time, ready for the form's local date and times. `now` is the venue's wall
// clock too, so "today" and the now-line are the venue's. Only the live check needs real
// instants: wallToInstant() finds the venue's offset for a wall time with Intl, and notices
// times the clocks skip (DST), as the server does.
(function () {
  "use strict";

  var dataNode = document.getElementById("venue-data");
  if (!dataNode) return;
  var data = JSON.parse(dataNode.textContent);
  var labels = data.labels;
  var DAY = 86400000;
  var MINUTE = 60000;

  // Wall clock <-> instants -----------------------------------------------------------------

  var zoneFormat = new Intl.DateTimeFormat("en-US", {
    timeZone: data.timezone, hourCycle: "h23", year: "numeric", month: "2-digit",
    day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit"
  });

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function wallParts(ms) {
    var parts = {};
    zoneFormat.formatToParts(new Date(ms)).forEach(function (p) { parts[p.type] = p.value; });
    parts.hour = pad(Number(parts.hour) % 24);  // some engines write midnight as 24
    return parts;
  }

  // Minutes east of UTC in the venue's zone at the instant `ms`.
  function offsetAt(ms) {
    var p = wallParts(ms);
    var asUtc = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
    return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / MINUTE);
  }

  function wallNow() {
    var p = wallParts(Date.now());
    return p.year + "-" + p.month + "-" + p.day + "T" + p.hour + ":" + p.minute + ":" + p.second;
  }

  function offsetText(minutes) {
    var size = Math.abs(minutes);
    return (minutes < 0 ? "-" : "+") + pad(Math.floor(size / 60)) + ":" + pad(size % 60);
  }

  // "2026-12-05", "14:00" at the venue -> RFC 3339 with the venue's offset, or null when the
  // clocks skip that time. A time that occurs twice is its first occurrence (as on the server).
  function wallToInstant(day, clock) {
    var d = day.split("-");
    var t = clock.split(":");
    var wall = Date.UTC(+d[0], +d[1] - 1, +d[2], +t[0], +t[1]);
    var best = null;
    [offsetAt(wall - DAY), offsetAt(wall), offsetAt(wall + DAY)].forEach(function (offset) {
      var candidate = wall - offset * MINUTE;
      if (offsetAt(candidate) === offset && (best === null || candidate < best.ms)) {
        best = { ms: candidate, offset: offset };
      }
    });
    if (best === null) return null;
    return day + "T" + clock + ":00" + offsetText(best.offset);
  }

  function wallOf(instant) { return instant.slice(0, 19); }         // drop the offset
  function wallMs(wall) { return Date.parse(wall + "Z"); }
  function wallText(ms) { return new Date(ms).toISOString().slice(0, 19); }
  function addDays(day, n) {
    return new Date(Date.parse(day + "T00:00:00Z") + n * DAY).toISOString().slice(0, 10);
  }

  // [start, end) minus every cut, all in ms.
  function subtract(start, end, cuts) {
    var pieces = [[start, end]];
    cuts.forEach(function (cut) {
      var next = [];
      pieces.forEach(function (piece) {
        if (cut[1] <= piece[0] || cut[0] >= piece[1]) { next.push(piece); return; }
        if (cut[0] > piece[0]) next.push([piece[0], cut[0]]);
        if (cut[1] < piece[1]) next.push([cut[1], piece[1]]);
      });
      pieces = next;
    });
    return pieces;
  }

  // The form ---------------------------------------------------------------------------------

  var form = document.getElementById("booking-form");
  var region = document.getElementById("booking-check");
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var fields = {};
  ["title", "attendees", "organization", "date", "start", "end"].forEach(function (name) {
    fields[name] = document.getElementById("booking-" + name);
  });
  var calendar = null;
  var syncing = false;  // the form is moving the calendar's selection: do not echo it back
  var timer = null;
  var sequence = 0;

  function values() {
    var v = {};
    Object.keys(fields).forEach(function (name) {
      v[name] = fields[name] ? fields[name].value.trim() : "";
    });
    return v;
  }

  // The requested range as venue wall times ("2026-12-05T14:00:00"), or null if incomplete.
  function requestedWall(v) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(v.date) || !/^\d{2}:\d{2}/.test(v.start) ||
        !/^\d{2}:\d{2}/.test(v.end)) return null;
    var start = v.start.slice(0, 5);
    var end = v.end.slice(0, 5);
    var endDay = end === "00:00" ? addDays(v.date, 1) : v.date;  // 00:00 ends the date
    return { day: v.date, start: start, end: end, endDay: endDay,
             startWall: v.date + "T" + start + ":00", endWall: endDay + "T" + end + ":00" };
  }

  function describedBy(input, add) {
    var ids = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (id) {
      return id && id !== "booking-check";
    });
    if (add) ids.push("booking-check");
    if (ids.length) input.setAttribute("aria-describedby", ids.join(" "));
    else input.removeAttribute("aria-describedby");
  }

  function clearMarks() {
    Object.keys(fields).forEach(function (name) {
      var input = fields[name];
      if (!input || !input.hasAttribute("data-check-mark")) return;
      input.removeAttribute("data-check-mark");
      describedBy(input, false);
      if (!document.getElementById(input.id + "-error")) {
        input.classList.remove("is-invalid");
        input.removeAttribute("aria-invalid");
      }
    });
  }

  function mark(names) {
    names.forEach(function (name) {
      var input = fields[name];
      if (!input) return;
      input.setAttribute("data-check-mark", "live");
      input.classList.add("is-invalid");
      input.setAttribute("aria-invalid", "true");
      describedBy(input, true);
    });
  }

  function fieldsFor(codes) {
    var names = [];
    codes.forEach(function (code) {
      (data.fieldsByCode[code] || []).forEach(function (name) {
        if (names.indexOf(name) < 0) names.push(name);
      });
    });
    return names;
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function showOk() {
    clearMarks();
    region.replaceChildren(element("div", "alert alert-success mb-0 py-2", labels.ok));
  }

  function showNothing() {
    clearMarks();
    region.replaceChildren();
  }

  function showProblems(messages, names, suggestions) {
    clearMarks();
    mark(names);
    var box = element("div", "alert alert-danger mb-0");
    box.appendChild(element("p", "mb-1", labels.problems));
    var list = element("ul", "mb-0");
    messages.forEach(function (message) { list.appendChild(element("li", "", message)); });
    box.appendChild(list);
    if (suggestions && suggestions.length) {
      box.appendChild(element("p", "mt-2 mb-1", labels.nearby));
      var choices = element("div", "d-flex flex-wrap gap-2");
      suggestions.forEach(function (slot) {
        var start = wallOf(slot.start);
        var end = wallOf(slot.end);
        var sameDay = end.slice(0, 10) === start.slice(0, 10);
        var endsAtMidnight = end.slice(11, 16) === "00:00" && end.slice(0, 10) === addDays(start.slice(0, 10), 1);
        if (!sameDay && !endsAtMidnight) return;  // the form holds one date
        var range = (start.slice(0, 10) === values().date ? "" : start.slice(0, 10) + " ") +
          start.slice(11, 16) + "–" + (endsAtMidnight ? "24:00" : end.slice(11, 16));
        var button = element("button", "btn btn-sm btn-outline-dark suggestion-fill",
                             labels.use.replace("{range}", range));
        button.type = "button";
        button.addEventListener("click", function () {
          fill(start.slice(0, 10), start.slice(11, 16), end.slice(11, 16));
          syncCalendar();
          runCheck();
          fields.title.focus();
        });
        choices.appendChild(button);
      });
      box.appendChild(choices);
    }
    region.replaceChildren(box);
  }

  function showMessage(text) {
    clearMarks();
    region.replaceChildren(element("div", "alert alert-secondary mb-0 py-2", text));
  }

  function fill(day, start, end) {
    fields.date.value = day;
    fields.start.value = start;
    fields.end.value = end;
  }

  function runCheck() {
    clearTimeout(timer);
    var mine = ++sequence;
    var v = values();
    var range = requestedWall(v);
    var year = Number(range ? range.day.slice(0, 4) : 0);
    if (range === null || year < 1900 || year > 2999) { showNothing(); return; }
    if (range.endDay === range.day && range.end <= range.start) {
      showProblems([labels.endBeforeStart], ["end"]);
      return;
    }
    var start = wallToInstant(range.day, range.start);
    var end = wallToInstant(range.endDay, range.end);
    if (start === null || end === null) {
      showProblems([labels.skipped], [start === null ? "start" : "end"]);
      return;
    }
    var attendees = parseInt(v.attendees, 10);
    // The title does not change any rule: the check does not need it.
    var body = { venue_id: data.venueId, start: start, end: end, title: "-",
                 attendees: isNaN(attendees) ? 1 : attendees };
    if (v.organization) body.organization_id = parseInt(v.organization, 10);
    fetch(data.checkUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "Accept-Language": data.language,
                 "X-CSRFToken": csrfMeta ? csrfMeta.getAttribute("content") : "" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (json) { return { status: response.status, json: json }; });
    }).then(function (answer) {
      if (mine !== sequence) return;  // a newer check is under way
      var json = answer.json;
      if (answer.status === 200) {
        if (json.ok) showOk();
        else showProblems(json.messages, fieldsFor(json.violations), json.suggestions);
      } else if (json && json.error) {
        var details = json.error.details || {};
        showProblems([json.error.message], fieldsFor(details.violations || [json.error.code]));
      } else {
        showMessage(labels.checkFailed);
      }
    }).catch(function () {
      if (mine === sequence) showMessage(labels.checkFailed);
    });
  }

  function scheduleCheck() {
    clearTimeout(timer);
    timer = setTimeout(runCheck, 300);
  }

  // Show the form's range on the calendar (and go to its week).
  function syncCalendar() {
    if (!calendar) return;
    var range = requestedWall(values());
    if (range === null || range.endWall <= range.startWall) { calendar.unselect(); return; }
    syncing = true;
    try {
      calendar.gotoDate(range.day);
      calendar.select(range.startWall, range.endWall);
    } finally {
      syncing = false;
    }
  }

  if (form && region) {
    ["attendees", "organization", "date", "start", "end"].forEach(function (name) {
      var input = fields[name];
      if (!input) return;
      input.addEventListener("input", scheduleCheck);
      input.addEventListener("change", scheduleCheck);
    });
    ["date", "start", "end"].forEach(function (name) {
      if (fields[name]) fields[name].addEventListener("change", syncCalendar);
    });
    // After a refused booking the page comes back with the problems: take the reader there.
    var refused = region.querySelector("[data-server-problems]");
    if (refused) refused.focus();
  }

  // The calendar -----------------------------------------------------------------------------

  var node = document.getElementById("venue-calendar");
  var failure = document.getElementById("calendar-error");
  if (!node || typeof FullCalendar === "undefined") return;

  function toEvents(body) {
    var events = [];
    body.open.forEach(function (iv) {
      events.push({ groupId: "open", start: wallOf(iv.start), end: wallOf(iv.end),
                    display: "background", classNames: ["gj-open"] });
    });
    body.closures.forEach(function (closure) {
      events.push({ start: wallOf(closure.start), end: wallOf(closure.end),
                    title: labels.closed + " · " + (labels.reasons[closure.reason] || closure.reason),
                    classNames: ["gj-closed"] });
    });
    var mine = body.mine.map(function (b) { return [wallMs(wallOf(b.start)), wallMs(wallOf(b.end))]; });
    body.busy.forEach(function (iv) {
      // The caller's own bookings are shown on their own, with title and status.
      subtract(wallMs(wallOf(iv.start)), wallMs(wallOf(iv.end)), mine).forEach(function (piece) {
        events.push({ start: wallText(piece[0]), end: wallText(piece[1]), title: labels.booked,
                      classNames: ["gj-busy"] });
      });
    });
    body.mine.forEach(function (booking) {
      events.push({ start: wallOf(booking.start), end: wallOf(booking.end),
                    title: booking.title + " · " + (labels.statuses[booking.status] || booking.status),
                    classNames: ["gj-mine", "gj-mine-" + booking.status] });
    });
    return events;
  }

  function fetchEvents(info, success, fail) {
    var from = info.start.toISOString().slice(0, 10);
    var to = new Date(info.end.getTime() - 1).toISOString().slice(0, 10);  // end is exclusive
    fetch(data.availabilityUrl + "?from=" + from + "&to=" + to, {
      credentials: "same-origin",
      headers: { "Accept": "application/json", "Accept-Language": data.language }
    }).then(function (response) {
      if (!response.ok) throw new Error("availability: HTTP " + response.status);
      return response.json();
    }).then(function (body) {
      if (failure) failure.classList.add("d-none");
      success(toEvents(body));
    }).catch(function (error) {
      if (failure) {
        failure.textContent = labels.calendarFailed;
        failure.classList.remove("d-none");
      }
      fail(error);
    });
  }

  var hourMinute = { hour: "2-digit", minute: "2-digit", hour12: false };
  var phone = window.matchMedia("(max-width: 767.98px)").matches;

  calendar = new FullCalendar.Calendar(node, {
    locale: data.locale,
    timeZone: "UTC",  // with wall-clock strings: see the top of this file
    now: wallNow,
    initialView: phone ? "timeGridDay" : "timeGridWeek",
    // Shown again after a refusal: open on the day that was asked for.
    initialDate: (fields.date && fields.date.value >= data.firstDay &&
                  fields.date.value < data.endDay) ? fields.date.value : undefined,
    headerToolbar: { start: "prev,next today", center: "title", end: "timeGridWeek,timeGridDay" },
    // Words, not FullCalendar's icon font: its glyphs are unnamed role="img" spans (axe) and
    // the font is a data: URL the Content-Security-Policy (font-src 'self') refuses.
    buttonIcons: false,
    buttonText: { prev: labels.previous, next: labels.next, today: labels.today,
                  week: labels.week, day: labels.day },
    buttonHints: { prev: labels.previous, next: labels.next },
    firstDay: 1,
    allDaySlot: false,
    height: "auto",
    nowIndicator: true,
    slotDuration: { minutes: data.slotMinutes },
    snapDuration: { minutes: data.slotMinutes },
    slotMinTime: data.slotMinTime,
    slotMaxTime: data.slotMaxTime,
    slotLabelFormat: hourMinute,
    eventTimeFormat: hourMinute,
    validRange: { start: data.firstDay, end: data.endDay },
    selectable: data.selectable,
    selectMirror: true,
    unselectAuto: false,
    selectLongPressDelay: 300,
    // Only free, open time: never over a booking or a closure, always inside one opening.
    selectOverlap: function (event) { return event.groupId === "open"; },
    selectConstraint: "open",
    events: fetchEvents,
    loading: function (isLoading) { node.setAttribute("aria-busy", isLoading ? "true" : "false"); },
    select: function (info) {
      if (syncing || !form) return;
      var start = info.start.toISOString();
      var end = info.end.toISOString();
      fill(start.slice(0, 10), start.slice(11, 16), end.slice(11, 16));
      runCheck();
      fields.title.focus();
    }
  });
  calendar.render();
})();
