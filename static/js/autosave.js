// Autosave of note editors: the whole form is posted to the server about 1.5 s after typing
// stops, with the version it was loaded at. Nothing is kept in browser storage. A version
// conflict shows both texts; an expired sign-in keeps the text and retries until it saves.
"use strict";
(function () {
  var DEBOUNCE_MS = 1500;
  var RETRY_MS = 5000;

  function csrfToken(form) {
    // Signing in again (in another tab) rotates the CSRF cookie, so read it fresh each time.
    // In production the cookie is "__Host-csrftoken" (secure cookies).
    var match = document.cookie.match(/(?:^|;\s*)(?:__Host-)?csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var input = form.querySelector('input[name="csrfmiddlewaretoken"]');
    return input ? input.value : "";
  }

  function setup(form) {
    var url = form.dataset.autosaveUrl;
    var status = document.getElementById("save-status");
    var alertBox = document.getElementById("save-alert");
    var conflictRegion = document.getElementById("conflict-region");
    var versionInput = form.querySelector('input[name="version"]');
    var timer = null;
    var retryTimer = null;
    var inFlight = false;
    var dirty = false;
    var blocked = false;
    var pendingSubmitter = undefined;

    function say(text) {
      if (status) status.textContent = text;
    }

    function clearAlert() {
      if (alertBox) alertBox.replaceChildren();
    }

    function alertText(text, link) {
      if (!alertBox) return;
      var p = document.createElement("p");
      p.className = "error";
      p.textContent = text;
      if (link) {
        p.appendChild(document.createTextNode(" "));
        var a = document.createElement("a");
        a.href = link.href;
        a.target = "_blank";
        a.rel = "noopener";
        a.textContent = link.text;
        p.appendChild(a);
      }
      alertBox.replaceChildren(p);
    }

    function schedule(delay) {
      clearTimeout(timer);
      timer = setTimeout(save, delay);
    }

    function retryLater() {
      clearTimeout(retryTimer);
      retryTimer = setTimeout(function () {
        if (dirty && !blocked) save();
      }, RETRY_MS);
    }

    function markDirty(event) {
      if (event && event.target && event.target.name === "attest") return;
      dirty = true;
      if (blocked) return;
      say("Unsaved changes");
      schedule(DEBOUNCE_MS);
    }

    function payload() {
      var data = new FormData(form);
      data.delete("csrfmiddlewaretoken");
      return data;
    }

    function finished() {
      inFlight = false;
      if (pendingSubmitter !== undefined) {
        var submitter = pendingSubmitter;
        pendingSubmitter = undefined;
        form.requestSubmit(submitter || undefined);
      }
    }

    function save() {
      clearTimeout(timer);
      if (inFlight) {
        dirty = true;
        return;
      }
      if (!dirty || blocked) return;
      inFlight = true;
      dirty = false;
      say("Saving…");
      fetch(url, {
        method: "POST",
        body: payload(),
        credentials: "same-origin",
        headers: {
          "X-IPNB-Background": "autosave",
          "X-CSRFToken": csrfToken(form),
        },
      })
        .then(function (response) {
          return handle(response);
        })
        .catch(function () {
          dirty = true;
          say("Not saved");
          alertText("Not saved: the server cannot be reached. Your text is still here; retrying every few seconds.");
          retryLater();
        })
        .then(finished);
    }

    function handle(response) {
      if (response.ok) {
        return response.json().then(function (data) {
          versionInput.value = data.version;
          say(data.message);
          clearAlert();
          if (data.warning) alertText(data.warning);
          if (dirty) schedule(DEBOUNCE_MS);
        });
      }
      if (response.status === 401) {
        dirty = true;
        say("Not saved");
        alertText(
          "Not saved: your sign-in has expired — sign in again (opens a new tab).",
          { href: form.dataset.loginUrl, text: "Sign in again" }
        );
        retryLater();
        return null;
      }
      var type = response.headers.get("Content-Type") || "";
      if (response.status === 409 && type.indexOf("text/html") === 0) {
        return response.text().then(function (html) {
          blocked = true;
          dirty = true;
          say("Not saved: changed elsewhere");
          conflictRegion.innerHTML = html;
          conflictRegion.querySelectorAll("[data-keep-mine]").forEach(function (b) {
            b.hidden = false;
          });
          var heading = conflictRegion.querySelector("h2");
          if (heading) {
            heading.tabIndex = -1;
            heading.focus();
          }
        });
      }
      if (response.status === 403 && type.indexOf("application/json") !== 0) {
        return response.text().then(function (text) {
          if (text.indexOf("CSRF") === -1) {
            blocked = true;
            say("Not saved");
            alertText("Not saved: this note can no longer be edited here (it may have been signed). Copy your text before leaving the page.");
            return;
          }
          // The security token changed (a sign-in elsewhere): keep the text and retry.
          dirty = true;
          say("Not saved");
          alertText(
            "Not saved: your sign-in has changed — sign in again (opens a new tab).",
            { href: form.dataset.loginUrl, text: "Sign in again" }
          );
          retryLater();
        });
      }
      if (response.status === 409 || response.status === 403 || response.status === 404) {
        blocked = true;
        say("Not saved");
        alertText("Not saved: this note can no longer be edited here (it may have been signed). Copy your text before leaving the page.");
        return null;
      }
      dirty = true;
      say("Not saved");
      alertText("Not saved: the server had a problem. Your text is still here; retrying every few seconds.");
      retryLater();
      return null;
    }

    form.addEventListener("keydown", function (event) {
      // Ctrl+S / Cmd+S saves at once instead of opening the browser's "save page" dialog.
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") {
        event.preventDefault();
        dirty = true;
        blocked = false;
        save();
      }
    });
    form.addEventListener("input", markDirty);
    form.addEventListener("change", markDirty);
    window.addEventListener("focus", function () {
      if (dirty && !blocked) save();
    });
    document.addEventListener("visibilitychange", function () {
      // Switching tabs or apps: save now rather than after the debounce.
      if (document.visibilityState === "hidden" && dirty && !blocked) save();
    });
    window.addEventListener("online", function () {
      if (dirty && !blocked) save();
    });
    window.addEventListener("beforeunload", function (event) {
      if (dirty || inFlight) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
    form.addEventListener("submit", function (event) {
      // A plain submit (save, sign) carries the current version: wait for a save in flight.
      if (inFlight) {
        event.preventDefault();
        pendingSubmitter = event.submitter || null;
        return;
      }
      clearTimeout(timer);
      clearTimeout(retryTimer);
      dirty = false;
    });
    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-keep-mine]");
      if (!button) return;
      // The user chose their own text: save it over the stored version.
      versionInput.value = button.dataset.version;
      button.hidden = true;
      blocked = false;
      dirty = true;
      save();
    });
    document.querySelectorAll("[data-keep-mine]").forEach(function (b) {
      b.hidden = false;
    });
    form.ipnbAutosave = {
      changed: function () {
        markDirty();
      },
    };
  }

  document.querySelectorAll("form[data-autosave-url]").forEach(setup);
})();
