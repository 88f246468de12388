// The bulletin's staff page: each send's progress bar follows the outbox while it runs, and
// the page reloads once a worker has written a draft.
(function () {
  "use strict";

  function update(box, data) {
    var bar = box.querySelector("progress");
    var done = data.sent + data.failed + data.skipped;
    bar.max = Math.max(data.total, 1);
    bar.value = done;
    ["total", "queued", "sent", "failed", "skipped"].forEach(function (name) {
      var cell = box.querySelector('[data-count="' + name + '"]');
      if (cell) { cell.textContent = String(data[name]); }
    });
    var state = box.querySelector(".send-state");
    state.textContent = data.finished ? state.dataset.finishedText : state.dataset.runningText;
    box.classList.toggle("send-finished", data.finished);
  }

  function follow(box) {
    var url = box.dataset.progressUrl;
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (data) { update(box, data); }
          if (!data || !data.finished) { window.setTimeout(poll, 1000); }
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    }
    poll();
  }

  document.querySelectorAll("[data-progress-url]").forEach(follow);

  var compiling = document.querySelector("[data-reload-while-compiling]");
  if (compiling) {
    window.setTimeout(function () { window.location.reload(); }, 1500);
  }
})();
