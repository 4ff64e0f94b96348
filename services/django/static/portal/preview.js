// An upload's preview: a changed sheet, header row or column type is shown at once, as the
// "Update the preview" button would (that button stays for browsers without scripts).
document.getElementById("preview").addEventListener("change", (event) => {
  if (event.target.tagName !== "SELECT") return;
  const form = event.currentTarget;
  form.requestSubmit(form.querySelector('button[value="update"]'));
});
