// DataMorph web page: live run timeline and log (server-sent events), the rows preview, small helpers.
// No framework, no build step; the pages work without this script except for the live updates.
"use strict";

(function () {
  function $(sel, root) { return (root || document).querySelector(sel); }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function durationText(ms) {
    if (ms === null || ms === undefined) return "…";
    if (ms < 1000) return Math.round(ms) + " ms";
    if (ms < 60000) return (ms / 1000).toFixed(2) + " s";
    return (ms / 60000).toFixed(1) + " min";
  }

  // -- server down: a banner, and a check every few seconds until /health answers again --------
  var offlineTimer = null;
  function checkServer(onBack) {
    fetch("/health", { cache: "no-store" }).then(function (r) {
      if (!r.ok) throw new Error("status " + r.status);
      $("#offline").hidden = true;
      offlineTimer = null;
      if (onBack) onBack();
    }).catch(function () {
      $("#offline").hidden = false;
      offlineTimer = setTimeout(function () { checkServer(onBack); }, 3000);
    });
  }

  // -- the run page -----------------------------------------------------------------------------
  function watchRun(box) {
    var runId = box.getAttribute("data-run-id");
    var timeline = $("#timeline");
    var logList = $("#log");
    var statusEl = $("#run-status");
    var steps = [];        // {name, start, end, duration, status}
    var latest = 0;        // newest event time (ms since epoch, server clock)
    var receivedAt = 0;    // when it arrived (client clock)
    var cleared = false;
    var ended = false;
    var source = null;

    function ts(entry) { var t = Date.parse(entry.timestamp); return isNaN(t) ? latest : t; }

    function running() { for (var i = steps.length - 1; i >= 0; i--) if (steps[i].status === "running") return steps[i]; return null; }

    function render() {
      if (!steps.length) return;
      var t0 = steps[0].start;
      var now = ended ? latest : latest + (Date.now() - receivedAt);
      var t1 = Math.max(now, t0 + 1);
      steps.forEach(function (s) { if (s.end !== null) t1 = Math.max(t1, s.end); });
      var total = t1 - t0;
      timeline.textContent = "";
      steps.forEach(function (s) {
        var end = s.end !== null ? s.end : t1;
        var row = el("div", "step st-" + s.status);
        row.setAttribute("role", "listitem");
        row.setAttribute("data-step", s.name);
        row.appendChild(el("span", "step-name", s.name));
        var track = el("span", "track");
        var bar = el("span", "bar");
        bar.style.left = (100 * (s.start - t0) / total).toFixed(2) + "%";
        bar.style.width = Math.max(100 * (end - s.start) / total, 0.5).toFixed(2) + "%";
        track.appendChild(bar);
        row.appendChild(track);
        var ms = s.duration !== null ? s.duration : (s.status === "running" ? now - s.start : null);
        row.appendChild(el("span", "step-time", durationText(ms)));
        timeline.appendChild(row);
      });
    }

    function addLog(entry) {
      var li = el("li", "lt-" + entry.type);
      li.appendChild(el("time", null, (entry.timestamp || "").slice(11, 23)));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("span", "lt", entry.type));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("strong", null, entry.title));
      li.appendChild(document.createTextNode(" "));
      var d = entry.description || "";
      li.appendChild(el("span", "desc", d.length > 400 ? d.slice(0, 397) + "..." : d));
      logList.appendChild(li);
      $("#log-count").textContent = String(logList.children.length);
    }

    function onLog(ev) {
      var entry = JSON.parse(ev.data);
      if (!cleared) { logList.textContent = ""; steps = []; cleared = true; }
      latest = Math.max(latest, ts(entry)); receivedAt = Date.now();
      addLog(entry);
      var meta = entry.metadata || {};
      if (meta.step && meta.phase === "start") {
        steps.push({ name: meta.step, start: ts(entry), end: null, duration: null, status: "running" });
      } else if (meta.step && meta.phase === "end") {
        for (var i = steps.length - 1; i >= 0; i--) {
          if (steps[i].name === meta.step && steps[i].status === "running") {
            steps[i].end = ts(entry);
            steps[i].duration = typeof meta.duration_ms === "number" ? meta.duration_ms : steps[i].end - steps[i].start;
            steps[i].status = meta.status === "skipped" ? "skipped" : "ok";
            break;
          }
        }
      } else if (entry.type === "error") {
        var r = running();
        if (r) { r.status = "failed"; r.end = ts(entry); r.duration = r.end - r.start; }
      }
      if (statusEl.textContent !== "running" && !ended) setStatus("running");
      render();
    }

    function setStatus(s) {
      statusEl.textContent = s;
      statusEl.className = "status s-" + s;
    }

    function onResult(ev) {
      ended = true;
      if (source) source.close();
      var result = JSON.parse(ev.data) || {};
      var body = result.body || result;
      var r = running();
      if (r) { r.status = body.status === "completed" ? "ok" : "failed"; r.end = latest; r.duration = r.end - r.start; }
      render();
      box.setAttribute("data-ended", "true");
      var logBox = $(".log-box");
      if (logBox) logBox.open = false;  // the run has ended: make room for its result and tests
      fetch("/ui/runs/" + encodeURIComponent(runId) + "/check", { cache: "no-store", credentials: "same-origin" })
        .then(function (resp) { if (!resp.ok) throw new Error("status " + resp.status); return resp.text(); })
        .then(function (html) {
          $("#check").innerHTML = html;
          setStatus(body.status || "failed");
          loadPreview();
        })
        .catch(function () { setStatus(body.status || "failed"); checkServer(null); });
    }

    function connect() {
      source = new EventSource("/ui/runs/" + encodeURIComponent(runId) + "/events");
      cleared = false;
      source.addEventListener("log", onLog);
      source.addEventListener("result", onResult);
      source.onerror = function () {
        if (ended) return;
        source.close();
        checkServer(function () { if (!ended) connect(); });
      };
    }

    connect();
    var tick = setInterval(function () { if (ended) clearInterval(tick); else if (running()) render(); }, 500);
  }

  // -- the rows preview: loaded into the page, its sort and page links replace it in place ------------
  function loadPreview(url) {
    var box = $("#preview");
    if (!box) return;
    url = url || box.getAttribute("data-src");
    fetch(url, { cache: "no-store", credentials: "same-origin" })
      .then(function (resp) { return resp.text(); })
      .then(function (html) { box.innerHTML = html; })
      .catch(function () { checkServer(null); });
  }

  document.addEventListener("click", function (ev) {
    var a = ev.target.closest ? ev.target.closest("a[data-preview]") : null;
    if (a && $("#preview")) {
      ev.preventDefault();
      loadPreview(a.getAttribute("href"));
    }
  });

  // A form is sent only when the server answers /health: otherwise the page says the server is down
  // (instead of the browser's own error page) and keeps what was typed.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (form.getAttribute("data-checked") === "true") { form.removeAttribute("data-checked"); return; }
    ev.preventDefault();
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) return;
    var submitter = ev.submitter || null;
    form.setAttribute("aria-busy", "true");
    form.classList.add("busy");
    fetch("/health", { cache: "no-store" }).then(function (r) {
      if (!r.ok) throw new Error("status " + r.status);
      $("#offline").hidden = true;
      form.setAttribute("data-checked", "true");
      if (form.requestSubmit) form.requestSubmit(submitter); else form.submit();
    }).catch(function () {
      form.removeAttribute("aria-busy");
      form.classList.remove("busy");
      checkServer(null);
    });
  });

  document.addEventListener("DOMContentLoaded", function () {
    var prompt = $("#prompt");
    if (prompt) {
      prompt.addEventListener("input", function () {  // a reading picked for another request no longer applies
        var chosen = $("#chosen-spec");
        if (chosen) chosen.remove();
      });
      prompt.addEventListener("keydown", function (ev) {  // Ctrl/Cmd+Enter plans
        if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); $("[data-testid=plan]").click(); }
      });
    }
    var box = $("#watch");
    if (box && box.getAttribute("data-ended") === "false") watchRun(box);
    loadPreview();
  });
})();
