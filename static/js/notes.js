// The progress note editor: format switching, "Load last note's plan", risk details prompt.
"use strict";
(function () {
  var form = document.getElementById("note-form");
  if (!form) return;
  var formatSelect = form.querySelector('select[name="format"]');
  var sections = form.querySelectorAll("[data-formats]");

  function showFormat() {
    var current = formatSelect.value;
    sections.forEach(function (el) {
      // Hidden sections keep their text (and are still posted) until the next save drops
      // those that the chosen format does not have.
      el.hidden = el.dataset.formats.split(" ").indexOf(current) === -1;
    });
  }
  if (formatSelect) formatSelect.addEventListener("change", showFormat);

  var loadLast = form.querySelector("[data-load-last]");
  var plan = form.querySelector('textarea[name="plan"]');
  var status = document.getElementById("save-status");
  if (loadLast && plan) {
    loadLast.addEventListener("click", function (event) {
      event.preventDefault();
      fetch(form.dataset.lastPlanUrl, {
        credentials: "same-origin",
        headers: { "X-IPNB-Background": "load-last" },
      })
        .then(function (response) {
          return response.ok ? response.json() : { plan: null };
        })
        .then(function (data) {
          if (!data.plan) {
            if (status) status.textContent = "No earlier signed note with a plan for this client.";
            return;
          }
          if (plan.value.trim() && !window.confirm("Replace the plan you have typed with the last note's plan?")) {
            return;
          }
          plan.value = data.plan;
          plan.focus();
          plan.dispatchEvent(new Event("input", { bubbles: true }));
        });
    });
  }

  var riskSelects = form.querySelectorAll('select[name^="risk_"]');
  var details = form.querySelector('textarea[name="risk_details"]');
  function riskPresent() {
    var present = false;
    riskSelects.forEach(function (s) {
      if (s.value === "PRESENT") present = true;
    });
    if (details) {
      details.setAttribute("aria-required", present ? "true" : "false");
      details.closest(".field").classList.toggle("risk-required", present);
    }
  }
  riskSelects.forEach(function (s) {
    s.addEventListener("change", riskPresent);
  });
  riskPresent();
})();
