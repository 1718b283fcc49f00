// The venue search page: on phones the filters fold away behind a toggle, and the community
// list follows the chosen street. Everything works without this script: the filters then
// stay open and the server checks that the community lies in the street.
(function () {
  "use strict";

  function foldFiltersOnPhones() {
    var panel = document.getElementById("filters");
    var toggle = document.getElementById("filters-toggle");
    if (!panel || !toggle || !window.bootstrap) {
      return;
    }
    toggle.hidden = false;
    var small = window.matchMedia("(max-width: 991.98px)").matches;
    if (small && panel.dataset.keepOpen !== "true") {
      panel.classList.remove("show");
      toggle.setAttribute("aria-expanded", "false");
    }
  }

  function followStreet() {
    var street = document.getElementById("street");
    var community = document.getElementById("community");
    if (!street || !community) {
      return;
    }
    // On load a mismatched choice stays visible (the server marks it); on change it clears.
    function apply(initial) {
      var chosen = street.value;
      var selected = community.selectedOptions[0];
      var selectedGroup = selected ? selected.parentElement : null;
      community.querySelectorAll("optgroup").forEach(function (group) {
        var shown = !chosen || group.dataset.streetId === chosen ||
          (initial === true && group === selectedGroup);
        group.hidden = !shown;
        group.disabled = !shown;
      });
      if (selectedGroup && selectedGroup.disabled) {
        community.value = "";
      }
    }
    street.addEventListener("change", apply);
    apply(true);
  }

  function start() {
    foldFiltersOnPhones();
    followStreet();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
