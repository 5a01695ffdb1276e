// Follows a background export (reports/export_job.html): asks the job's status every two
// seconds until it is ready, failed or expired, and shows the download link when it is ready.
// An external file: the Content-Security-Policy allows no inline script.
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("export-job");
  if (!box || !box.dataset.statusUrl) { return; }
  var url = box.dataset.statusUrl;
  var status = document.getElementById("export-status");
  var bar = document.getElementById("export-progress");
  var rows = document.getElementById("export-rows");
  var message = document.getElementById("export-message");
  var download = document.getElementById("export-download");
  var link = document.getElementById("export-download-link");
  var delay = 2000;

  function show(data) {
    status.textContent = data.label;
    status.className = "job-status job-" + data.status;
    if (bar) { bar.value = data.percent; bar.textContent = data.percent + " %"; }
    if (rows) { rows.textContent = data.rows_text; }
    if (data.message) {
      message.textContent = data.message;
      message.className = "job-message";
      message.hidden = false;
    }
    if (data.download) {
      link.href = data.download;
      download.hidden = false;
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      })
      .then(function (data) {
        show(data);
        if (data.status === "queued" || data.status === "running") {
          window.setTimeout(poll, delay);
        }
      })
      .catch(function () {
        // A network hiccup or a restart: try again, less often.
        delay = Math.min(delay * 2, 30000);
        window.setTimeout(poll, delay);
      });
  }

  window.setTimeout(poll, delay);
});
