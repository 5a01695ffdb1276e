// "Check now" shows its progress and result on the same page (issue 12). The page carries a
// status line (#camera-check-status, templates/admin/cameras/camera/check_status.html) with the
// cameras asked for and the time of the request; this polls /cameras/check-status/ every few
// seconds and updates in place every element marked data-camera-id + data-camera-field (the
// badges of the list, the rows of the camera page) until each camera has a result newer than
// the request. An external file: the Content-Security-Policy allows no inline script.
(function () {
  "use strict";

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) {
      return name in values ? String(values[name]) : all;
    });
  }

  function elements(id, field) {
    return document.querySelectorAll(
      '[data-camera-id="' + id + '"][data-camera-field="' + field + '"]'
    );
  }

  function setBadge(element, badge, title) {
    element.textContent = badge.label;
    element.className = "badge badge-" + badge.colour;
    if (title !== undefined) { element.title = title; }
  }

  function update(camera) {
    elements(camera.id, "health").forEach(function (element) {
      setBadge(element, camera.health, camera.last_error);
    });
    elements(camera.id, "connection_status").forEach(function (element) {
      setBadge(element, camera.connection_status);
    });
    elements(camera.id, "last_error").forEach(function (element) {
      if (element.classList.contains("cell-note")) {
        element.textContent = camera.last_error;
        element.hidden = !camera.last_error;
      } else {
        element.textContent = camera.last_error || "-";
      }
    });
    elements(camera.id, "last_checked_at").forEach(function (element) {
      var time = camera.last_checked_at;
      element.textContent =
        (element.getAttribute("data-camera-format") === "short" ? time.short : time.full) || "-";
      if (time.iso) { element.setAttribute("datetime", time.iso); }
      element.title = time.full;
    });
    elements(camera.id, "verdict").forEach(function (element) {
      var lines = camera.verdict.length ? camera.verdict : ["-"];
      element.textContent = "";
      lines.forEach(function (line) {
        var div = document.createElement("div");
        div.textContent = line;
        element.appendChild(div);
      });
    });
  }

  function markChecking(ids, on) {
    ids.forEach(function (id) {
      elements(id, "health").forEach(function (element) {
        element.classList.toggle("is-checking", on);
        if (on) { element.setAttribute("aria-busy", "true"); } else {
          element.removeAttribute("aria-busy");
        }
      });
    });
  }

  function follow(box) {
    var ids = box.getAttribute("data-ids").split(",").filter(Boolean);
    var text = box.querySelector(".check-status-text") || box;
    var interval = parseInt(box.getAttribute("data-poll-ms"), 10) || 2000;
    var giveUp = parseInt(box.getAttribute("data-give-up-ms"), 10) || 300000;
    var url = box.getAttribute("data-url") + "?ids=" + encodeURIComponent(ids.join(",")) +
      "&since=" + encodeURIComponent(box.getAttribute("data-since"));
    var started = Date.now();
    var failures = 0;
    var waiting = ids.slice();

    function finish(state, message) {
      box.setAttribute("data-state", state);
      text.textContent = message;
      markChecking(waiting, false);
    }

    function answered(data) {
      failures = 0;
      var done = 0;
      var pending = [];
      data.cameras.forEach(function (camera) {
        if (camera.pending) {
          pending.push(String(camera.id));
        } else {
          done += 1;
          update(camera);
        }
      });
      markChecking(waiting.filter(function (id) { return pending.indexOf(id) < 0; }), false);
      waiting = pending;
      var values = { done: done, total: data.cameras.length };
      if (!pending.length) {
        finish("done", fill(box.getAttribute("data-text-done"), values));
        var before = box.getAttribute("data-connection-status");
        if (before && data.cameras.length && data.cameras[0].connection_status.value !== before) {
          text.textContent += " " + box.getAttribute("data-text-status-changed");
        }
        return;
      }
      if (Date.now() - started > giveUp) {
        finish("slow", box.getAttribute("data-text-slow"));
        return;
      }
      text.textContent = fill(box.getAttribute("data-text-checking"), values);
      window.setTimeout(poll, interval);
    }

    function failed() {
      failures += 1;
      if (failures >= 3) {
        finish("failed", box.getAttribute("data-text-failed"));
      } else {
        window.setTimeout(poll, interval);
      }
    }

    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.json();
        })
        .then(answered, failed);
    }

    markChecking(ids, true);
    poll();
  }

  function setUp() {
    var box = document.getElementById("camera-check-status");
    if (box && box.getAttribute("data-state") === "checking") { follow(box); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
