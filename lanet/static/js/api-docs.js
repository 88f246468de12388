// Starts the vendored Swagger UI on the API documentation page (no inline script: strict CSP).
(function () {
  "use strict";
  var target = document.getElementById("swagger-ui");
  if (!target || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: target.getAttribute("data-spec-url"),
    domNode: target,
    deepLinking: true,
    validatorUrl: null,
    supportedSubmitMethods: ["get", "post", "put", "delete", "patch"],
  });
})();
