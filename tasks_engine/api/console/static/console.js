/* Tasks Engine console: the little that is live on its pages, without inline scripts (the CSP forbids them).
 *  - [data-poll] elements fetch their fragment again every data-every ms (until it holds [data-final]);
 *  - #log follows the run's log over EventSource (the cookie authenticates it) with ANSI colours turned
 *    into a fixed set of classes, text always set with textContent (never parsed as HTML);
 *  - forms with data-confirm ask first.
 * The ANSI rules are those of tasks_engine/api/console/ansi.py. */
(function () {
  "use strict";

  function loginUrl() {
    return "/console/login?next=" + encodeURIComponent(location.pathname + location.search);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  function poll(element) {
    var every = parseInt(element.getAttribute("data-every") || "2000", 10);
    function tick() {
      if (document.hidden) {
        setTimeout(tick, every);
        return;
      }
      fetch(element.getAttribute("data-poll"), {credentials: "same-origin", cache: "no-store",
                                                headers: {"Accept": "text/html"}})
        .then(function (reply) {
          if (reply.status === 401) {
            location.assign(loginUrl());
            return null;
          }
          return reply.ok ? reply.text() : "";
        })
        .then(function (html) {
          if (html === null) {
            return;
          }
          if (html) {
            var focused = document.activeElement && element.contains(document.activeElement)
              ? document.activeElement.id : "";
            element.innerHTML = html;
            if (focused && document.getElementById(focused)) {
              document.getElementById(focused).focus();
            }
            if (element.querySelector("[data-final]")) {
              return;
            }
          }
          setTimeout(tick, every);
        })
        .catch(function () { setTimeout(tick, every); });
    }
    setTimeout(tick, every);
  }

  document.querySelectorAll("[data-poll]").forEach(poll);

  /* ---- ANSI SGR -> classes ---- */
  var ESCAPES = /\x1b\[([0-9;:?]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?/g;
  var CONTROLS = /[\x00-\x08\x0b-\x1f\x7f]/g;

  function Style() {
    this.fg = null; this.bg = null; this.bold = false; this.dim = false; this.italic = false; this.underline = false;
  }
  Style.prototype.classes = function () {
    var names = [];
    if (this.fg !== null) { names.push("fg" + this.fg); }
    if (this.bg !== null) { names.push("bg" + this.bg); }
    if (this.bold) { names.push("b"); }
    if (this.dim) { names.push("d"); }
    if (this.italic) { names.push("i"); }
    if (this.underline) { names.push("u"); }
    return names.join(" ");
  };

  function applySgr(style, params) {
    var codes = params ? params.replace(/:/g, ";").split(";").map(function (p) {
      return /^[0-9]+$/.test(p) ? parseInt(p, 10) : 0;
    }) : [0];
    for (var i = 0; i < codes.length; i++) {
      var c = codes[i];
      if (c === 0) { style = new Style(); }
      else if (c === 1) { style.bold = true; }
      else if (c === 2) { style.dim = true; }
      else if (c === 3) { style.italic = true; }
      else if (c === 4) { style.underline = true; }
      else if (c === 22) { style.bold = false; style.dim = false; }
      else if (c === 23) { style.italic = false; }
      else if (c === 24) { style.underline = false; }
      else if ((c >= 30 && c <= 37) || (c >= 90 && c <= 97)) { style.fg = c < 90 ? c - 30 : c - 82; }
      else if ((c >= 40 && c <= 47) || (c >= 100 && c <= 107)) { style.bg = c < 100 ? c - 40 : c - 92; }
      else if (c === 39) { style.fg = null; }
      else if (c === 49) { style.bg = null; }
      else if (c === 38 || c === 48) {
        if (codes[i + 1] === 5) {
          var n = codes[i + 2];
          if (n >= 0 && n < 16) { if (c === 38) { style.fg = n; } else { style.bg = n; } }
          i += 2;
        } else if (codes[i + 1] === 2) {
          i += 4;
        }
      }
    }
    return style;
  }

  function Ansi() { this.style = new Style(); }
  Ansi.prototype.segments = function (line) {
    if (line.slice(-1) === "\r") { line = line.slice(0, -1); }
    var pieces = [], position = 0, match;
    ESCAPES.lastIndex = 0;
    while ((match = ESCAPES.exec(line)) !== null) {
      if (match[0] === "") { ESCAPES.lastIndex++; continue; }
      pieces.push([this.style.classes(), line.slice(position, match.index)]);
      if (match[2] === "m") { this.style = applySgr(this.style, match[1] || ""); }
      position = match.index + match[0].length;
    }
    pieces.push([this.style.classes(), line.slice(position)]);
    for (var k = pieces.length - 1; k >= 0; k--) {
      var cut = pieces[k][1].lastIndexOf("\r");
      if (cut >= 0) {
        pieces = [[pieces[k][0], pieces[k][1].slice(cut + 1)]].concat(pieces.slice(k + 1));
        break;
      }
    }
    var out = [];
    pieces.forEach(function (piece) {
      var text = piece[1].replace(CONTROLS, "");
      if (!text) { return; }
      if (out.length && out[out.length - 1][0] === piece[0]) { out[out.length - 1][1] += text; }
      else { out.push([piece[0], text]); }
    });
    return out;
  };

  /* ---- the live log ---- */
  var log = document.getElementById("log");
  if (log && !log.hasAttribute("data-complete")) {
    var ansi = new Ansi();
    var count = parseInt(log.getAttribute("data-lines"), 10) || 0;
    var pending = "";
    var follow = document.getElementById("log-follow");
    var state = document.getElementById("log-state");
    var badge = document.getElementById("log-status");
    var hashSeen = !location.hash;

    var addLine = function (parent, text) {
      count += 1;
      var row = document.createElement("div");
      row.className = "line";
      row.id = "L" + count;
      var anchor = document.createElement("a");
      anchor.className = "n";
      anchor.href = "#L" + count;
      anchor.textContent = String(count);
      var body = document.createElement("span");
      body.className = "t";
      ansi.segments(text).forEach(function (segment) {
        if (segment[0]) {
          var span = document.createElement("span");
          span.className = segment[0];
          span.textContent = segment[1];
          body.appendChild(span);
        } else {
          body.appendChild(document.createTextNode(segment[1]));
        }
      });
      row.appendChild(anchor);
      row.appendChild(body);
      parent.appendChild(row);
    };

    var append = function (text, flush) {
      var lines = (pending + text).split("\n");
      pending = lines.pop();
      if (flush && pending) { lines.push(pending); pending = ""; }
      if (!lines.length) { return; }
      var batch = document.createDocumentFragment();
      lines.forEach(function (line) { addLine(batch, line); });
      log.appendChild(batch);
      if (!hashSeen && document.getElementById(location.hash.slice(1))) {
        hashSeen = true;
        follow.checked = false;
        document.getElementById(location.hash.slice(1)).scrollIntoView();
      } else if (follow && follow.checked) {
        window.scrollTo(0, document.body.scrollHeight);
      }
    };

    var setStatus = function (status) {
      if (badge && status) {
        badge.textContent = status;
        badge.className = "status s-" + status.toLowerCase();
      }
    };

    var source = new EventSource(log.getAttribute("data-events") + "?offset=" + log.getAttribute("data-offset"));
    source.addEventListener("log", function (event) { append(JSON.parse(event.data), false); });
    source.addEventListener("status", function (event) {
      var data = JSON.parse(event.data);
      setStatus(data.status);
      state.textContent = data.queueInfo ? "waiting: " + data.queueInfo.reason : "following…";
    });
    source.addEventListener("eof", function (event) {
      var data = JSON.parse(event.data);
      append("", true);
      setStatus(data.status);
      state.textContent = "complete";
      log.setAttribute("data-complete", "");
      source.close();
    });
    source.addEventListener("error", function (event) {
      if (event.data) {  /* the server's own error event */
        var data = JSON.parse(event.data);
        state.textContent = data.message;
        if (data.code === "not_found") { source.close(); }
      } else if (source.readyState === EventSource.CLOSED) {
        state.textContent = "stopped following: reload the page";
        fetch(location.href, {credentials: "same-origin", redirect: "manual"})
          .then(function (reply) { if (reply.type === "opaqueredirect") { location.assign(loginUrl()); } });
      } else {
        state.textContent = "reconnecting…";
      }
    });
  }
}());
