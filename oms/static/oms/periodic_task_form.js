// Periodic task form (django-celery-beat): under the crontab field, what the chosen schedule means.
(function () {
  const readable = JSON.parse(document.getElementById("readable-crontabs").textContent);
  const crontab = document.getElementById("id_crontab");
  const help = document.querySelector(".field-crontab .help");
  const original = document.currentScript.dataset.crontabHelp;
  const translationRow = document.querySelector(".field-crontab_translation");
  if (translationRow) translationRow.style.display = "none";
  if (!crontab || !help) return;
  crontab.addEventListener("change", () => {
    help.textContent = original;
    const meaning = readable[crontab.value];
    if (meaning) {
      help.append(document.createElement("br"), `Translation: ${meaning}`);
    }
  });
})();
