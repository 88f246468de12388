// The event form: the time zone follows the country until someone types one of their own.
(function () {
  var form = document.querySelector("form.event-form");
  if (!form) return;
  var zones = JSON.parse(form.getAttribute("data-timezones") || "{}");
  var country = document.getElementById("country_code");
  var zone = document.getElementById("timezone");
  if (!country || !zone || zone.closest("[hidden]")) return;
  var touched = zone.value !== "";
  zone.addEventListener("input", function () { touched = true; });
  country.addEventListener("change", function () {
    if (!touched && zones[country.value]) zone.value = zones[country.value];
  });
})();
