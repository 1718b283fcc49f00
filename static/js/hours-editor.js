// The opening-hours editor (templates/hours/edit.html): add and remove window rows, and a live
// baseline check. The page works without this script (blank rows, a "check" button); the
// rules live on the server — this only posts the grid to /hours/check and shows the answer.
(function () {
  "use strict";
  const form = document.getElementById("hours-form");
  if (!form) return;
  const template = document.getElementById("window-row-template");
  const text = document.getElementById("editor-text").dataset;
  const results = document.getElementById("check-results");
  const problems = document.getElementById("check-problems");
  const baseline = document.querySelector('select[form="hours-form"]');
  let timer = null;
  let sequence = 0;

  // Rows ----------------------------------------------------------------------------------

  function addRemoveButton(row) {
    const slot = row.querySelector(".gj-remove-slot");
    if (!slot || slot.querySelector("button")) return;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-outline-secondary gj-remove";
    button.setAttribute("aria-label", text.removeLabel);
    button.title = text.removeLabel;
    const icon = document.createElement("i");
    icon.className = "bi bi-x-lg";
    icon.setAttribute("aria-hidden", "true");
    button.appendChild(icon);
    button.addEventListener("click", function () { removeRow(row); });
    slot.appendChild(button);
  }

  function removeRow(row) {
    const rows = row.parentElement;
    const day = row.closest(".gj-day");
    if (rows.querySelectorAll(".gj-window").length > 1) {
      row.remove();
    } else {
      row.querySelectorAll("input").forEach(function (input) { input.value = ""; });
    }
    const add = day.querySelector(".gj-add-row");
    if (add) add.focus();
    scheduleCheck();
  }

  function addRow(day) {
    const timetable = day.closest(".gj-timetable").dataset.timetable;
    const weekday = day.dataset.weekday;
    const rows = day.querySelector(".gj-rows");
    let next = 0;
    rows.querySelectorAll(".gj-window").forEach(function (row) {
      next = Math.max(next, Number(row.dataset.row) + 1);
    });
    const number = rows.querySelectorAll(".gj-window").length + 1;
    const html = template.innerHTML
      .replaceAll("__T__", timetable).replaceAll("__D__", weekday).replaceAll("__R__", String(next))
      .replaceAll("__N__", String(number)).replaceAll("__DAY__", day.dataset.dayName);
    const holder = document.createElement("div");
    holder.innerHTML = html.trim();
    const row = holder.firstElementChild;
    rows.appendChild(row);
    addRemoveButton(row);
    row.querySelector("input").focus();
  }

  form.querySelectorAll(".gj-day").forEach(function (day) {
    day.querySelectorAll(".gj-window").forEach(addRemoveButton);
    const add = day.querySelector(".gj-add-row");
    add.hidden = false;
    add.addEventListener("click", function () { addRow(day); });
  });

  // The live check ----------------------------------------------------------------------------

  function element(tag, className, content) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined) node.textContent = content;
    return node;
  }

  function label(timetable) {
    const box = form.querySelector('.gj-timetable[data-timetable="' + timetable.index + '"]');
    return box ? box.dataset.label : "";
  }

  function show(answer) {
    results.replaceChildren();
    answer.timetables.forEach(function (timetable) {
      const box = element("div", "gj-result mb-3");
      const heading = element("h3", "h6 mb-1", label(timetable) + ": ");
      heading.appendChild(element("span", "badge " + (timetable.ok ? "text-bg-success" : "text-bg-danger"),
                                  timetable.ok ? results.dataset.ok : results.dataset.short));
      box.appendChild(heading);
      const list = element("ul", "list-unstyled mb-0");
      timetable.lines.forEach(function (line) {
        const item = element("li", "gj-line " + (line.ok ? "gj-ok" : "gj-short"));
        const icon = element("i", "bi " + (line.ok ? "bi-check-circle-fill" : "bi-x-circle-fill"));
        icon.setAttribute("aria-hidden", "true");
        item.appendChild(icon);
        item.appendChild(element("span", "visually-hidden", line.ok ? results.dataset.met : results.dataset.unmet));
        item.appendChild(document.createTextNode(" " + line.text + " — " + line.counted));
        list.appendChild(item);
      });
      box.appendChild(list);
      results.appendChild(box);
    });
    if (!answer.timetables.length) results.appendChild(element("p", "mb-0", results.dataset.empty));
    problems.replaceChildren();
    if (answer.problems.length) {
      problems.appendChild(element("li", "fw-bold", text.problems));
      answer.problems.forEach(function (problem) { problems.appendChild(element("li", "", problem.message)); });
    }
  }

  function check() {
    const mine = ++sequence;
    const data = new FormData(form);
    if (baseline) data.set(baseline.name, baseline.value);
    fetch(form.dataset.checkUrl, {
      method: "POST",
      body: data,
      headers: { "Accept": "application/json" },
      credentials: "same-origin",
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    }).then(function (answer) {
      if (mine === sequence) show(answer);  // an older answer never overwrites a newer one
    }).catch(function () { /* the server-rendered check and the buttons still work */ });
  }

  function scheduleCheck() {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, 400);
  }

  form.addEventListener("input", scheduleCheck);
  if (baseline) baseline.addEventListener("change", check);
})();
