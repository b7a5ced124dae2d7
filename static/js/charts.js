/* Dashboards: draws Chart.js charts from json_script data; re-draws after htmx swaps.
   No inline script, no eval: data comes from <script type="application/json"> elements. */
(function () {
  "use strict";
  var charts = {};
  var COLORS = ["#1f5f7a", "#a15c00", "#2f7d4a", "#7a3b8f", "#a11d2b", "#44546a", "#8a6d00",
    "#00707a", "#6b4f2a", "#3d5a99", "#8f3b5f", "#4f7a1f", "#5a5a5a", "#005f99"];

  function readJSON(id) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    return JSON.parse(el.tagName === "SCRIPT" ? el.textContent : el.getAttribute("data-json"));
  }

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas || typeof Chart === "undefined") { return; }
    if (charts[id]) {
      // The old canvas may already be gone (an htmx swap replaced it).
      try { charts[id].destroy(); } catch (e) { /* nothing left to release */ }
      delete charts[id];
    }
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options || {});
    charts[id] = new Chart(canvas, config);
  }

  // The published bands of the instrument chosen in [data-band-toggle], painted behind the
  // scores on the "measures" axis, each with its label (bands come from the chart's data,
  // which reads measures/instruments.py).
  var BAND_FILLS = ["rgba(47,125,74,0.10)", "rgba(138,109,0,0.10)", "rgba(161,92,0,0.12)",
    "rgba(161,29,43,0.12)", "rgba(161,29,43,0.20)"];
  var bandsPlugin = {
    id: "bands",
    beforeDatasetsDraw: function (chart) {
      var opts = chart.options.plugins && chart.options.plugins.bands;
      var axis = chart.scales.measures;
      if (!opts || !axis || !opts.instruments) { return; }
      var spec = opts.instruments.filter(function (ins) { return ins.code === opts.active; })[0];
      if (!spec) { return; }
      var area = chart.chartArea, ctx = chart.ctx;
      ctx.save();
      ctx.font = "11px sans-serif";
      spec.bands.forEach(function (band, i) {
        var top = axis.getPixelForValue(band.high + 0.5), bottom = axis.getPixelForValue(band.low - 0.5);
        top = Math.max(top, area.top); bottom = Math.min(bottom, area.bottom);
        if (bottom <= top) { return; }
        ctx.fillStyle = BAND_FILLS[i % BAND_FILLS.length];
        ctx.fillRect(area.left, top, area.right - area.left, bottom - top);
        ctx.fillStyle = "#44546a";
        ctx.fillText(spec.name + " " + band.label, area.left + 4, top + 12);
      });
      ctx.restore();
    }
  };

  function timeline(t) {
    if (!t || !t.labels.length) { return; }
    var toggle = document.querySelector("[data-band-toggle='chart-timeline'] input:checked");
    var top = 0;
    var sets = [{ label: "Composite (clinician-rated, descriptive)", code: "composite", data: t.composite,
      borderColor: "#1d232a", borderWidth: 3, spanGaps: true, yAxisID: "composite" }];
    t.instruments.forEach(function (ins, i) {
      top = Math.max(top, ins.max);
      sets.push({ label: ins.name + " total", code: ins.code, data: ins.values, yAxisID: "measures",
        borderColor: i ? "#7a3b8f" : "#a15c00", backgroundColor: i ? "#7a3b8f" : "#a15c00",
        borderWidth: 2, spanGaps: true, pointRadius: 4, pointStyle: i ? "rect" : "circle" });
    });
    var at = {};
    t.labels.forEach(function (label, i) { at[label] = i; });
    [true, false].forEach(function (open) {
      var marks = t.labels.map(function () { return null; });
      t.ruptures.forEach(function (r) {
        if (r.open === open && at[r.at] !== undefined) { marks[at[r.at]] = t.composite_scale[1]; }
      });
      if (marks.some(function (v) { return v !== null; })) {
        sets.push({ label: open ? "Rupture, open" : "Rupture, repaired", code: open ? "ruptures-open" : "ruptures",
          data: marks, yAxisID: "composite", showLine: false, clip: false, pointStyle: "triangle", pointRadius: open ? 8 : 6,
          borderColor: open ? "#a11d2b" : "#1f5f7a", backgroundColor: open ? "#a11d2b" : "#1f5f7a" });
      }
    });
    var scales = { composite: { position: "right", min: t.composite_scale[0], max: t.composite_scale[1],
      grid: { drawOnChartArea: false }, title: { display: true, text: "Composite (clinician-rated)" } } };
    if (t.instruments.length) {
      scales.measures = { position: "left", min: 0, max: top, title: { display: true, text: "PHQ-9 / GAD-7 total" } };
    }
    draw("chart-timeline", { type: "line", data: { labels: t.labels, datasets: sets }, plugins: [bandsPlugin],
      options: { scales: scales, plugins: { bands: { instruments: t.instruments,
        active: toggle ? toggle.value : (t.instruments[0] && t.instruments[0].code) } } } });
  }

  function trajectory() {
    var d = readJSON("trajectory-data");
    if (!d) { return; }
    timeline(d.timeline);
    var lines = [{ label: "Composite (descriptive mean)", code: "composite", data: d.composite,
      borderColor: "#1d232a", borderWidth: 3, spanGaps: true }];
    d.indicators.forEach(function (ind, i) {
      lines.push({ label: ind.label, code: ind.code, data: ind.values, borderColor: COLORS[i % COLORS.length],
        borderWidth: 1.5, spanGaps: true, pointRadius: 2 });
    });
    var toggles = document.querySelector("[data-chart-toggles='chart-indicators']");
    if (toggles) {
      lines.forEach(function (ds) {
        var box = toggles.querySelector("input[value='" + ds.code + "']");
        ds.hidden = box ? !box.checked : false;
      });
    }
    draw("chart-indicators", { type: "line", data: { labels: d.labels, datasets: lines },
      options: { scales: { y: { title: { display: true, text: "Clinician-rated (non-standardised)" } } },
        plugins: { legend: { display: false } } } });
    draw("chart-zones", { type: "bar", data: { labels: d.labels, datasets: [
      { label: "Hyperarousal", data: d.zones.hyper, backgroundColor: "#c0392b" },
      { label: "Within the window", data: d.zones.within, backgroundColor: "#2f7d4a" },
      { label: "Hypoarousal", data: d.zones.hypo, backgroundColor: "#3d5a99" }] },
      options: { scales: { x: { stacked: true }, y: { stacked: true, min: 0, max: 1,
        ticks: { callback: function (v) { return Math.round(v * 100) + "%"; } } } } } });
    var index = {};
    d.labels.forEach(function (label, i) { index[label] = i; });
    var links = d.ruptures.map(function (r) {
      var y = r.type === "WITHDRAWAL" ? 1 : 2;
      var points = [{ x: r.at, y: y }];
      if (r.repaired) { points.push({ x: r.repaired, y: y + 0.25 }); }
      return { label: (r.open ? "Open " : "") + r.type.toLowerCase() + " rupture", data: points, showLine: true,
        borderColor: r.open ? "#a11d2b" : "#1f5f7a", backgroundColor: r.open ? "#a11d2b" : "#1f5f7a",
        pointStyle: r.open ? "triangle" : (y === 1 ? "circle" : "rectRot"), pointRadius: r.open ? 7 : 4 };
    });
    draw("chart-ruptures", { type: "line", data: { labels: d.labels, datasets: links },
      options: { plugins: { legend: { display: false } }, scales: { y: { min: 0.5, max: 2.75,
        ticks: { stepSize: 1, callback: function (v) { return v === 1 ? "Withdrawal" : (v === 2 ? "Confrontation" : ""); } } } } } });
    draw("chart-coregulation", { data: { labels: d.labels, datasets: [
      { type: "bar", label: "Co-regulation: client settled", data: d.coregulation.settled, backgroundColor: "#2f7d4a", stack: "coreg", yAxisID: "y" },
      { type: "bar", label: "Co-regulation: not settled", data: d.coregulation.unsettled, backgroundColor: "#a15c00", stack: "coreg", yAxisID: "y" },
      { type: "bar", label: "Integration links", data: d.coregulation.links, backgroundColor: "#3d5a99", stack: "links", yAxisID: "y" },
      { type: "line", label: "Client within the window", data: d.coregulation.client_within, borderColor: "#1d232a", spanGaps: true, yAxisID: "share" },
      { type: "line", label: "Therapist within the window (own arousal)", data: d.coregulation.own_within, borderColor: "#7a3e9d", borderDash: [6, 3], spanGaps: true, yAxisID: "share" }] },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { stepSize: 1 } },
        share: { position: "right", min: 0, max: 1, grid: { drawOnChartArea: false },
          ticks: { callback: function (v) { return Math.round(v * 100) + "%"; } } } } } });
    draw("chart-attunement", { data: { labels: d.labels, datasets: [
      { type: "bar", label: "Matches", data: d.attunement.matches, backgroundColor: "#2f7d4a", yAxisID: "y" },
      { type: "bar", label: "Mismatches", data: d.attunement.mismatches, backgroundColor: "#a15c00", yAxisID: "y" },
      { type: "line", label: "Repair rate (repairs per mismatch)", data: d.attunement.repair_rate, borderColor: "#1d232a",
        spanGaps: true, yAxisID: "rate" }] },
      options: { scales: { y: { beginAtZero: true, title: { display: true, text: "Moments" } },
        rate: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: "Repair rate" } } } } });
  }

  function practice() {
    var d = readJSON("practice-data");
    if (!d) { return; }
    draw("chart-practice", { type: "bar", data: { labels: d.labels, datasets: [
      { label: "Sessions attended", data: d.sessions, backgroundColor: "#9fb8c6" },
      { label: "Notes signed", data: d.documented, backgroundColor: "#1f5f7a" }] },
      options: { scales: { y: { beginAtZero: true } } } });
  }

  function render() { trajectory(); practice(); }

  document.addEventListener("change", function (event) {
    var box = event.target;
    var bands = box.closest && box.closest("[data-band-toggle]");
    if (bands) {
      var target = charts[bands.getAttribute("data-band-toggle")];
      if (target) { target.options.plugins.bands.active = box.value; target.update(); }
      return;
    }
    var group = box.closest && box.closest("[data-chart-toggles]");
    if (!group) { return; }
    var chart = charts[group.getAttribute("data-chart-toggles")];
    if (!chart) { return; }
    chart.data.datasets.forEach(function (ds) {
      if (ds.code === box.value) { ds.hidden = !box.checked; }
    });
    chart.update();
  });
  // htmx "settles" a swap by copying the old element's style attribute onto the new element
  // with the same id; Chart.js gave the old canvas inline styles, and copying them would
  // break the CSP (no inline styles). Release the charts and their styles before the swap.
  document.addEventListener("htmx:beforeSwap", function () {
    Object.keys(charts).forEach(function (id) {
      try { charts[id].destroy(); } catch (e) { /* already gone */ }
      delete charts[id];
    });
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      canvas.removeAttribute("style");
    });
  });
  document.addEventListener("DOMContentLoaded", render);
  document.addEventListener("htmx:afterSettle", render);
  document.addEventListener("htmx:load", function (event) {
    if (event.target && event.target.querySelector && event.target.querySelector("canvas[data-chart]")) { render(); }
  });
})();
