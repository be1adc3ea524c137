// Progressive help for hand scanners (the pages work without it): a scanner types the code and
// presses Enter. In a field that names a next field (data-next), Enter moves there instead of
// sending the form, so bin then item is one motion; a field scanned into again is replaced, not
// appended to.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("input[data-next]").forEach(function (field) {
    field.addEventListener("keydown", function (event) {
      var next = document.getElementById(field.dataset.next);
      if (event.key === "Enter" && next && field.value.trim() !== "" && next.value.trim() === "") {
        event.preventDefault();
        next.focus();
      }
    });
  });
  document.querySelectorAll(".pick-scan input[type=text]").forEach(function (field) {
    field.addEventListener("focus", function () { field.select(); });
  });
});
