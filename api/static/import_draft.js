// The draft page: each deadline phrase's reading, shown as the person types (the engine reads it, via
// /plans/deadline-reading under the page session). Without this script the reading shows after saving.
"use strict";
(function () {
  var form = document.getElementById("tasks-form");
  if (!form) { return; }
  var issued = form.getAttribute("data-issued") || "";
  var timers = {};

  function show(output, reading) {
    output.textContent = reading.ok ? reading.text_vi : reading.message_vi;
    output.classList.toggle("unreadable", !reading.ok);
    output.setAttribute("data-due", reading.ok && reading.due ? reading.due : "");
  }

  function read(input) {
    var output = document.getElementById(input.getAttribute("data-reading"));
    if (!output) { return; }
    var url = "/plans/deadline-reading?phrase=" + encodeURIComponent(input.value) +
      "&issued=" + encodeURIComponent(issued);
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (reading) { if (reading) { show(output, reading); } })
      .catch(function () { /* the reading shows after saving */ });
  }

  form.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.classList || !input.classList.contains("deadline-input")) { return; }
    var key = input.name;
    clearTimeout(timers[key]);
    timers[key] = setTimeout(function () { read(input); }, 250);
  });
})();
