// Optional: keeps the prompt current while the page is open. Without JavaScript the Refresh link does it.
(function () {
  "use strict";
  var main = document.querySelector("main[data-poll]");
  if (!main || !window.fetch) { return; }
  var url = main.getAttribute("data-poll");
  var key = main.getAttribute("data-key");
  function check() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (now) {
        if (!now || now.key === key) { return; }
        var box = document.getElementById("text");
        if (!box || !box.value.trim()) { window.location.reload(); return; }
        var note = document.getElementById("changed");
        if (note) { note.hidden = false; }  // never throw away what they are writing
      })
      .catch(function () {});
  }
  window.setInterval(check, 10000);
})();
