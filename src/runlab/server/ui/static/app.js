/* runlab web UI: draws charts with plotly.js and keeps the run page current by polling
   small JSON answers. No framework, no build step. */
"use strict";

var runlab = (function () {
  var POLL_MS = 1000;
  var LOG_KEEP = 200000;

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (answer) {
        if (!answer.ok) { throw new Error(url + " answered " + answer.status); }
        return answer.json();
      });
  }

  function plotReady() { return typeof window.Plotly !== "undefined"; }

  function layout(title, xTitle) {
    return {
      title: { text: title }, margin: { l: 50, r: 20, t: 40, b: 40 }, height: 300,
      xaxis: { title: { text: xTitle } }, showlegend: true,
    };
  }

  function drawMetrics(container, metrics, drawn) {
    var names = Object.keys(metrics).sort();
    if (names.length) {
      var empty = document.getElementById("no-metrics");
      if (empty) { empty.remove(); }
    }
    names.forEach(function (name) {
      var history = metrics[name];
      var chart = document.getElementById("chart-" + name);
      if (!chart) {
        chart = document.createElement("div");
        chart.id = "chart-" + name;
        chart.className = "chart";
        chart.dataset.metric = name;
        container.appendChild(chart);
      }
      if (!plotReady()) {
        chart.textContent = name + ": plotly is not installed on the server (pip install plotly)";
        return;
      }
      if (drawn[name] === history.steps.length) { return; }
      drawn[name] = history.steps.length;
      var trace = { x: history.steps, y: history.values, name: name, mode: "lines+markers" };
      window.Plotly.react(chart, [trace], layout(name, "step"));
    });
  }

  function runPage(section) {
    var runId = section.dataset.runId;
    var base = "/ui/api/runs/" + encodeURIComponent(runId);
    var charts = document.getElementById("charts");
    var log = document.getElementById("log");
    var statusLine = document.getElementById("run-status");
    var drawn = {};
    var logOffset = -1;
    var endedSeen = section.dataset.terminal === "true";

    function poll() {
      var wasEnded = endedSeen;
      Promise.all([getJSON(base), getJSON(base + "/metrics"), getJSON(base + "/log?offset=" + logOffset)])
        .then(function (answers) {
          var state = answers[0];
          statusLine.textContent = state.status;
          statusLine.className = "status status-" + state.status.toLowerCase();
          document.getElementById("run-duration").textContent = state.duration;
          document.getElementById("run-ended").textContent = state.ended;
          drawMetrics(charts, answers[1], drawn);
          if (answers[2].text) {
            log.textContent = (log.textContent + answers[2].text).slice(-LOG_KEEP);
            log.scrollTop = log.scrollHeight;
          }
          logOffset = answers[2].offset;
          endedSeen = state.terminal;
          section.dataset.terminal = state.terminal ? "true" : "false";
        })
        .catch(function (error) { statusLine.title = String(error); })
        .then(function () {
          // One more round after the run ends picks up what it flushed on the way out.
          if (!(wasEnded && endedSeen)) { setTimeout(poll, POLL_MS); }
        });
    }
    poll();
  }

  function runsTable(table) {
    // Refresh the state and duration of the rows whose runs go on, until none does.
    function pending() {
      return Array.prototype.filter.call(table.querySelectorAll("tr.run"), function (row) {
        return row.querySelector(".status").dataset.terminal !== "true";
      });
    }
    function poll() {
      var rows = pending();
      if (!rows.length) { return; }
      var query = rows.map(function (row) {
        return "run=" + encodeURIComponent(row.dataset.runId);
      }).join("&");
      getJSON("/ui/api/run-states?" + query)
        .then(function (states) {
          rows.forEach(function (row) {
            var state = states[row.dataset.runId];
            if (!state) { return; }
            var status = row.querySelector(".status");
            status.textContent = state.status;
            status.className = "status status-" + state.status.toLowerCase();
            status.dataset.terminal = state.terminal ? "true" : "false";
            row.querySelector(".duration").textContent = state.duration;
          });
        })
        .catch(function () { /* try again next round */ })
        .then(function () { setTimeout(poll, 2 * POLL_MS); });
    }
    setTimeout(poll, 2 * POLL_MS);
  }

  function comparePage(dataScript) {
    var data = JSON.parse(dataScript.textContent);
    if (!plotReady()) { return; }
    var lines = data.overlay.map(function (run) {
      return { x: run.x, y: run.y, name: run.name, mode: "lines+markers" };
    });
    window.Plotly.newPlot("overlay", lines, layout(data.metric || "", "step"));
    var points = {
      x: data.scatter.x, y: data.scatter.y, text: data.scatter.text,
      mode: "markers", marker: { size: 10 }, type: "scatter", name: data.metric || "",
    };
    window.Plotly.newPlot("scatter", [points], layout((data.metric || "") + " by " + (data.param || ""), data.param || ""));
  }

  return { runPage: runPage, runsTable: runsTable, comparePage: comparePage, drawMetrics: drawMetrics };
})();
