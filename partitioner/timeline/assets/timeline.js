/* partitioner timeline: draws the lanes in #timeline-data on a canvas. No request of any kind is made.
   Exposed for tests and benches as window.partitionerTimeline (see the api object at the end). */
(function () {
  "use strict";
  var started = performance.now();
  var data = JSON.parse(document.getElementById("timeline-data").textContent);
  var parsed = performance.now();

  var FULL_ID = 1, FIXTURE = 2, OVERLAPPED = 4, PSEUDO = 8, PARTNERS = 16;
  var LABEL_W = 200, RIGHT_PAD = 24, AXIS_H = 30, ROW_H = 24, PLAN_H = 11, ROW_GAP = 10, PAD_BOTTOM = 12;
  var HIT_PX = 3;
  var css = getComputedStyle(document.documentElement);
  function color(name) { return css.getPropertyValue("--" + name).trim(); }
  var C = {
    ink: color("ink"), muted: color("muted"), line: color("line"), band: color("band"),
    pass: color("pass"), pass2: color("pass2"), fail: color("fail"), skip: color("skip"), xfail: color("xfail"),
    running: color("running"), setup: color("setup"), lead: color("lead"), idle: color("idle"),
    plan: color("plan"), mark: color("mark")
  };
  var STATUS_COLOR = {
    success: C.pass, fail: C.fail, uxsuccess: C.fail, skip: C.skip, xfail: C.xfail, inprogress: C.running,
    predicted: C.plan
  };

  var canvas = document.getElementById("canvas");
  var chart = document.getElementById("chart");
  var tip = document.getElementById("tip");
  var details = document.getElementById("details");
  /* the lanes are drawn on an off-screen base layer, redrawn only when the view or the size changes; hovering
     copies it and draws the outlines on top */
  var screenCtx = canvas.getContext("2d");
  var base = document.createElement("canvas"), baseCtx = base.getContext("2d"), baseKey = "";
  var ctx = baseCtx;
  var end = Math.max(data.end, 1);
  var view = { t0: 0, t1: end * 1.02 };
  var hovered = null, pinned = null, related = {};

  /* Rows: one per worker (of each section); a worker's actual lane on top, its predicted lane under it (thin).
     A plan alone draws its predicted lanes at full height. Sections (several plans on one page) get a
     heading above their first row. */
  var lanes = data.lanes;
  var hasActual = lanes.some(function (l) { return l.kind === "actual"; });
  /* a plan priced without timing history is in test-count units, not seconds: so are its figures, and the
     axis of a page that shows nothing else */
  var axisUnits = !hasActual && lanes.length > 0 && lanes.every(function (l) { return l.unit === "tests"; });
  var rows = [], rowOf = {};
  lanes.forEach(function (lane, index) {
    var key = (lane.section || "") + "\u0000" + lane.worker;
    var row = rowOf[key];
    if (!row) {
      row = { worker: lane.worker, section: lane.section || "", actual: null, predicted: null };
      rowOf[key] = row;
      rows.push(row);
    }
    lane.index = index;
    lane.thin = hasActual && lane.kind === "predicted";
    row[lane.kind] = lane;
    var bars = lane.bars, n = bars.s.length;
    lane.stops = new Array(n);
    for (var i = 0; i < n; i++) { lane.stops[i] = bars.s[i] + bars.d[i]; }
    lane.notable = [];
    for (i = 0; i < n; i++) {
      var st = data.statuses[bars.st[i]];
      if (st === "fail" || st === "uxsuccess" || st === "inprogress") { lane.notable.push(i); }
    }
    lane.flagged = {};
    bars.oi.forEach(function (b, k) { lane.flagged[b] = { overlapped: bars.ov[k] }; });
    bars.pi.forEach(function (b, k) {
      lane.flagged[b] = lane.flagged[b] || {};
      lane.flagged[b].partners = bars.pv[k];
    });
  });
  /* roomy lanes for a few workers, compact ones for many */
  ROW_H = rows.length <= 8 ? 30 : rows.length <= 16 ? 24 : rows.length <= 48 ? 18 : 12;
  PLAN_H = Math.round(ROW_H * 0.45);
  var SECTION_H = 30, headings = [], y = AXIS_H, section = "";
  rows.forEach(function (row) {
    if (row.section !== section) {
      section = row.section;
      headings.push({ text: section, y: y });
      y += SECTION_H;
    }
    row.y = y;
    if (row.actual) { row.actual.y = y; row.actual.h = ROW_H; y += ROW_H; }
    if (row.predicted) {
      var h = row.predicted.thin ? PLAN_H : ROW_H;
      row.predicted.y = y + (row.actual ? 2 : 0);
      row.predicted.h = h;
      y += h + (row.actual ? 2 : 0);
    }
    row.h = y - row.y;
    y += ROW_GAP;
  });
  var height = y + PAD_BOTTOM;

  function testId(lane, i) {
    var b = lane.bars;
    return (b.f[i] & FULL_ID) ? b.n[i] : data.classes[b.c[i]] + "." + b.n[i];
  }
  var byId = null;
  function locate(id) {
    if (!byId) {
      byId = {};
      lanes.forEach(function (lane) {
        if (lane.kind !== "actual") { return; }
        for (var i = 0; i < lane.bars.s.length; i++) { byId[testId(lane, i)] = [lane.index, i]; }
      });
    }
    return byId[id];
  }

  function seconds(us) {
    var s = us / 1e6;
    if (s >= 100) { return s.toFixed(0) + " s"; }
    if (s >= 1) { return s.toFixed(2) + " s"; }
    return (s * 1000).toFixed(s >= 0.01 ? 0 : 2) + " ms";
  }
  /* a lane's figure in its unit: seconds, or test-count units */
  function amount(us, lane) {
    if (lane.unit !== "tests") { return seconds(us); }
    var v = us / 1e6;
    return (v >= 100 ? v.toFixed(0) : v.toFixed(1)) + " units";
  }
  function unitsLabel(us) {
    var v = us / 1e6;
    return (v % 1 ? v.toFixed(1) : v.toFixed(0)) + " units";
  }
  function clockLabel(us, step, span) {
    var s = us / 1e6;
    if (step < 1e6) { return (s * 1000).toFixed(0) + " ms"; }
    if (span < 120e6 || step < 10e6) { return s.toFixed(s % 1 ? 1 : 0) + " s"; }
    var m = Math.floor(s / 60), r = Math.round(s - m * 60);
    if (m < 60) { return m + ":" + (r < 10 ? "0" : "") + r; }
    var hh = Math.floor(m / 60), mm = m % 60;
    return hh + ":" + (mm < 10 ? "0" : "") + mm + ":" + (r < 10 ? "0" : "") + r;
  }

  /* Geometry */
  var width = 800, dpr = 1;
  function plotW() { return Math.max(50, width - LABEL_W - RIGHT_PAD); }
  function xOf(t) { return LABEL_W + (t - view.t0) * plotW() / (view.t1 - view.t0); }
  function tOf(x) { return view.t0 + (x - LABEL_W) * (view.t1 - view.t0) / plotW(); }

  function pattern(fg, bg, spacing) {
    var tile = document.createElement("canvas");
    var size = Math.round(spacing * dpr);
    tile.width = tile.height = size;
    var t = tile.getContext("2d");
    t.fillStyle = bg; t.fillRect(0, 0, size, size);
    t.strokeStyle = fg; t.lineWidth = Math.max(1, dpr * 1.2);
    t.beginPath();
    t.moveTo(-1, size + 1); t.lineTo(size + 1, -1);
    t.moveTo(-1, 1); t.lineTo(1, -1);
    t.moveTo(size - 1, size + 1); t.lineTo(size + 1, size - 1);
    t.stroke();
    var p = ctx.createPattern(tile, "repeat");
    p.setTransform(new DOMMatrix().scale(1 / dpr));
    return p;
  }
  var P = {};
  function makePatterns() {
    P.setup = pattern("#e39a1a", C.setup, 6);
    P.lead = pattern("#edc47a", C.lead, 6);
    P.idle = pattern("#d6dce2", C.idle, 7);
  }

  function resize() {
    dpr = window.devicePixelRatio || 1;
    width = Math.max(320, chart.clientWidth);
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    canvas.style.height = height + "px";
    base.width = canvas.width;
    base.height = canvas.height;
    baseKey = "";
    makePatterns();
  }

  /* first index whose bar stops at or after t (bars on a lane do not overlap, so stops ascend) */
  function firstVisible(lane, t) {
    var stops = lane.stops, lo = 0, hi = stops.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (stops[mid] < t) { lo = mid + 1; } else { hi = mid; } }
    return Math.max(0, lo - 1);
  }

  function drawAxis() {
    var span = view.t1 - view.t0, target = plotW() / 110;
    var raw = span / Math.max(1, target), mag = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = [1, 2, 5, 10].map(function (k) { return k * mag; }).find(function (s) { return s >= raw; });
    if (span > 120e6 && step > 1e6) {
      step = [1e6, 2e6, 5e6, 10e6, 15e6, 30e6, 60e6, 120e6, 300e6, 600e6, 900e6, 1800e6, 3600e6]
        .find(function (s) { return s >= raw; }) || step;
    }
    ctx.font = "11.5px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    ctx.textAlign = "center";
    for (var t = Math.ceil(view.t0 / step) * step; t <= view.t1; t += step) {
      var x = Math.round(xOf(t)) + 0.5;
      ctx.strokeStyle = C.line; ctx.lineWidth = 1;
      ctx.beginPath(); ctx.moveTo(x, AXIS_H - 6); ctx.lineTo(x, height - PAD_BOTTOM); ctx.stroke();
      ctx.fillStyle = C.muted;
      ctx.fillText(axisUnits ? unitsLabel(t) : clockLabel(t, step, span), x, AXIS_H / 2 - 1);
    }
  }

  function drawLane(lane) {
    var bars = lane.bars, gaps = lane.gaps, yy = lane.y, h = lane.h;
    var x0 = Math.max(LABEL_W, xOf(0)), xEnd = Math.min(width - RIGHT_PAD, xOf(end));
    ctx.fillStyle = C.band;
    ctx.fillRect(x0, yy, Math.max(0, xEnd - x0), h);
    var i, x, w;
    for (i = 0; i < gaps.s.length; i++) {
      if (gaps.s[i] + gaps.d[i] < view.t0 || gaps.s[i] > view.t1) { continue; }
      x = xOf(gaps.s[i]); w = xOf(gaps.s[i] + gaps.d[i]) - x;
      if (w < 0.5) { continue; }
      ctx.fillStyle = gaps.k[i] ? P.lead : P.setup;
      ctx.fillRect(x, yy + (lane.thin ? 0 : 2), w, h - (lane.thin ? 0 : 4));
    }
    var idleFrom = lane.finish;
    if (lane.idle > 0 && idleFrom < view.t1) {
      x = xOf(idleFrom); w = xOf(idleFrom + lane.idle) - x;
      ctx.fillStyle = P.idle;
      ctx.fillRect(x, yy + 3, w, h - 6);
      if (w > 70 && !lane.thin) {
        ctx.fillStyle = C.muted; ctx.font = "11px system-ui, sans-serif"; ctx.textAlign = "center";
        ctx.fillText("idle " + amount(lane.idle, lane), x + w / 2, yy + h / 2 + 0.5);
      }
    }
    var prevClass = -1, shade = false, px = -1, markX = -Infinity;
    var first = firstVisible(lane, view.t0);
    if (first > 0) { prevClass = bars.c[first - 1]; }
    for (i = first; i < bars.s.length; i++) {
      var s = bars.s[i];
      if (s > view.t1) { break; }
      if (bars.c[i] !== prevClass) { shade = !shade; prevClass = bars.c[i]; }
      x = xOf(s); w = xOf(s + bars.d[i]) - x;
      var status = data.statuses[bars.st[i]];
      var fill = STATUS_COLOR[status] || C.muted;
      if (status === "success") { fill = shade ? C.pass : C.pass2; }
      if (status === "predicted") { fill = shade ? C.plan : "#b9cfe9"; }
      if (w < 1) {
        if (Math.floor(x) === px && status === "success") { continue; }
        w = 1;
      }
      px = Math.floor(x);
      ctx.fillStyle = fill;
      ctx.fillRect(x, yy, w, h);
      if (w > 4 && !lane.thin) {
        ctx.fillStyle = "rgba(255,255,255,.55)";
        ctx.fillRect(x + w - 1, yy, 1, h);
      }
      if (bars.f[i] & OVERLAPPED && !lane.thin && x - markX >= 6) {
        markX = x;
        ctx.fillStyle = C.mark;
        ctx.beginPath(); ctx.moveTo(x - 3.5, yy - 5); ctx.lineTo(x + 3.5, yy - 5); ctx.lineTo(x, yy + 1);
        ctx.closePath(); ctx.fill();
      }
    }
    /* failures, unfinished tests and fixtures on top, at least 3 px wide, so none hides in a dense lane */
    var notable = lane.notable;
    for (var k = 0; k < notable.length; k++) {
      i = notable[k];
      if (bars.s[i] > view.t1 || lane.stops[i] < view.t0) { continue; }
      x = xOf(bars.s[i]); w = xOf(lane.stops[i]) - x;
      if (w < 3) { x -= (3 - w) / 2; w = 3; }
      ctx.fillStyle = STATUS_COLOR[data.statuses[bars.st[i]]] || C.muted;
      ctx.fillRect(x, yy, w, h);
      if (w > 4 && !lane.thin) {
        ctx.fillStyle = "rgba(255,255,255,.7)";
        ctx.fillRect(x + w - 1, yy, 1, h);
      }
    }
    var fx = xOf(lane.finish);
    if (fx >= LABEL_W && fx <= width - RIGHT_PAD) {
      ctx.fillStyle = C.ink;
      ctx.fillRect(Math.round(fx) - 1, yy - 2, 2, h + 4);
    }
  }

  function outline(laneIndex, i, style, widthPx) {
    var lane = lanes[laneIndex], b = lane.bars;
    var x = xOf(b.s[i]), w = Math.max(2, xOf(b.s[i] + b.d[i]) - x);
    ctx.strokeStyle = style; ctx.lineWidth = widthPx;
    ctx.strokeRect(x - 1, lane.y - 1, w + 2, lane.h + 2);
  }

  function drawHeadings() {
    ctx.textAlign = "left"; ctx.textBaseline = "middle";
    headings.forEach(function (h) {
      ctx.fillStyle = "#fff";
      ctx.fillRect(0, h.y, width, SECTION_H - 4);
      ctx.fillStyle = C.line;
      ctx.fillRect(10, h.y + SECTION_H - 6, width - 10 - RIGHT_PAD, 1);
      ctx.fillStyle = C.ink; ctx.font = "600 14px system-ui, sans-serif";
      ctx.fillText(h.text, 10, h.y + SECTION_H / 2 - 2);
    });
  }

  function drawLabels() {
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, AXIS_H - 6, LABEL_W - 6, height);
    ctx.textAlign = "left"; ctx.textBaseline = "middle";
    rows.forEach(function (row) {
      var main = row.actual || row.predicted;
      ctx.fillStyle = C.ink; ctx.font = "600 13px system-ui, sans-serif";
      ctx.fillText(row.worker, 10, main.y + main.h / 2 - (row.actual ? 5 : 0));
      if (row.actual) {
        ctx.fillStyle = C.muted; ctx.font = "11px system-ui, sans-serif";
        ctx.fillText("finish " + seconds(row.actual.finish), 10, main.y + main.h / 2 + 8);
      }
      if (row.predicted && row.actual) {
        ctx.fillStyle = C.muted; ctx.font = "italic 10.5px system-ui, sans-serif";
        ctx.fillText("plan " + amount(row.predicted.finish, row.predicted), 112,
                     row.predicted.y + row.predicted.h / 2);
      } else if (row.predicted && !row.actual) {
        ctx.fillStyle = C.muted; ctx.font = "11px system-ui, sans-serif";
        ctx.textAlign = "right";
        ctx.fillText(amount(row.predicted.finish, row.predicted), LABEL_W - 14, main.y + main.h / 2);
        ctx.textAlign = "left";
      }
    });
  }

  function drawBase() {
    ctx = baseCtx;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, width, height);
    drawAxis();
    ctx.save();
    ctx.beginPath(); ctx.rect(LABEL_W, 0, plotW(), height); ctx.clip();
    lanes.forEach(drawLane);
    ctx.restore();
    drawLabels();
    drawHeadings();
  }
  var lastDrawMs = 0;
  function draw() {
    var t = performance.now();
    var key = [view.t0, view.t1, width, dpr].join(" ");
    if (key !== baseKey) { drawBase(); baseKey = key; }
    ctx = screenCtx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(base, 0, 0);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.save();
    ctx.beginPath(); ctx.rect(LABEL_W, 0, plotW(), height); ctx.clip();
    Object.keys(related).forEach(function (id) {
      var at = related[id];
      outline(at[0], at[1], C.mark, 2);
    });
    if (hovered && hovered.type === "bar") { outline(hovered.lane, hovered.index, C.ink, 1.5); }
    if (pinned && pinned.type === "bar") { outline(pinned.lane, pinned.index, C.ink, 2.5); }
    ctx.restore();
    lastDrawMs = performance.now() - t;
    return lastDrawMs;
  }
  var queued = false;
  function redraw() {
    if (!queued) { queued = true; requestAnimationFrame(function () { queued = false; draw(); }); }
  }

  /* Hit testing: which bar, gap or idle tail is at (x, y) in canvas CSS pixels */
  function laneAt(py) {
    for (var i = 0; i < lanes.length; i++) {
      var l = lanes[i];
      if (py >= l.y - 1 && py <= l.y + l.h + 1) { return l; }
    }
    return null;
  }
  function hit(px, py) {
    if (px < LABEL_W) { return null; }
    var lane = laneAt(py);
    if (!lane) { return null; }
    var t = tOf(px), tol = HIT_PX * (view.t1 - view.t0) / plotW();
    var b = lane.bars, best = -1, bestDist = Infinity, i;
    /* failures are drawn on top, at least 3 px wide: they win where they are drawn */
    for (var k = 0; k < lane.notable.length; k++) {
      i = lane.notable[k];
      var half = Math.max(b.d[i] / 2, 1.5 * (view.t1 - view.t0) / plotW()), mid = b.s[i] + b.d[i] / 2;
      if (Math.abs(t - mid) <= half) { return { type: "bar", lane: lane.index, index: i }; }
    }
    i = firstVisible(lane, t - tol);
    for (; i < b.s.length && b.s[i] <= t + tol; i++) {
      var s = b.s[i], e = s + b.d[i];
      var dist = t < s ? s - t : (t > e ? t - e : 0);
      if (dist <= tol && dist < bestDist) { best = i; bestDist = dist; }
    }
    if (best >= 0) { return { type: "bar", lane: lane.index, index: best }; }
    var g = lane.gaps;
    for (i = 0; i < g.s.length; i++) {
      if (t >= g.s[i] && t <= g.s[i] + g.d[i]) { return { type: "gap", lane: lane.index, index: i }; }
    }
    if (lane.idle > 0 && t >= lane.finish && t <= lane.finish + lane.idle) {
      return { type: "idle", lane: lane.index };
    }
    return null;
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function row(key, value, dot) {
    var r = el("div", "row");
    if (dot) { var d = el("span", "dot"); d.style.background = dot; r.appendChild(d); }
    r.appendChild(el("span", "k", key + ": "));
    r.appendChild(el("span", "v", value));
    return r;
  }
  function describe(target) {
    var lane = lanes[target.lane], parts = [];
    var predicted = lane.kind === "predicted";
    if (target.type === "bar") {
      var b = lane.bars, i = target.index, status = data.statuses[b.st[i]];
      parts.push(el("div", "id", testId(lane, i)));
      if (predicted) {
        parts.push(row("predicted", amount(b.d[i], lane), C.plan));
      } else {
        parts.push(row("status", status + ((b.f[i] & PSEUDO) ? " (runner pseudo-test)" : "") +
          ((b.f[i] & FIXTURE) ? " (class or module fixture)" : ""), STATUS_COLOR[status]));
        parts.push(row("duration", seconds(b.d[i])));
      }
      parts.push(row("worker", lane.worker + (predicted ? " (plan)" : "")));
      if (lane.section) { parts.push(row("plan", lane.section)); }
      parts.push(row("start", "+" + amount(b.s[i], lane) + ", stop +" + amount(b.s[i] + b.d[i], lane)));
      var flags = lane.flagged[i] || {};
      if (flags.partners) {
        parts.push(el("div", "row k", "ran beside it on other workers, most suspicious first:"));
        flags.partners.forEach(function (p) { parts.push(el("div", "row", "\u2022 " + p)); });
      }
      if (flags.overlapped) {
        parts.push(row("overlapped failed", flags.overlapped.join(", ")));
      }
    } else if (target.type === "gap") {
      var g = lane.gaps, k = target.index;
      if (g.k[k]) {
        parts.push(el("div", "id", predicted ? "predicted start-up" : "worker start-up"));
        parts.push(row("then setUpClass of", data.classes[g.c[k]]));
      } else {
        parts.push(el("div", "id", "class setup / teardown"));
        parts.push(row("setUpClass of", data.classes[g.c[k]]));
        parts.push(row("after tearDownClass of", data.classes[g.p[k]]));
      }
      parts.push(row("duration", amount(g.d[k], lane), g.k[k] ? C.lead : C.setup));
      parts.push(row("worker", lane.worker + (predicted ? " (plan)" : "")));
    } else {
      parts.push(el("div", "id", "idle tail"));
      parts.push(row("idle", amount(lane.idle, lane), C.idle));
      parts.push(row("worker", lane.worker + (predicted ? " (plan)" : "")));
      parts.push(row("finished", "+" + amount(lane.finish, lane) + " of " + amount(end, lane)));
    }
    return parts;
  }
  function showTip(target, px, py) {
    if (!target || same(target, pinned)) { tip.hidden = true; return; }
    tip.replaceChildren.apply(tip, describe(target));
    tip.hidden = false;
    var w = tip.offsetWidth, h = tip.offsetHeight;
    var left = px + 14, top = py + 16;
    if (left + w > chart.clientWidth - 4) { left = Math.max(4, px - w - 14); }
    if (top + h > chart.clientHeight - 4) { top = Math.max(4, py - h - 12); }
    tip.style.left = left + "px"; tip.style.top = top + "px";
  }
  function same(a, b) {
    return a && b && a.type === b.type && a.lane === b.lane && a.index === b.index;
  }
  /* a clicked bar's details go under the chart, where they cover nothing */
  function pin(target) {
    pinned = target;
    relate(target);
    if (target) {
      details.replaceChildren.apply(details, describe(target));
      details.hidden = false;
    } else {
      details.hidden = true;
    }
  }
  function relate(target) {
    related = {};
    if (!target || target.type !== "bar") { return; }
    var flags = lanes[target.lane].flagged[target.index] || {};
    (flags.partners || []).concat(flags.overlapped || []).forEach(function (id) {
      var at = locate(id);
      if (at) { related[id] = at; }
    });
  }

  function point(event) {
    var r = canvas.getBoundingClientRect();
    return [event.clientX - r.left, event.clientY - r.top];
  }
  var drag = null;
  canvas.addEventListener("mousemove", function (event) {
    var p = point(event);
    if (drag) {
      var dx = p[0] - drag.x;
      if (Math.abs(dx) > 3) { drag.moved = true; canvas.classList.add("dragging"); }
      if (drag.moved) {
        var dt = dx * (drag.t1 - drag.t0) / plotW();
        view.t0 = drag.t0 - dt; view.t1 = drag.t1 - dt;
        redraw();
        return;
      }
    }
    var found = hit(p[0], p[1]);
    if (!same(found, hovered)) { hovered = found; redraw(); }
    showTip(found, p[0], p[1]);
  });
  canvas.addEventListener("mouseleave", function () {
    hovered = null; tip.hidden = true; redraw();
  });
  canvas.addEventListener("mousedown", function (event) {
    var p = point(event);
    drag = { x: p[0], t0: view.t0, t1: view.t1, moved: false };
  });
  window.addEventListener("mouseup", function (event) {
    var wasDrag = drag && drag.moved;
    drag = null;
    canvas.classList.remove("dragging");
    if (wasDrag || event.target !== canvas) { return; }
    var p = point(event), found = hit(p[0], p[1]);
    pin(same(found, pinned) ? null : found);
    hovered = found;
    showTip(found, p[0], p[1]);
    redraw();
  });
  function zoom(factor, atX) {
    var t = tOf(atX), span = (view.t1 - view.t0) * factor;
    span = Math.min(Math.max(span, 1000), end * 1.02);
    var left = (atX - LABEL_W) / plotW();
    view.t0 = t - span * left; view.t1 = view.t0 + span;
    if (view.t0 < 0) { view.t1 -= view.t0; view.t0 = 0; }
    if (view.t1 > end * 1.02) { view.t0 -= view.t1 - end * 1.02; view.t1 = end * 1.02; view.t0 = Math.max(0, view.t0); }
    redraw();
  }
  canvas.addEventListener("wheel", function (event) {
    event.preventDefault();
    var p = point(event);
    zoom(Math.pow(1.0015, event.deltaY), Math.max(LABEL_W, p[0]));
  }, { passive: false });
  function reset() { view.t0 = 0; view.t1 = end * 1.02; redraw(); }
  canvas.addEventListener("dblclick", reset);
  canvas.addEventListener("keydown", function (event) {
    var mid = LABEL_W + plotW() / 2;
    if (event.key === "+" || event.key === "=") { zoom(0.7, mid); }
    else if (event.key === "-") { zoom(1 / 0.7, mid); }
    else if (event.key === "0") { reset(); }
    else if (event.key === "Escape") { pin(null); tip.hidden = true; redraw(); }
  });

  resize();
  var firstDraw = draw();
  if (window.ResizeObserver) {
    new ResizeObserver(function () {
      if (Math.abs(chart.clientWidth - width) > 1) { resize(); redraw(); }
    }).observe(chart);
  }

  /* milliseconds for one redraw, rasterised: canvas commands are deferred until something reads pixels */
  function timedDraw(full) {
    var t = performance.now();
    if (full) { baseKey = ""; }
    draw();
    screenCtx.getImageData(0, 0, 1, 1);
    return performance.now() - t;
  }

  window.partitionerTimeline = {
    data: data,
    lanes: function () {
      return lanes.map(function (l) {
        return { worker: l.worker, kind: l.kind, section: l.section || "", unit: l.unit, bars: l.bars.s.length,
                 gaps: l.gaps.s.length, finish: l.finish, idle: l.idle };
      });
    },
    testId: function (laneIndex, i) { return testId(lanes[laneIndex], i); },
    /* centre of bar i of lane laneIndex in client (viewport) coordinates */
    barBox: function (laneIndex, i) {
      var lane = lanes[laneIndex], r = canvas.getBoundingClientRect();
      var x0 = xOf(lane.bars.s[i]), x1 = xOf(lane.bars.s[i] + lane.bars.d[i]);
      return { x: r.left + (x0 + x1) / 2, y: r.top + lane.y + lane.h / 2, width: x1 - x0, height: lane.h };
    },
    hitAt: function (clientX, clientY) {
      var r = canvas.getBoundingClientRect();
      return hit(clientX - r.left, clientY - r.top);
    },
    /* what is pinned by a click, and the bars outlined because they ran beside it (or it beside them) */
    pinned: function () { return pinned; },
    related: function () { return Object.keys(related).sort(); },
    zoom: function (t0, t1) { view.t0 = t0; view.t1 = t1; return timedDraw(true); },
    reset: function () { view.t0 = 0; view.t1 = end * 1.02; return timedDraw(true); },
    /* redraw; with full, the lanes too (what a zoom or a pan costs), else only the outlines (a hover) */
    draw: timedDraw,
    stats: { parseMs: parsed - started, firstDrawMs: firstDraw, readyAt: performance.now(),
             scriptMs: performance.now() - started, paintedAt: null }
  };
  /* the frame after the first one that showed the canvas: when a person sees the lanes */
  requestAnimationFrame(function () {
    requestAnimationFrame(function () { window.partitionerTimeline.stats.paintedAt = performance.now(); });
  });
}());
