// The production panel follows the workers: it asks for the run's progress every second and
// reloads the page once the run has finished, so the produced certificates appear.
(function () {
  "use strict";
  var box = document.getElementById("certificate-progress");
  if (!box || box.dataset.status === "finished") return;
  var bar = document.getElementById("certificate-progress-bar");
  var text = document.getElementById("certificate-progress-text");
  function say(template, run) {
    return template
      .replace("{done}", run.done)
      .replace("{total}", run.total)
      .replace("{failed}", run.failed);
  }
  function poll() {
    fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (run) {
        if (!run.status) return;
        bar.max = run.total || 1;
        bar.value = run.done + run.failed;
        text.textContent = say(text.dataset["msg" + run.status.charAt(0).toUpperCase() + run.status.slice(1)] || "", run);
        box.dataset.status = run.status;
        if (run.status === "finished") {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
})();
