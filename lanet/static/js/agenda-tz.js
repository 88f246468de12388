// Shows the agenda also in the visitor's time zone: adds ?tz=<zone> once, when it differs
// from the event's. No inline script (the Content-Security-Policy forbids it).
(function () {
  "use strict";
  var agenda = document.querySelector("[data-event-tz]");
  if (agenda) {
    var zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
    var url = new URL(window.location.href);
    if (zone && !url.searchParams.has("tz") && zone !== agenda.getAttribute("data-event-tz")) {
      url.searchParams.set("tz", zone);
      window.location.replace(url.toString());
    }
  }
  document.querySelectorAll("[data-print]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      window.print();
    });
  });
})();
