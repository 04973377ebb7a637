// Optional: keeps the page current while it is open. Without JavaScript, "Check for a new question" and "Check for
// new questions and results" do it, and the page does not claim to update on its own.
(function () {
  "use strict";
  var main = document.querySelector("main[data-poll]");
  if (!main || !window.fetch) { return; }
  var url = main.getAttribute("data-poll");
  var key = main.getAttribute("data-key");
  var questions = main.getAttribute("data-questions") || "";
  var results = main.getAttribute("data-results") || "";
  var groups = main.getAttribute("data-groups") || "";
  var rereadAt = Date.now();
  var RESULTS_EVERY = 30000;  // live results are fetched again at most this often, so a room of phones asks little
  var told = false;  // the reflection's question changed under a text being written, and the page said so
  var fetching = false;
  var STASH = "facilitator-page-drafts";

  function withScript(root) {
    var updates = root.querySelectorAll(".with-script");
    for (var i = 0; i < updates.length; i += 1) { updates[i].hidden = false; }  // true only with this script running
  }
  withScript(document);

  // The page itself (never the address of a form it answered), in its language, without "done".
  function page() {
    return url.replace(/\/now\.json$/, "") + "?lang=" + encodeURIComponent(document.documentElement.lang);
  }

  function typed() {
    var boxes = document.querySelectorAll("textarea[name=text]");
    for (var j = 0; j < boxes.length; j += 1) { if (boxes[j].value.trim()) { return true; } }
    return false;
  }

  // What the person has done in a form since the page came: each box typed in, each choice made or undone.
  function changed(root) {
    var found = [];
    if (!root) { return found; }
    var controls = root.querySelectorAll("input[type=radio], input[type=checkbox], textarea");
    for (var k = 0; k < controls.length; k += 1) {
      var control = controls[k];
      if (control.tagName === "TEXTAREA") {
        if (control.value !== control.defaultValue) { found.push({ name: control.name, text: control.value }); }
      } else if (control.checked !== control.defaultChecked) {
        found.push({ name: control.name, value: control.value, checked: control.checked });
      }
    }
    return found;
  }

  function restore(root, found) {
    var controls = root.querySelectorAll("input[type=radio], input[type=checkbox], textarea");
    for (var m = 0; m < found.length; m += 1) {
      for (var n = 0; n < controls.length; n += 1) {
        var control = controls[n];
        if (control.name !== found[m].name) { continue; }
        if (control.tagName === "TEXTAREA" && typeof found[m].text === "string") {
          control.value = found[m].text;
        } else if (control.tagName !== "TEXTAREA" && control.value === found[m].value) {
          control.checked = found[m].checked;
        }
      }
    }
  }

  // Never throw away what they are writing: say so where they are looking (a live region just above the box)
  // and offer the one button that shows the new question with their text kept in the form.
  function tellChanged() {
    var note = document.getElementById("changed");
    var button = document.getElementById("show-new");
    if (!note || !button) { window.location.replace(page()); return; }
    note.textContent = note.getAttribute("data-message");
    button.hidden = false;
    told = true;
  }

  // The questions on the page now: which take answers, which are closed, which show their results.
  function blocks() {
    var found = { all: {}, open: {}, results: {} };
    var all = document.querySelectorAll("#questions-area .question-block");
    for (var p = 0; p < all.length; p += 1) {
      found.all[all[p].id] = true;
      if (all[p].tagName === "FIELDSET") { found.open[all[p].id] = true; }
      if (all[p].querySelector(".results")) { found.results[all[p].id] = true; }
    }
    return found;
  }

  function announce(before, after) {
    var region = document.getElementById("questions-live");
    if (!region) { return; }
    var said = [];
    var id;
    for (id in after.open) { if (!before.all[id] || !before.open[id]) { said.push("data-new"); break; } }
    for (id in after.results) { if (!before.results[id]) { said.push("data-results"); break; } }
    for (id in before.open) { if (after.all[id] && !after.open[id]) { said.push("data-closed"); break; } }
    if (!said.length) { return; }
    region.textContent = said.map(function (name) { return region.getAttribute(name); }).join(" ");
  }

  // The sentence that says where the person is in the breakout groups, or "" when the page shows none.
  function groupLine() {
    var line = document.querySelector("#groups-area .announce");
    return line ? line.textContent : "";
  }

  // Groups made, changed or ended: said in the polite live region outside the area replaced (a replaced region
  // is not reliably read out), briefly, as the group's own words are just below it.
  function announceGroup(before) {
    var region = document.getElementById("groups-live");
    var after = groupLine();
    if (!region || after === before) { return; }
    region.textContent = region.getAttribute(after ? "data-changed" : "data-ended");
  }

  // Replace a part of the page by the server's copy of it, keeping what was chosen and typed in it and where
  // the focus was (the questions only: a reflection's text is never in a part replaced).
  function swap(id, fresh) {
    var area = document.getElementById(id);
    var copy = fresh.querySelector("#" + id);
    if (!area || !copy) { return; }
    var kept = id === "questions-area" ? changed(area) : [];
    var active = document.activeElement;
    var focus = active && area.contains(active) ? { id: active.id, name: active.name, value: active.value } : null;
    var replacement = document.importNode(copy, true);
    area.parentNode.replaceChild(replacement, area);
    restore(replacement, kept);
    withScript(replacement);
    if (focus) {
      var target = focus.id ? document.getElementById(focus.id) : null;
      var named = replacement.querySelectorAll("input, textarea, button");
      for (var q = 0; !target && q < named.length; q += 1) {
        if (named[q].name === focus.name && named[q].value === focus.value) { target = named[q]; }
      }
      if (target && replacement.contains(target)) { target.focus({ preventScroll: true }); }
    }
  }

  function reread(parts) {
    if (fetching) { return; }
    fetching = true;
    rereadAt = Date.now();
    fetch(page(), { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        var fresh = html ? new DOMParser().parseFromString(html, "text/html").querySelector("main[data-poll]") : null;
        if (!fresh) { return; }  // not the participant's own page any more (signed out elsewhere): left as it is
        var before = blocks();
        var line = groupLine();
        for (var r = 0; r < parts.length; r += 1) { swap(parts[r], fresh); }
        if (parts.indexOf("groups-area") >= 0) {
          groups = fresh.getAttribute("data-groups") || "";
          main.setAttribute("data-groups", groups);
          announceGroup(line);
        }
        if (parts.indexOf("questions-area") >= 0) {  // else a change to them meanwhile is still to be fetched
          questions = fresh.getAttribute("data-questions") || "";
          main.setAttribute("data-questions", questions);
          results = fresh.getAttribute("data-results") || "";
          main.setAttribute("data-results", results);
        }
        if (parts.indexOf("prompt-area") >= 0) {
          key = fresh.getAttribute("data-key");
          main.setAttribute("data-key", key);
        }
        announce(before, blocks());
      })
      .catch(function () {})
      .then(function () { fetching = false; });
  }

  function check() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (now) {
        if (!now) { return; }
        var parts = [];
        if (now.key !== key && !told) {
          if (typed()) {
            tellChanged();
          } else if (!changed(document.getElementById("questions-area")).length) {
            window.location.replace(page());
            return;
          } else {
            parts.push("prompt-area", "questions-area");  // answers being chosen or typed: kept in the new page
          }
        }
        if ((now.groups || "") !== groups) {
          parts.push("groups-area");  // groups made, changed or ended: at once
        }
        if (parts.indexOf("questions-area") < 0) {
          if ((now.questions || "") !== questions) {
            parts.push("questions-area");  // a question opened, closed, or showed its results: at once
          } else if ((now.results || "") !== results && Date.now() - rereadAt >= RESULTS_EVERY) {
            parts.push("questions-area");  // the answers coming in: now and then
          }
        }
        if (parts.length) { reread(parts); }
      })
      .catch(function () {});
  }
  window.setInterval(check, 10000);

  // Sending one form reloads the page: what was written in the other (the reflection, or the answers) is kept
  // for a moment in this tab, and put back once the page is here again, under the same question.
  function stash(event) {
    var form = event.target;
    if (!form || /\/forget(\?|$)/.test(form.getAttribute("action") || "")) { return; }
    var items = [];
    var forms = document.querySelectorAll("#reflect-form, #answer-form");
    for (var s = 0; s < forms.length; s += 1) {
      if (forms[s] === form) { continue; }
      var answering = forms[s].querySelector("input[name=answering]");
      var found = changed(forms[s]);
      for (var u = 0; u < found.length; u += 1) {
        found[u].form = forms[s].id;
        found[u].answering = answering ? answering.value : null;
        items.push(found[u]);
      }
    }
    try {
      if (items.length) { window.sessionStorage.setItem(STASH, JSON.stringify({ at: Date.now(), items: items })); }
    } catch (ignored) {}
  }
  document.addEventListener("submit", stash);

  function unstash() {
    var saved = null;
    try {
      saved = JSON.parse(window.sessionStorage.getItem(STASH) || "null");
      window.sessionStorage.removeItem(STASH);
    } catch (ignored) { return; }
    if (!saved || !saved.items || Date.now() - saved.at > 600000) { return; }
    for (var v = 0; v < saved.items.length; v += 1) {
      var item = saved.items[v];
      var form = document.getElementById(item.form);
      var answering = form ? form.querySelector("input[name=answering]") : null;
      if (!form || (answering ? answering.value : null) !== item.answering) { continue; }  // another question now
      restore(form, [item]);
    }
  }
  unstash();
})();
