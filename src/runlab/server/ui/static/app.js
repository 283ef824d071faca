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

  function plotlyLoaded() {
    // A page may load plotly.js deferred (its text shows first); the charts wait for it.
    return new Promise(function (resolve) {
      var script = document.getElementById("plotly-js");
      if (plotReady() || !script) { resolve(); return; }
      script.addEventListener("load", resolve);
      script.addEventListener("error", resolve);
    });
  }

  function layout(title, xTitle) {
    return {
      title: { text: title }, margin: { l: 50, r: 20, t: 40, b: 40 }, height: 300,
      xaxis: { title: { text: xTitle } }, showlegend: true,
    };
  }

  function el(tag, text, className) {
    // Every text a run recorded goes in as text, never as markup.
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (className) { node.className = className; }
    return node;
  }

  function shown(value) {
    // Numbers to a sensible precision; everything else as text.
    if (typeof value === "number") {
      if (Number.isInteger(value)) { return String(value); }
      var magnitude = Math.abs(value);
      return magnitude !== 0 && (magnitude < 1e-4 || magnitude >= 1e6) ? value.toExponential(4) : String(Number(value.toPrecision(6)));
    }
    if (value === null || value === undefined) { return ""; }
    return typeof value === "string" ? value : JSON.stringify(value);
  }

  function table(columns, rows, id) {
    var node = el("table", null, "values-table");
    if (id) { node.id = id; }
    var head = node.createTHead().insertRow();
    columns.forEach(function (column) { head.appendChild(el("th", column)); });
    var body = node.createTBody();
    rows.forEach(function (row) {
      var line = body.insertRow();
      row.forEach(function (cell) {
        line.appendChild(el("td", shown(cell), typeof cell === "number" ? "num" : ""));
      });
    });
    return node;
  }

  function select(options, chosen, onChange) {
    var node = el("select");
    options.forEach(function (option) {
      var item = el("option", option);
      item.value = option;
      if (option === chosen) { item.selected = true; }
      node.appendChild(item);
    });
    node.addEventListener("change", function () { onChange(node.value); });
    return node;
  }

  function slider(steps, onChange) {
    // A step slider over steps[]; starts on the last one.
    var box = el("div", null, "slider");
    var input = el("input");
    input.type = "range";
    input.min = 0;
    input.max = steps.length - 1;
    input.value = steps.length - 1;
    var label = el("span", "step " + steps[steps.length - 1], "step-label");
    input.addEventListener("input", function () {
      label.textContent = "step " + steps[Number(input.value)];
      onChange(Number(input.value));
    });
    if (steps.length < 2) { input.disabled = true; }
    box.appendChild(input);
    box.appendChild(label);
    return box;
  }

  function plot(node, traces, title, xTitle) {
    if (!plotReady()) {
      node.textContent = title + ": plotly is not installed on the server (pip install plotly)";
      return;
    }
    window.Plotly.react(node, traces, layout(title, xTitle));
  }

  function numericColumns(columns, rows) {
    return columns.filter(function (column, index) {
      return rows.some(function (row) { return typeof row[index] === "number"; });
    });
  }

  function columnOf(columns, rows, column) {
    var index = columns.indexOf(column);
    return rows.map(function (row) { return row[index]; });
  }

  // --- The run's logged values, each kind in its section ---------------------------------

  function section(container, id, title) {
    var node = document.getElementById(id);
    if (!node) {
      node = el("section", null, "values-section");
      node.id = id;
      container.appendChild(node);
    }
    node.textContent = "";
    node.appendChild(el("h2", title));
    return node;
  }

  function item(parent, name, kind) {
    var node = el("div", null, "value-item");
    node.dataset.name = name;
    node.dataset.kind = kind;
    node.appendChild(el("h3", name));
    parent.appendChild(node);
    return node;
  }

  function drawLists(container, lists) {
    var names = Object.keys(lists);
    if (!names.length) { return; }
    var box = section(container, "lists", "Lists");
    names.forEach(function (name) {
      var entry = lists[name];
      var node = item(box, name, "list");
      var chart = el("div", null, "chart");
      function show(index) {
        var values = entry.values[index];
        var numeric = values.every(function (value) { return typeof value === "number"; });
        if (numeric) {
          plot(chart, [{ x: values.map(function (_, i) { return i; }), y: values, type: "bar", name: name }], name + " at step " + entry.steps[index], "index");
        } else {
          chart.textContent = "";
          chart.appendChild(table(["index", "value"], values.map(function (value, i) { return [i, value]; })));
        }
      }
      node.appendChild(slider(entry.steps, show));
      node.appendChild(chart);
      show(entry.steps.length - 1);
    });
  }

  function drawRows(container, rowsByName) {
    var names = Object.keys(rowsByName);
    if (!names.length) { return; }
    var box = section(container, "rows", "Rows");
    names.forEach(function (name) {
      var entry = rowsByName[name];
      var node = item(box, name, "rows");
      var numeric = numericColumns(entry.columns, entry.rows);
      var chart = el("div", null, "chart");
      function show(column) {
        plot(chart, [{ x: entry.rows.map(function (_, i) { return i; }), y: columnOf(entry.columns, entry.rows, column), name: column, mode: "lines+markers" }], name + ": " + column, "row");
      }
      if (numeric.length) {
        var label = el("label", "Chart column ");
        label.appendChild(select(numeric, numeric[0], show));
        node.appendChild(label);
        node.appendChild(chart);
        show(numeric[0]);
      }
      node.appendChild(table(entry.columns, entry.rows));
      if (entry.count > entry.rows.length) { node.appendChild(el("p", "the last " + entry.rows.length + " of " + entry.count + " rows", "hint")); }
    });
  }

  function drawTables(container, tables) {
    var names = Object.keys(tables);
    if (!names.length) { return; }
    var box = section(container, "tables", "Tables");
    names.forEach(function (name) {
      var entry = tables[name];
      var node = item(box, name, "table");
      var holder = el("div");
      function show(index) {
        holder.textContent = "";
        var columns = Object.keys(entry.values[index] || {});
        var length = columns.reduce(function (most, column) { return Math.max(most, entry.values[index][column].length); }, 0);
        var rows = [];
        for (var i = 0; i < length; i += 1) {
          rows.push(columns.map(function (column) { return entry.values[index][column][i]; }));
        }
        var numeric = numericColumns(columns, rows);
        if (numeric.length) {
          var chart = el("div", null, "chart");
          var x = columns[0];
          var y = numeric[numeric.length > 1 && numeric[0] === x ? 1 : 0];
          var draw = function () {
            plot(chart, [{ x: columnOf(columns, rows, x), y: columnOf(columns, rows, y), name: y, mode: "lines+markers" }], y + " by " + x, x);
          };
          var labelX = el("label", "x ");
          labelX.appendChild(select(columns, x, function (value) { x = value; draw(); }));
          var labelY = el("label", " y ");
          labelY.appendChild(select(numeric, y, function (value) { y = value; draw(); }));
          holder.appendChild(labelX);
          holder.appendChild(labelY);
          holder.appendChild(chart);
          draw();
        }
        holder.appendChild(table(columns, rows));
      }
      node.appendChild(slider(entry.steps, show));
      node.appendChild(holder);
      show(entry.steps.length - 1);
    });
  }

  function drawImages(container, images, runId) {
    var names = Object.keys(images);
    if (!names.length) { return; }
    var box = section(container, "images", "Images");
    var gallery = el("div", null, "gallery");  // one cell per image name, as many across as fit
    box.appendChild(gallery);
    names.forEach(function (name) {
      var entry = images[name];
      var node = item(gallery, name, "image");
      var figure = el("figure", null, "image");
      var image = el("img");
      var caption = el("figcaption");
      function show(index) {
        var file = entry.values[index];
        image.src = "/ui/runs/" + encodeURIComponent(runId) + "/images/" + file.split("/").map(encodeURIComponent).join("/");
        image.alt = name + " at step " + entry.steps[index];
        caption.textContent = file;
      }
      figure.appendChild(image);
      figure.appendChild(caption);
      node.appendChild(slider(entry.steps, show));
      node.appendChild(figure);
      show(entry.steps.length - 1);
    });
  }

  function drawTexts(container, texts) {
    var names = Object.keys(texts);
    if (!names.length) { return; }
    var box = section(container, "texts", "Text values");
    box.appendChild(table(["metric", "last step", "last value"], names.map(function (name) {
      var entry = texts[name];
      return [name, entry.steps[entry.steps.length - 1], entry.values[entry.values.length - 1]];
    }), "texts-table"));
  }

  function valuesKey(values) {
    return JSON.stringify(["list", "row", "table", "image", "text"].map(function (kind) {
      return Object.keys(values[kind]).map(function (name) { return [name, values[kind][name].count]; });
    }));
  }

  function drawValues(container, values, runId) {
    drawTexts(container, values.text);
    drawLists(container, values.list);
    drawRows(container, values.row);
    drawTables(container, values.table);
    drawImages(container, values.image, runId);
  }

  // --- Numeric series: downsampled by the server, finer when zoomed, appended live -------

  function metricChart(container, name) {
    var chart = document.getElementById("chart-" + name);
    if (!chart) {
      chart = el("div", null, "chart");
      chart.id = "chart-" + name;
      chart.dataset.metric = name;
      container.appendChild(chart);
    }
    return chart;
  }

  function drawMetrics(container, metrics, drawn, base) {
    var names = Object.keys(metrics).sort();
    if (names.length) {
      var empty = document.getElementById("no-metrics");
      if (empty) { empty.remove(); }
    }
    names.forEach(function (name) {
      var history = metrics[name];
      var chart = metricChart(container, name);
      if (!plotReady()) {
        chart.textContent = name + ": plotly is not installed on the server (pip install plotly)";
        return;
      }
      var seen = drawn[name];
      if (seen && !seen.zoomed) {
        // Only what is new comes: append it.
        window.Plotly.extendTraces(chart, { x: [history.steps], y: [history.values] }, [0]);
        seen.lastStep = history.last_step;
        return;
      }
      if (seen && seen.zoomed) { seen.lastStep = history.last_step; return; }
      drawn[name] = { lastStep: history.last_step, zoomed: false };
      chart.dataset.sampled = history.sampled ? "true" : "false";
      var trace = { x: history.steps, y: history.values, name: name, mode: history.steps.length > 200 ? "lines" : "lines+markers", connectgaps: false };
      window.Plotly.newPlot(chart, [trace], layout(name, "step"));
      chart.on("plotly_relayout", function (change) { zoomed(chart, name, change, drawn, base); });
    });
  }

  function zoomed(chart, name, change, drawn, base) {
    // Ask for the steps in view at full resolution (down to the chart's width), or the
    // overview again when the zoom is reset.
    var range = change["xaxis.range"] || [change["xaxis.range[0]"], change["xaxis.range[1]"]];
    var start = range[0];
    var end = range[1];
    var reset = change["xaxis.autorange"];
    if (start === undefined && !reset) { return; }
    var query = "?name=" + encodeURIComponent(name);
    if (!reset) { query += "&start=" + Math.floor(start) + "&end=" + Math.ceil(end); }
    chart.dataset.zoomRequests = String(Number(chart.dataset.zoomRequests || 0) + 1);
    getJSON(base + "/metrics" + query).then(function (answer) {
      var history = answer[name];
      if (!history) { return; }
      drawn[name].zoomed = !reset;
      chart.dataset.sampled = history.sampled ? "true" : "false";
      chart.dataset.zoomPoints = String(history.steps.length);
      window.Plotly.restyle(chart, { x: [history.steps], y: [history.values] }, [0]);
    });
  }

  function runPage(section) {
    var runId = section.dataset.runId;
    var base = "/ui/api/runs/" + encodeURIComponent(runId);
    var charts = document.getElementById("charts");
    var values = document.getElementById("values");
    var log = document.getElementById("log");
    var statusLine = document.getElementById("run-status");
    var drawn = {};
    var valuesSeen = "";
    var logOffset = -1;
    var endedSeen = section.dataset.terminal === "true";

    function metricsURL() {
      var after = {};
      Object.keys(drawn).forEach(function (name) { after[name] = drawn[name].lastStep; });
      var names = Object.keys(after);
      return base + "/metrics" + (names.length ? "?after=" + encodeURIComponent(JSON.stringify(after)) : "");
    }

    function poll() {
      var wasEnded = endedSeen;
      var asks = [getJSON(base), getJSON(metricsURL()), plotlyLoaded()];
      if (log) { asks.push(getJSON(base + "/log?offset=" + logOffset)); }
      var LOG = 3;
      Promise.all(asks)
        .then(function (answers) {
          var state = answers[0];
          statusLine.textContent = state.status;
          statusLine.className = "status status-" + state.status.toLowerCase();
          document.getElementById("run-duration").textContent = state.duration;
          document.getElementById("run-ended").textContent = state.ended;
          drawMetrics(charts, answers[1], drawn, base);
          if (log) {
            if (answers[LOG].text) {
              log.textContent = (log.textContent + answers[LOG].text).slice(-LOG_KEEP);
              log.scrollTop = log.scrollHeight;
            }
            logOffset = answers[LOG].offset;
          }
          endedSeen = state.terminal;
          section.dataset.terminal = state.terminal ? "true" : "false";
          // The other kinds, leaving out the metrics charted (their histories can be long).
          var skip = encodeURIComponent(JSON.stringify(Object.keys(drawn)));
          return getJSON(base + "/values?skip=" + skip);
        })
        .then(function (answer) {
          var key = valuesKey(answer);
          if (key !== valuesSeen) {
            valuesSeen = key;
            drawValues(values, answer, runId);
          }
          section.dataset.loaded = "true";
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

  function runsCharts(dataScript) {
    // The chosen metric of the page's runs overlaid, and their last values against a
    // parameter; the choice is kept in the page's URL.
    if (!dataScript || !plotReady()) { return; }
    var data = JSON.parse(dataScript.textContent);
    var metricChoice = document.getElementById("chart-metric");
    var paramChoice = document.getElementById("chart-param");
    var overlay = document.getElementById("runs-overlay");
    var scatter = document.getElementById("runs-scatter");
    var asked = 0;

    function keep(url) {
      url.searchParams.set("chart", metricChoice.value);
      if (paramChoice) { url.searchParams.set("param", paramChoice.value); }
      return url.toString();
    }

    function remember() {
      // In the address, and in the links that sort and page the table.
      window.history.replaceState(null, "", keep(new URL(window.location.href)));
      document.querySelectorAll("#runs thead a, .pager a").forEach(function (link) {
        link.href = keep(new URL(link.href, window.location.href));
      });
    }

    function drawOverlay() {
      var metric = metricChoice.value;
      var round = asked += 1;
      Promise.all(data.runs.map(function (run) {
        return getJSON("/ui/api/runs/" + encodeURIComponent(run.id) + "/metrics?points=500&name=" + encodeURIComponent(metric))
          .then(function (answer) { return [run, answer[metric]]; });
      })).then(function (answers) {
        if (round !== asked) { return; }
        var lines = answers.filter(function (pair) { return pair[1]; }).map(function (pair) {
          return { x: pair[1].steps, y: pair[1].values, name: pair[0].name, mode: "lines" };
        });
        window.Plotly.react(overlay, lines, layout(metric + " by step", "step"));
      });
    }

    function drawScatter() {
      if (!paramChoice) { return; }
      var metric = metricChoice.value;
      var param = paramChoice.value;
      var shown = data.runs.filter(function (run) { return param in run.params && metric in run.last; });
      window.Plotly.react(scatter, [{
        x: shown.map(function (run) { return run.params[param]; }),
        y: shown.map(function (run) { return run.last[metric]; }),
        text: shown.map(function (run) { return run.name; }),
        mode: "markers", type: "scatter", marker: { size: 10 }, name: metric,
      }], layout("last " + metric + " by " + param, param));
    }

    metricChoice.addEventListener("change", function () { remember(); drawOverlay(); drawScatter(); });
    if (paramChoice) { paramChoice.addEventListener("change", function () { remember(); drawScatter(); }); }
    drawOverlay();
    drawScatter();
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

  return { runPage: runPage, runsTable: runsTable, runsCharts: runsCharts, comparePage: comparePage, drawMetrics: drawMetrics, shown: shown };
})();
