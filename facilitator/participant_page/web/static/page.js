// Optional: keeps the question current while the page is open. Without JavaScript, "Check for a new question"
// does it, and the page does not claim to update on its own.
(function () {
  "use strict";
  var main = document.querySelector("main[data-poll]");
  if (!main || !window.fetch) { return; }
  var url = main.getAttribute("data-poll");
  var key = main.getAttribute("data-key");
  var updates = document.querySelectorAll(".with-script");
  for (var i = 0; i < updates.length; i += 1) { updates[i].hidden = false; }  // true only with this script running
  var timer = null;

  function typed() {
    var boxes = document.querySelectorAll("textarea[name=text]");
    for (var j = 0; j < boxes.length; j += 1) { if (boxes[j].value.trim()) { return true; } }
    return false;
  }

  // Never throw away what they are writing: say so where they are looking (a live region just above the box)
  // and offer the one button that shows the new question with their text kept in the form.
  function tellChanged() {
    var note = document.getElementById("changed");
    var button = document.getElementById("show-new");
    if (!note || !button) { window.location.reload(); return; }
    note.textContent = note.getAttribute("data-message");
    button.hidden = false;
    window.clearInterval(timer);
  }

  function check() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (now) {
        if (!now || now.key === key) { return; }
        if (typed()) { tellChanged(); } else { window.location.reload(); }
      })
      .catch(function () {});
  }
  timer = window.setInterval(check, 10000);
})();
