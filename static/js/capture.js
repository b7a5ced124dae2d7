// The capture panel's keyboard shortcuts and clock, and the note editor's "Insert IPNB summary".
// Everything works without this file: each tag is a plain form post.
"use strict";
(function () {
  if (window.ipnbCaptureLoaded) { return; }
  window.ipnbCaptureLoaded = true;

  // --- Summary insertion into the progress note (note editor) ---------------------------------
  // The section each note format takes the summary into (sessions/notes/formats.py, passed
  // by the editor as json_script "note-summary-sections"); the others are tried after it.
  function summarySections() {
    var data = document.getElementById("note-summary-sections");
    return data ? JSON.parse(data.textContent) : {};
  }

  function findSection(scope, format) {
    var sectionFor = summarySections();
    var names = Object.prototype.hasOwnProperty.call(sectionFor, format) ? [sectionFor[format]] : [];
    Object.keys(sectionFor).forEach(function (f) {
      if (names.indexOf(sectionFor[f]) === -1) { names.push(sectionFor[f]); }
    });
    for (var i = 0; i < names.length; i++) {
      var n = names[i];
      var found = scope.querySelectorAll('textarea[name="' + n + '"], textarea[name$="-' + n + '"], textarea[name$="_' + n + '"]');
      for (var j = 0; j < found.length; j++) {
        // Sections of other formats stay in the editor, hidden: skip them.
        if (!found[j].closest("[hidden]")) { return found[j]; }
      }
    }
    return null;
  }

  function showSummaryButtons() {
    document.querySelectorAll("[data-capture-summary]").forEach(function (b) { b.hidden = false; });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-capture-summary]");
    if (!button) { return; }
    event.preventDefault();
    var scope = button.closest("form") || document;
    var status = button.parentElement.querySelector("[data-capture-summary-status]");
    // The format chosen in the editor now, which may differ from the stored one.
    var select = scope.querySelector('[name="format"]');
    var format = (select && select.value) || button.dataset.format || "";
    var target = findSection(scope, format);
    if (!target) {
      if (status) { status.textContent = "No observation section found in this note."; }
      return;
    }
    fetch(button.dataset.url, { headers: { "HX-Request": "true", "X-IPNB-Background": "1" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.text(); })
      .then(function (text) {
        var current = target.value;
        var sep = current.trim() ? (current.endsWith("\n") ? "\n" : "\n\n") : "";
        target.value = current + sep + text;
        // The editor's autosave listens for input.
        target.dispatchEvent(new Event("input", { bubbles: true }));
        target.dispatchEvent(new Event("change", { bubbles: true }));
        if (status) {
          var label = target.labels && target.labels[0] ? target.labels[0].textContent.trim() : target.name;
          status.textContent = "IPNB summary inserted into " + label + ".";
        }
      })
      .catch(function () { if (status) { status.textContent = "The summary could not be loaded; use the link instead."; } });
  });

  // --- The capture panel -------------------------------------------------------------------------
  function panelInit() {
    showSummaryButtons();
    var panel = document.getElementById("capture-panel");
    if (!panel) { return; }

    var clockData = document.getElementById("capture-clock");
    var minuteInput = document.getElementById("id_minute");
    if (clockData) {
      var clock = JSON.parse(clockData.textContent);
      var startsAt = Date.parse(clock.starts_at);
      var tick = function () {
        var m = Math.floor((Date.now() - startsAt) / 60000);
        m = Math.max(0, Math.min(m, clock.max_minute));
        var out = document.getElementById("clock-minute");
        if (out) { out.textContent = String(m); }
        if (minuteInput) { minuteInput.placeholder = m + " (clock)"; }
      };
      tick();
      window.setInterval(tick, 15000);
    }

    var pendingEl = document.getElementById("capture-pending");
    var help = document.getElementById("capture-help");
    // Every kind's keys come from the server (sessions/capture/kinds.py, json_script "capture-keys").
    var keysData = document.getElementById("capture-keys");
    var keyMap = keysData ? JSON.parse(keysData.textContent) : { single: {}, sequences: {}, actions: {} };
    var sequences = keyMap.sequences;
    var singleKeys = keyMap.single;
    var actions = keyMap.actions;
    var pending = null;
    var busy = false;
    var queue = [];

    function setPending(p) {
      pending = p;
      if (pendingEl) { pendingEl.textContent = p ? sequences[p].label : ""; }
    }

    function submit(form, button) {
      if (!form) { return; }
      if (busy) { queue.push([form, button]); return; }
      // A click (not requestSubmit) so that htmx sends the pressed button's name and value.
      var target = button || form.querySelector('button[type="submit"]');
      if (window.htmx) { window.htmx.process(form); }  // see editLast: freshly swapped forms
      if (target) { target.click(); }
    }

    function tagButton(tag) {
      return document.querySelector('#tag-form button[data-tag="' + tag + '"]');
    }

    function editLast() {
      var live = document.getElementById("capture-live");
      var item = null;
      if (live && live.dataset.lastEvent) { item = document.getElementById(live.dataset.lastEvent); }
      if (!item) {
        var items = document.querySelectorAll("#capture-live .timeline-item");
        item = items.length ? items[items.length - 1] : null;
      }
      var link = item ? item.querySelector(".edit-link") : null;
      if (!link) { return; }
      // A timeline item swapped in a moment ago is wired by htmx only when the swap settles;
      // wire it now, so that a quick E edits inline instead of leaving the page.
      if (window.htmx) { window.htmx.process(link); }
      link.click();
    }

    function isTyping(target) {
      if (!target || !target.closest) { return false; }
      if (target.closest("textarea, select, [contenteditable], .editing")) { return true; }
      var input = target.closest("input");
      return !!input && ["button", "submit", "reset"].indexOf(input.type) === -1;
    }

    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) { return; }
      if (event.key === "Escape") {
        if (pending) { setPending(null); event.preventDefault(); return; }
        var cancel = document.querySelector(".editing .cancel-edit");
        if (cancel) { event.preventDefault(); cancel.click(); }
        return;
      }
      if (isTyping(event.target)) { return; }
      var key = event.key.toLowerCase();
      if (pending) {
        var keys = sequences[pending].keys;
        var tag = Object.prototype.hasOwnProperty.call(keys, key) ? keys[key] : null;
        setPending(null);
        event.preventDefault();
        if (tag) { submit(document.getElementById("tag-form"), tagButton(tag)); }
        return;
      }
      if (event.key === "?") {
        event.preventDefault();
        if (help) { help.open = !help.open; if (help.open) { help.querySelector("summary").focus(); } }
        return;
      }
      if (!document.getElementById("tag-form")) { return; }
      if (Object.prototype.hasOwnProperty.call(singleKeys, key)) { event.preventDefault(); submit(document.getElementById("tag-form"), tagButton(singleKeys[key])); return; }
      if (Object.prototype.hasOwnProperty.call(sequences, key)) { event.preventDefault(); setPending(key); return; }
      if (Object.prototype.hasOwnProperty.call(actions, key)) { event.preventDefault(); submit(document.getElementById(actions[key])); return; }
      if (key === "u") { event.preventDefault(); submit(document.getElementById("undo-form")); return; }
      if (key === "e") { event.preventDefault(); editLast(); return; }
    });

    // One request at a time: presses made while a tag is being saved wait their turn,
    // and each then carries the fresh idempotency key the server sent back.
    document.body.addEventListener("htmx:beforeRequest", function (event) {
      if (panel.contains(event.target)) { busy = true; }
    });
    document.body.addEventListener("htmx:afterRequest", function () {
      busy = false;
      var next = queue.shift();
      if (next) { window.setTimeout(function () { submit(next[0], next[1]); }, 0); }
    });

    // A second press of the same tag within DOUBLE_PRESS_MS is the same press: it resends the
    // first press's idempotency key, so the server answers with the event it already made.
    var DOUBLE_PRESS_MS = 800;
    var lastPress = { id: null, at: 0, key: null };
    document.body.addEventListener("htmx:configRequest", function (event) {
      var form = event.detail.elt;
      if (!form || form.tagName !== "FORM" || !panel.contains(form)) { return; }
      var trigger = event.detail.triggeringEvent;
      var submitter = trigger && trigger.submitter;
      var id = form.id + ":" + (submitter ? submitter.value : "") + ":" + (event.detail.parameters.rupture || "");
      var now = Date.now();
      if (lastPress.id === id && now - lastPress.at < DOUBLE_PRESS_MS && lastPress.key) {
        event.detail.parameters.idempotency_key = lastPress.key;
      } else {
        lastPress = { id: id, at: now, key: event.detail.parameters.idempotency_key };
      }
    });

    function showMarkersForType(scope) {
      var checked = scope.querySelector('input[name="rupture_type"]:checked');
      if (!checked) { return; }
      scope.querySelectorAll("[data-marker-type]").forEach(function (fs) {
        var t = fs.getAttribute("data-marker-type");
        fs.hidden = !(t === "OTHER" || t === checked.value);
      });
    }

    document.addEventListener("change", function (event) {
      if (event.target.name === "rupture_type") { showMarkersForType(event.target.closest("form")); }
    });

    document.body.addEventListener("htmx:afterSettle", function (event) {
      var root = event.target;
      var editing = root.classList && root.classList.contains("editing") ? root : root.querySelector && root.querySelector(".editing");
      if (editing) {
        showMarkersForType(editing);
        var first = editing.querySelector("input:not([type=hidden]), select, textarea");
        if (first) { first.focus(); }
        return;
      }
      var target = document.querySelector("#capture-live [data-autofocus]");
      if (target) { target.focus(); }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", panelInit);
  } else {
    panelInit();
  }
})();
