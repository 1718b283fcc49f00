// The unit calendar (templates/desk/calendar.html): every booking at the unit's venues, from
// the desk's JSON (/desk/units/<id>/events.json), with a venue filter. Data comes from the JSON
// block #calendar-data; no inline handlers (CSP).
//
// Time zones, as on the venue page (static/js/venue.js): FullCalendar honours named zones only
// with a plugin we do not ship, so it runs with timeZone "UTC" and is fed *wall-clock* strings.
// The desk answers each booking in its venue's own offset ("2026-12-05T14:00:00+08:00");
// dropping the offset leaves the venue's wall time, which a UTC calendar shows as 14:00 in every
// browser. The range the calendar asks for is read the same way: its dates are venue dates.
(function () {
  "use strict";

  var dataNode = document.getElementById("calendar-data");
  var node = document.getElementById("unit-calendar");
  if (!dataNode || !node || typeof FullCalendar === "undefined") return;
  var data = JSON.parse(dataNode.textContent);
  var labels = data.labels;
  var failure = document.getElementById("calendar-error");
  var choices = Array.prototype.slice.call(document.querySelectorAll(".gj-venue-choice"));

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  // The venues' wall clock now, so "today" and the now-line are the venue's.
  var zoneFormat = new Intl.DateTimeFormat("en-US", {
    timeZone: data.timezone, hourCycle: "h23", year: "numeric", month: "2-digit",
    day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit"
  });

  function wallNow() {
    var p = {};
    zoneFormat.formatToParts(new Date()).forEach(function (part) { p[part.type] = part.value; });
    return p.year + "-" + p.month + "-" + p.day + "T" + pad(Number(p.hour) % 24) + ":" +
      p.minute + ":" + p.second;
  }

  function wallOf(instant) { return instant.slice(0, 19); }  // drop the offset

  function chosenVenues() {
    return choices.filter(function (box) { return box.checked; }).map(function (box) {
      return box.value;
    });
  }

  function describe(item) {
    var parts = [item.title, item.booker];
    if (item.organization) parts.push(item.organization);
    parts.push(labels.attendees.replace("{n}", item.attendees));
    if (choices.length > 1) parts.push(item.venue);
    var status = item.statusLabel;
    if (item.checkedIn) status += ", " + labels.checkedIn;
    parts.push(status);
    return parts.join(" · ");
  }

  function toEvent(item) {
    return {
      id: String(item.id),
      start: wallOf(item.start),
      end: wallOf(item.end),
      title: describe(item),
      url: item.url,
      classNames: ["gj-event", "gj-status-" + item.status]
    };
  }

  function fetchEvents(info, success, fail) {
    var venues = chosenVenues();
    if (choices.length && !venues.length) { success([]); return; }
    var start = info.start.toISOString().slice(0, 10);
    var end = info.end.toISOString().slice(0, 10);  // exclusive, as the desk reads it
    var query = "?start=" + start + "&end=" + end;
    if (venues.length < choices.length) {
      venues.forEach(function (id) { query += "&venue=" + encodeURIComponent(id); });
    }
    fetch(data.eventsUrl + query, {
      credentials: "same-origin",
      headers: { "Accept": "application/json", "Accept-Language": data.language }
    }).then(function (response) {
      if (!response.ok) throw new Error("events: HTTP " + response.status);
      return response.json();
    }).then(function (body) {
      if (failure) failure.classList.add("d-none");
      success(body.items.map(toEvent));
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

  var calendar = new FullCalendar.Calendar(node, {
    locale: data.locale,
    timeZone: "UTC",  // with wall-clock strings: see the top of this file
    now: wallNow,
    initialView: phone ? "timeGridDay" : "timeGridWeek",
    headerToolbar: phone
      ? { start: "prev,next", center: "title", end: "today" }
      : { start: "prev,next today", center: "title", end: "dayGridMonth,timeGridWeek,timeGridDay" },
    footerToolbar: phone ? { center: "dayGridMonth,timeGridWeek,timeGridDay" } : false,
    // Words, not FullCalendar's icon font (unnamed glyphs; a data: font the CSP refuses).
    buttonIcons: false,
    buttonText: { prev: labels.previous, next: labels.next, today: labels.today,
                  month: labels.month, week: labels.week, day: labels.day },
    buttonHints: { prev: labels.previous, next: labels.next },
    firstDay: 1,
    allDaySlot: false,
    height: "auto",
    nowIndicator: true,
    slotMinTime: data.slotMinTime,
    slotMaxTime: data.slotMaxTime,
    slotLabelFormat: hourMinute,
    eventTimeFormat: hourMinute,
    eventDisplay: "block",
    dayMaxEvents: true,
    events: fetchEvents,
    // A month cell is labelled by its date alone while it shows the day's bookings too: the
    // date stays on its own link inside, the cell takes its name from what it shows.
    dayCellDidMount: function (info) { info.el.removeAttribute("aria-labelledby"); },
    loading: function (isLoading) { node.setAttribute("aria-busy", isLoading ? "true" : "false"); }
  });
  calendar.render();

  choices.forEach(function (box) {
    box.addEventListener("change", function () { calendar.refetchEvents(); });
  });
})();
