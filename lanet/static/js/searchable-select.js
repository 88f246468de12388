// Long selects (an institution among hundreds, an event among all the Network's) become a
// searchable field: a search box above the list keeps only the options that match what is
// typed, and picks the first of them. Without script the plain list still works and fits.
(function () {
  "use strict";

  var LONG = 15;

  function fold(text) {
    // Case and accents do not matter: "cancilleria" finds "Cancillería".
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function enhance(select) {
    if (select.multiple || select.options.length <= LONG || select.dataset.searchable === "no") {
      return;
    }
    var search = document.createElement("input");
    search.type = "search";
    search.className = "select-search";
    search.setAttribute("autocomplete", "off");
    search.placeholder = document.documentElement.dataset.searchPlaceholder || "…";
    search.setAttribute("aria-label", search.placeholder);
    search.setAttribute("aria-controls", select.id || "");
    var box = document.createElement("span");
    box.className = "searchable-select";
    select.parentNode.insertBefore(box, select);
    box.appendChild(search);
    box.appendChild(select);

    search.addEventListener("input", function () {
      var wanted = fold(search.value.trim());
      var first = null;
      Array.prototype.forEach.call(select.options, function (option) {
        var shown = !wanted || option.value === "" || fold(option.text).indexOf(wanted) !== -1;
        option.hidden = !shown;
        if (shown && first === null && option.value !== "" && wanted) {
          first = option;
        }
      });
      if (first !== null) {
        select.value = first.value;
        select.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("main select"), enhance);
})();
