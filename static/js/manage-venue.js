// The photo upload form: say before sending that a photo is over the limit, or that the
// photos together exceed what one request may carry (the server refuses both anyway).
(function () {
  "use strict";
  const form = document.getElementById("photo-upload");
  if (!form) return;
  const input = form.querySelector('input[type="file"]');
  const live = document.getElementById("photos-error-live");
  const maxBytes = Number(form.dataset.maxBytes);
  const maxRequest = Number(form.dataset.maxRequest);

  function problems() {
    const found = [];
    let total = 0;
    for (const file of input.files) {
      total += file.size;
      if (file.size > maxBytes) found.push(form.dataset.tooLarge.replace("{file}", file.name));
    }
    if (!found.length && maxRequest && total > maxRequest) found.push(form.dataset.tooMuch);
    return found;
  }

  function show(found) {
    if (!live) return;
    live.textContent = found.join(" ");
    input.classList.toggle("is-invalid", found.length > 0);
    input.setAttribute("aria-invalid", found.length ? "true" : "false");
  }

  input.addEventListener("change", function () { show(problems()); });
  form.addEventListener("submit", function (event) {
    const found = problems();
    if (found.length) {
      event.preventDefault();
      show(found);
      input.focus();
    }
  });
})();
