// The progress page of a bulk send follows the worker: it asks for the job's counts every
// two seconds and reloads the page once the job has finished, so failures with their rows
// appear. Without JavaScript the page's <noscript> refresh does the same every five seconds.
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box || box.dataset.status === "done" || box.dataset.status === "failed") return;
  var bar = document.getElementById("import-bar");
  var state = document.getElementById("import-state");
  function show(job) {
    ["total", "processed", "sent", "skipped", "failed"].forEach(function (name) {
      var cell = box.querySelector('[data-count="' + name + '"]');
      if (cell) cell.textContent = job[name];
    });
    bar.max = job.total || 1;
    bar.value = job.processed;
    var message = state.dataset["msg" + job.status.charAt(0).toUpperCase() + job.status.slice(1)];
    if (message) state.textContent = message;
    box.dataset.status = job.status;
  }
  function poll() {
    fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (job) {
        if (!job.status) return;
        show(job);
        if (job.finished) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 2000);
        }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
