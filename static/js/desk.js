// The unit desk (templates/desk): "select all" for bulk approval with a count of the chosen
// requests, and the rejection form's pick-list moving focus to the details when "Other" is
// chosen. The pages work without any of this. No inline handlers (CSP).
(function () {
  "use strict";

  var bulk = document.getElementById("bulk-approve");
  var all = document.getElementById("select-all");
  var picks = Array.prototype.slice.call(document.querySelectorAll(".gj-pick"));
  var count = document.getElementById("selected-count");

  function refresh() {
    var chosen = picks.filter(function (box) { return box.checked; }).length;
    if (all) {
      all.checked = chosen > 0 && chosen === picks.length;
      all.indeterminate = chosen > 0 && chosen < picks.length;
    }
    if (count) count.textContent = chosen ? chosen + " / " + picks.length : "";
  }

  if (bulk && all && picks.length) {
    document.getElementById("select-all-wrap").classList.remove("d-none");
    all.addEventListener("change", function () {
      picks.forEach(function (box) { box.checked = all.checked; });
      refresh();
    });
    picks.forEach(function (box) { box.addEventListener("change", refresh); });
    refresh();
  }

  var choice = document.getElementById("reject-choice");
  var details = document.getElementById("reject-text");
  if (choice && details) {
    choice.addEventListener("change", function () {
      if (choice.value === "other") details.focus();
    });
  }
})();
