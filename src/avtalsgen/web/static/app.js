// avtalsgen editor: everything works without this file; it only adds conveniences.
// Warn before leaving a form with unsaved changes.
document.addEventListener("DOMContentLoaded", () => {
  let dirty = false;
  document.querySelectorAll("form.editor").forEach((form) => {
    form.addEventListener("input", () => { dirty = true; });
    form.addEventListener("submit", () => { dirty = false; });
  });
  window.addEventListener("beforeunload", (event) => {
    if (dirty) { event.preventDefault(); }
  });
});
