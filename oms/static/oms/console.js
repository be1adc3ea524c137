// The console's few behaviours, kept in a file so the Content-Security-Policy needs no inline script.
// A button with data-confirm="question" asks before it submits its form.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});
