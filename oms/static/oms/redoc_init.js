// Starts ReDoc on /api/redoc/ from a file, so the Content-Security-Policy needs no inline script.
(function () {
  const container = document.getElementById("redoc-container");
  const settings = JSON.parse(document.getElementById("redoc-settings").textContent || "{}");
  Redoc.init(container.dataset.specUrl, typeof settings === "string" ? JSON.parse(settings) : settings, container);
})();
