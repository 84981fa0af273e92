// avtalsgen editor: everything works without this file; it only adds conveniences.
// Warn before leaving a form with unsaved changes.
document.addEventListener("DOMContentLoaded", () => {
  let dirty = false;
  document.querySelectorAll("form.editor").forEach((form) => {
    // A form the server sent back after "Lägg till" and the like holds unsaved changes.
    if (form.dataset.unsaved === "true") { dirty = true; }
    form.addEventListener("input", () => { dirty = true; });
    form.addEventListener("submit", () => { dirty = false; });
  });
  window.addEventListener("beforeunload", (event) => {
    if (dirty) { event.preventDefault(); }
  });
});
