// avtalsgen editor: everything works without this file; it only adds conveniences.
"use strict";

// -- unsaved changes ------------------------------------------------------------------
// Warn before leaving a form with unsaved changes. A form the server sent back after
// "Lägg till" and the like holds unsaved changes too (data-unsaved).
let dirty = false;
document.addEventListener("input", (event) => {
  if (event.target.closest("form.editor")) { dirty = true; }
});
document.addEventListener("submit", (event) => {
  if (event.target.matches("form.editor") && !event.defaultPrevented) { dirty = false; }
});
window.addEventListener("beforeunload", (event) => {
  if (dirty) { event.preventDefault(); }
});

// -- editing actions without a page load -----------------------------------------------
// "Lägg till", "Ta bort", "Upp", "Ner" and "Byt" post the whole form, and the server
// answers with the page holding the changed (unsaved) form: only that form is swapped
// in, so the page keeps its scroll position, and the focus goes where the action
// points (the new item, the moved item, the place of the removed one).
const ACTION = "form:action";

function itemPrefix(path) {
  // "sections[0].content[2]" -> ["sections[0].content", 2]
  const found = /^(.*)\[(\d+)\]$/.exec(path);
  return found ? [found[1], Number(found[2])] : [path, null];
}

function firstControl(form, namePrefix) {
  // A field to type in first; the kind of a new item ("Stycke", "Punktlista") after.
  const controls = Array.from(form.querySelectorAll("input, textarea, select")).filter(
    (e) => e.type !== "hidden" && !e.disabled && e.name && e.name.startsWith(namePrefix));
  return controls.find((e) => !e.name.endsWith(".__kind__")) || controls[0] || null;
}

function button(form, value) {
  return form.querySelector(`button[name="${ACTION}"][value="${CSS.escape(value)}"]`);
}

function focusAfter(form, action) {
  const [verb, path] = [action.split(":")[0], action.slice(action.indexOf(":") + 1)];
  const [list, index] = itemPrefix(path);
  let target = null;
  if (verb === "add") {
    let last = -1;
    for (const element of form.querySelectorAll("[name]")) {
      if (element.name.startsWith(`${path}[`)) {
        const n = Number(element.name.slice(path.length + 1).split("]")[0]);
        if (n > last) { last = n; }
      }
    }
    target = last >= 0 ? firstControl(form, `${path}[${last}]`) : firstControl(form, path);
  } else if (verb === "up" || verb === "down") {
    const moved = index === null ? null : index + (verb === "up" ? -1 : 1);
    target = button(form, `${verb}:${list}[${moved}]`) ||
      button(form, `${verb === "up" ? "down" : "up"}:${list}[${moved}]`) ||
      firstControl(form, `${list}[${moved}]`);
  } else if (verb === "remove") {
    target = (index !== null && (firstControl(form, `${list}[${index}]`) ||
      firstControl(form, `${list}[${index - 1}]`))) || button(form, `add:${list}`);
  } else if (verb === "kind") {
    target = form.querySelector(`[name="${CSS.escape(path.split("=")[0])}.__kind__"]`);
  }
  (target || firstControl(form, "") || form).focus({ preventScroll: false });
}

async function act(form, submitter) {
  const body = new FormData(form);
  body.append(submitter.name, submitter.value);
  const response = await fetch(form.getAttribute("action") || window.location.href, {
    method: "POST", body, credentials: "same-origin",
  });
  const html = await response.text();
  const page = new DOMParser().parseFromString(html, "text/html");
  const fresh = page.querySelector("form.editor");
  if (!response.ok || !fresh) {
    // Anything but the changed form (a refusal, an error page): show it as a page load
    // would, so nothing is hidden from the person.
    document.open();
    document.write(html);
    document.close();
    return;
  }
  const notice = page.querySelector("main .unsaved-notice");
  const x = window.scrollX;
  const y = window.scrollY;
  const swapped = document.importNode(fresh, true);
  // A form opened in place keeps posting to its section and saving back to the document.
  if (form.hasAttribute("action")) { swapped.setAttribute("action", form.getAttribute("action")); }
  if (form.dataset.inPlace) { swapped.dataset.inPlace = form.dataset.inPlace; }
  form.replaceWith(swapped);
  if (notice && !document.querySelector("main .unsaved-notice")) {
    swapped.before(document.importNode(notice, true));
  }
  window.scrollTo(x, y);
  dirty = true;
  focusAfter(swapped, submitter.value);
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  const submitter = event.submitter;
  if (!form.matches("form.editor") || !submitter || submitter.name !== ACTION ||
      submitter.value === "save" || !window.fetch || !window.DOMParser) {
    return;
  }
  event.preventDefault();
  act(form, submitter).catch(() => form.submit());
}, true);

// -- keyboard shortcuts -----------------------------------------------------------------
// Ctrl+S (⌘S) saves the form being edited; Alt+Shift+↑/↓ move the item holding the focus
// up or down (its own "Upp"/"Ner" button); Alt+Shift+Delete removes it.
document.addEventListener("keydown", (event) => {
  const form = event.target.closest && event.target.closest("form.editor");
  if (!form) { return; }
  if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "s") {
    event.preventDefault();
    const save = form.querySelector(`button[name="${ACTION}"][value="save"]`);
    if (save) { save.click(); }
    return;
  }
  const verbs = { ArrowUp: "up", ArrowDown: "down", Delete: "remove" };
  if (!(event.altKey && event.shiftKey && verbs[event.key])) { return; }
  // The innermost list item around the focus with a button for this move.
  for (let element = event.target; element && element !== form; element = element.parentElement) {
    const own = Array.from(element.querySelectorAll(`button[name="${ACTION}"]`)).find(
      (b) => b.value.startsWith(`${verbs[event.key]}:`) && !b.disabled &&
        b.closest("li, tr, fieldset") === element);
    if (own) {
      event.preventDefault();
      own.click();
      return;
    }
  }
});

// -- the document is the editor ---------------------------------------------------------
// On a document's page, a click on a part of the document (a heading, a paragraph) or its
// "Ändra avsnittet" link opens that section's fields right there; "Spara" saves and
// shows the document again at that place. Without this file the link opens the
// section's own page.
// The control holding the text that was clicked (a paragraph, a list item, a heading),
// so the cursor lands where the person pointed, not in the section's first field.
function controlOf(form, clicked) {
  const wanted = (clicked || "").replace(/\s+/g, " ").trim();
  if (!wanted) { return null; }
  const controls = Array.from(form.querySelectorAll("textarea, input[type=text], input:not([type])"));
  const same = (c) => c.value.replace(/\s+/g, " ").trim();
  return controls.find((c) => same(c) === wanted) ||
    controls.find((c) => same(c).length > 3 && wanted.includes(same(c))) ||
    controls.find((c) => same(c).length > 3 && same(c).includes(wanted.slice(0, 60))) || null;
}

async function openInPlace(part, clicked) {
  if (part.nextElementSibling && part.nextElementSibling.matches(".in-place")) { return; }
  const url = part.dataset.edit;
  const response = await fetch(url, { credentials: "same-origin" });
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  const fresh = page.querySelector("form.editor");
  if (!response.ok || !fresh) { window.location.assign(url); return; }
  const form = document.importNode(fresh, true);
  form.setAttribute("action", url);
  form.dataset.inPlace = "true";
  const box = document.createElement("div");
  box.className = "in-place";
  const close = document.createElement("button");
  close.type = "button";
  close.className = "secondary";
  close.textContent = "Stäng utan att spara";
  close.addEventListener("click", () => {
    if (dirty && !window.confirm("Ändringarna är inte sparade. Stäng ändå?")) { return; }
    dirty = false;
    box.remove();
    part.hidden = false;
    part.querySelector(".doc-edit")?.focus();
  });
  box.append(form, close);
  part.hidden = true;
  part.after(box);
  const target = controlOf(form, clicked) || firstControl(form, "") || form;
  target.focus();
  target.scrollIntoView({ block: "center" });
}

document.addEventListener("click", (event) => {
  const part = event.target.closest(".doc-part[data-edit]");
  if (!part || !part.querySelector(".doc-edit")) { return; }
  const link = event.target.closest("a");
  if (link && !link.matches(".doc-edit")) { return; }
  if (window.getSelection && String(window.getSelection()).length > 0 && !link) { return; }
  event.preventDefault();
  const shown = event.target.closest("p, li, td, th, figcaption");
  const clicked = shown && !link ? shown.innerText.replace(/^\s*[\d.]+\s+/, "") : "";
  openInPlace(part, clicked).catch(() => window.location.assign(part.dataset.edit));
});

// Saving an in-place form: back to the document at the part just saved.
document.addEventListener("submit", async (event) => {
  const form = event.target;
  const submitter = event.submitter;
  if (!form.matches("form.editor[data-in-place]") || !submitter ||
      submitter.name !== ACTION || submitter.value !== "save") { return; }
  event.preventDefault();
  const body = new FormData(form);
  body.append(submitter.name, submitter.value);
  const response = await fetch(form.getAttribute("action"), {
    method: "POST", body, credentials: "same-origin" });
  if (response.ok && response.url.includes("sparat=1")) {
    dirty = false;
    const part = form.closest(".in-place").previousElementSibling;
    const next = `${window.location.pathname}?sparat=1#${part.id}`;
    if (window.location.search === "?sparat=1") {
      // Only the #part would change, and that alone loads nothing: load the page again.
      window.history.replaceState(null, "", next);
      window.location.reload();
    } else {
      window.location.assign(next);
    }
    return;
  }
  const html = await response.text();  // problems, a conflict: shown as a page would be
  document.open();
  document.write(html);
  document.close();
}, true);

// -- the outline without a page load ------------------------------------------------------
// "Flytta upp", "Flytta ned", "Gör till underavsnitt" and the others save at once; the
// page they lead to replaces this one's content in place, with the focus back on the
// same button of the section moved, and the address updated.
document.addEventListener("submit", async (event) => {
  const form = event.target;
  const submitter = event.submitter;
  if (!(form.getAttribute("action") || "").endsWith("/disposition") || !submitter ||
      submitter.name !== "op" || !window.fetch) { return; }
  event.preventDefault();
  const body = new FormData(form);
  body.append(submitter.name, submitter.value);
  const response = await fetch(form.getAttribute("action"), {
    method: "POST", body, credentials: "same-origin" });
  const html = await response.text();
  const page = new DOMParser().parseFromString(html, "text/html");
  const main = page.querySelector("main");
  if (!response.ok || !main || dirty) {
    // A refusal, or unsaved edits on this page the new content would drop: a page load.
    document.open();
    document.write(html);
    document.close();
    return;
  }
  const x = window.scrollX;
  const y = window.scrollY;
  document.querySelector("main").replaceWith(document.importNode(main, true));
  document.title = page.title;
  window.history.replaceState(null, "", response.url);
  window.scrollTo(x, y);
  document.dispatchEvent(new Event("avtalsgen:swapped"));
  if (window.htmx) { window.htmx.process(document.querySelector("main")); }
  const again = document.querySelector(
    `form[action$="/disposition"] button[name="op"][value="${CSS.escape(submitter.value)}"]`);
  (again || document.querySelector("main h1")).focus();
}, true);
