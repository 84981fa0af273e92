// avtalsgen editor: the grids (forms/grid.py) as a spreadsheet user expects them.
// Arrow keys and Enter move between cells, a block copied in Excel or LibreOffice
// (tab-separated text) pastes from the focused cell rightwards and downwards, a range
// of cells (Shift+click, drag, Shift+arrows) or the whole table copies out as such a
// block, and "Lägg till rad" / "Lägg till kolumn" work without a page load. Without
// this file the grids are ordinary form fields and their buttons ask the server.
(() => {
  "use strict";
  const CONTROL = "input:not([type=hidden]), textarea, select";

  // --- the grid as rows of cells -------------------------------------------------
  const cellsOf = (tr) => Array.from(tr.children).filter((c) => c.classList.contains("cell"));
  const controlOf = (cell) => (cell ? cell.querySelector(CONTROL) : null);
  const headRow = (table) => (table.tHead ? table.tHead.rows[0] : null);

  // The header row when it holds inputs (a statistics table's column headings), then
  // the body's rows.
  function matrix(table) {
    const rows = [];
    const head = headRow(table);
    if (head && head.querySelector(CONTROL)) { rows.push(cellsOf(head)); }
    for (const tr of table.tBodies[0].rows) { rows.push(cellsOf(tr)); }
    return rows;
  }

  function position(table, element) {
    const cell = element.closest(".cell");
    const rows = matrix(table);
    for (let r = 0; r < rows.length; r += 1) {
      const c = rows[r].indexOf(cell);
      if (c >= 0) { return { r, c }; }
    }
    return null;
  }

  function hidden(table, name) {
    const scope = table.closest("fieldset") || table.closest("form") || document;
    return Array.from(scope.querySelectorAll("input[type=hidden]")).find((i) => i.name === name);
  }

  function setHidden(table, name, value) {
    const input = hidden(table, name);
    if (input) { input.value = String(value); }
  }

  // Every attribute holding a field path: names, ids, labels' for, buttons' values.
  function rename(root, from, to) {
    for (const el of [root, ...root.querySelectorAll("*")]) {
      for (const attr of ["name", "id", "for", "value", "aria-describedby"]) {
        const v = el.getAttribute(attr);
        if (v && v.includes(from)) { el.setAttribute(attr, v.split(from).join(to)); }
      }
    }
  }

  function changed(control) {
    // The form's input listener (app.js) marks the page as holding unsaved changes.
    control.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // --- new rows and columns ----------------------------------------------------------
  const actionName = (table) => {
    const button = table.closest("fieldset").querySelector("button[name]");
    return button ? button.name : "form:action";
  };

  function button(name, action, sign, text, disabled) {
    const b = document.createElement("button");
    b.type = "submit";
    b.name = name;
    b.value = action;
    b.title = text;
    b.disabled = disabled;
    const shown = document.createElement("span");
    shown.setAttribute("aria-hidden", "true");
    shown.textContent = sign;
    const said = document.createElement("span");
    said.className = "visually-hidden";
    said.textContent = text;
    b.append(shown, said);
    return b;
  }

  function field(tag, kind, name, label) {
    const cell = document.createElement(tag);
    cell.className = "cell";
    cell.dataset.cell = kind;
    if (tag === "th") { cell.scope = "col"; }
    const wrap = document.createElement("div");
    wrap.className = "field field-text";
    const l = document.createElement("label");
    l.className = "visually-hidden";
    l.htmlFor = `f-${name}`;
    l.textContent = label;
    const input = document.createElement("input");
    input.type = "text";
    input.id = `f-${name}`;
    input.name = name;
    wrap.append(l, input);
    cell.append(wrap);
    return cell;
  }

  const columnName = (table, j) => {
    const head = headRow(table) ? cellsOf(headRow(table))[j] : null;
    const input = controlOf(head);
    return (input && input.value.replace(/^'/, "")) || `kolumn ${j + 1}`;
  };

  const rowName = (tr, i) => {
    const first = controlOf(cellsOf(tr)[0]);
    return (first && first.value.replace(/^'/, "")) || `rad ${i + 1}`;
  };

  // A statistics row gets inputs up to the table's width (cells added since the page
  // came, or missing in a short row), and its count of cells.
  function fillRow(table, tr, i) {
    const rows = table.dataset.rows;
    const width = cellsOf(headRow(table)).length;
    let cells = cellsOf(tr);
    for (let j = 0; j < width; j += 1) {
      if (cells[j] && controlOf(cells[j])) { continue; }
      const name = `${rows}[${i}][${j}]`;
      const label = j === 0 ? `${columnName(table, 0)}, rad ${i + 1}`
        : `${columnName(table, j)}, ${rowName(tr, i)}`;
      const cell = field("td", j === 0 ? "label" : "value", name, label);
      if (cells[j]) { cells[j].replaceWith(cell); } else {
        tr.insertBefore(cell, tr.querySelector(":scope > .row-actions"));
      }
      cells = cellsOf(tr);
    }
    setHidden(table, `${rows}[${i}].__len__`, cellsOf(tr).length);
  }

  function fixMoves(table) {
    const trs = Array.from(table.tBodies[0].rows);
    trs.forEach((tr, i) => {
      for (const b of tr.querySelectorAll(".row-actions button")) {
        if (b.value.startsWith("up:")) { b.disabled = i === 0; }
        if (b.value.startsWith("down:")) { b.disabled = i === trs.length - 1; }
      }
    });
  }

  function addRow(table) {
    const template = table.parentElement.querySelector(":scope > template.grid-row");
    if (!template) { return null; }
    const body = table.tBodies[0];
    const k = body.rows.length;
    const tr = template.content.querySelector("tr").cloneNode(true);
    const rows = table.dataset.rows;
    rename(tr, `${rows}[${template.dataset.index}]`, `${rows}[${k}]`);
    const walker = document.createTreeWalker(tr, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      node.data = node.data.split("{n}").join(String(k + 1));
    }
    for (const el of tr.querySelectorAll("[title]")) {
      el.title = el.title.split("{n}").join(String(k + 1));
    }
    body.appendChild(tr);
    if (table.dataset.columns && headRow(table).querySelector(CONTROL)) { fillRow(table, tr, k); }
    setHidden(table, `${rows}.__len__`, body.rows.length);
    fixMoves(table);
    return tr;
  }

  function addColumn(table) {
    const cols = table.dataset.columns;
    const head = headRow(table);
    if (!cols || !head || !head.querySelector(CONTROL)) { return false; }
    const j = cellsOf(head).length;
    const th = field("th", "header", `${cols}[${j}]`, `Kolumnrubrik ${j + 1}`);
    head.insertBefore(th, head.querySelector(":scope > .row-actions"));
    setHidden(table, `${cols}.__len__`, j + 1);
    Array.from(table.tBodies[0].rows).forEach((tr, i) => fillRow(table, tr, i));
    for (const tr of table.tFoot ? table.tFoot.rows : []) {
      const before = tr.querySelector(":scope > .row-actions");
      if (tr.classList.contains("column-moves")) {
        const td = document.createElement("td");
        td.className = "column-actions";
        const what = `kolumn ${j + 1}`;
        const name = actionName(table);
        td.append(button(name, `up:${cols}[${j}]`, "←", `Flytta ${what} åt vänster`, j === 0),
          button(name, `down:${cols}[${j}]`, "→", `Flytta ${what} åt höger`, true),
          button(name, `remove:${cols}[${j}]`, "✕", `Ta bort ${what}`, false));
        const previous = before ? before.previousElementSibling : null;
        const right = previous ? previous.querySelector("button[value^='down:']") : null;
        if (right) { right.disabled = false; }
        tr.insertBefore(td, before);
      } else {
        tr.insertBefore(document.createElement("td"), before);
      }
    }
    return true;
  }

  // --- values in and out -----------------------------------------------------------
  // What avtalsgen reads as a number (forms/fields.py _number): 12, -3.5, 1e3, 10,6.
  const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?\d+,\d+$/;

  // A pasted value as the form reads it: a figure without its thousands spaces (and
  // "%"), a label or column heading that looks like a number marked as text (').
  function cleanValue(text, kind) {
    const value = text.replace(/\r/g, "");
    if (kind === "value") {
      const t = value.trim().replace(/\u2212/g, "-");
      if (t === "–" || t === "-") { return ""; }
      const compact = t.replace(/[\s\u00a0\u202f]/g, "").replace(/%$/, "");
      return NUMBER.test(compact) ? compact : value;
    }
    if ((kind === "label" || kind === "header") && NUMBER.test(value.trim())) {
      return `'${value.trim()}`;
    }
    return value;
  }

  function setValue(control, value) {
    if (control.tagName === "SELECT") {
      const want = value.trim().toLowerCase();
      const option = Array.from(control.options).find((o) => o.value && (
        o.value.toLowerCase() === want || o.text.trim().toLowerCase() === want
        || o.text.split(" (")[0].trim().toLowerCase() === want));
      if (option || want === "") { control.value = option ? option.value : ""; }
      return;
    }
    control.value = control.tagName === "TEXTAREA" ? value : value.replace(/\n/g, " ");
  }

  function valueOut(control, kind) {
    if (control.tagName === "SELECT") {
      return control.selectedIndex >= 0 && control.value ? control.options[control.selectedIndex].text : "";
    }
    let v = control.value;
    if (v.startsWith("'") && (v.length === 1 || NUMBER.test(v.slice(1)))) { v = v.slice(1); }
    else if (kind === "value" && /^[+-]?\d+\.\d+$/.test(v)) { v = v.replace(".", ","); }
    return v;
  }

  // Tab-separated text as Excel writes it: a cell with a tab, newline or quote is
  // quoted, its quotes doubled.
  function parseTSV(text) {
    const rows = [[]];
    let cell = "";
    let i = 0;
    const s = text.replace(/\r\n?/g, "\n");
    while (i < s.length) {
      const ch = s[i];
      if (ch === '"' && cell === "") {
        let j = i + 1;
        let quoted = "";
        for (; j < s.length; j += 1) {
          if (s[j] === '"') {
            if (s[j + 1] === '"') { quoted += '"'; j += 1; } else { break; }
          } else { quoted += s[j]; }
        }
        if (j < s.length && (j + 1 === s.length || s[j + 1] === "\t" || s[j + 1] === "\n")) {
          cell = quoted;
          i = j + 1;
          continue;
        }
      }
      if (ch === "\t") { rows[rows.length - 1].push(cell); cell = ""; }
      else if (ch === "\n") { rows[rows.length - 1].push(cell); cell = ""; rows.push([]); }
      else { cell += ch; }
      i += 1;
    }
    rows[rows.length - 1].push(cell);
    const last = rows[rows.length - 1];
    if (rows.length > 1 && last.length === 1 && last[0] === "") { rows.pop(); }
    return rows;
  }

  const tsvCell = (v) => (/[\t\n"]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const toTSV = (rows) => rows.map((r) => r.map(tsvCell).join("\t")).join("\n");

  // --- the range chosen for copying --------------------------------------------------
  let range = null; // { table, a: {r, c}, b: {r, c} }

  function rangeCells() {
    if (!range) { return []; }
    const rows = matrix(range.table);
    const [r0, r1] = [Math.min(range.a.r, range.b.r), Math.max(range.a.r, range.b.r)];
    const [c0, c1] = [Math.min(range.a.c, range.b.c), Math.max(range.a.c, range.b.c)];
    const out = [];
    for (let r = r0; r <= r1 && r < rows.length; r += 1) {
      out.push(rows[r].slice(c0, c1 + 1));
    }
    return out;
  }

  function showRange() {
    document.querySelectorAll(".in-range").forEach((c) => c.classList.remove("in-range"));
    const cells = rangeCells();
    if (cells.length * (cells[0] || []).length > 1) {
      cells.flat().forEach((c) => c.classList.add("in-range"));
    }
  }

  function setRange(table, a, b) {
    range = { table, a, b: b || a };
    showRange();
  }

  const blockOf = (cells) => cells.map((row) => row.map((cell) => {
    const control = controlOf(cell);
    return control ? valueOut(control, cell.dataset.cell) : "";
  }));

  // --- paste ------------------------------------------------------------------------
  function fill(table, start, block) {
    let rows = matrix(table);
    while (rows.length < start.r + block.length && addRow(table)) { rows = matrix(table); }
    const widest = Math.max(...block.map((line) => line.length));
    while (table.dataset.columns && rows[0].length < start.c + widest && addColumn(table)) {
      rows = matrix(table);
    }
    let last = null;
    block.forEach((line, dr) => line.forEach((value, dc) => {
      const cell = (rows[start.r + dr] || [])[start.c + dc];
      const control = controlOf(cell);
      if (!control) { return; }
      setValue(control, cleanValue(value, cell.dataset.cell));
      changed(control);
      last = { r: start.r + dr, c: start.c + dc };
    }));
    if (last) { setRange(table, start, last); }
  }

  document.addEventListener("paste", (event) => {
    const el = event.target;
    if (!(el instanceof Element) || !el.matches(CONTROL)) { return; }
    const table = el.closest("table.grid");
    const cell = el.closest(".cell");
    const text = event.clipboardData ? event.clipboardData.getData("text/plain") : "";
    if (!table || !cell || !text) { return; }
    const block = parseTSV(text);
    if (block.length === 1 && block[0].length === 1) {
      if (el.tagName === "SELECT") { return; }
      const whole = el.selectionStart === 0 && el.selectionEnd === el.value.length;
      const kind = cell.dataset.cell;
      const value = kind === "value" || whole ? cleanValue(block[0][0], kind) : block[0][0];
      if (value === text) { return; } // the browser's own paste
      event.preventDefault();
      el.setRangeText(el.tagName === "TEXTAREA" ? value : value.replace(/\n/g, " "),
        el.selectionStart, el.selectionEnd, "end");
      changed(el);
      return;
    }
    event.preventDefault();
    fill(table, position(table, el), block);
  });

  // --- copy -------------------------------------------------------------------------
  document.addEventListener("copy", (event) => {
    const cells = rangeCells();
    if (!range || !range.table.contains(document.activeElement)) { return; }
    if (cells.length * (cells[0] || []).length < 2 || !event.clipboardData) { return; }
    event.preventDefault();
    event.clipboardData.setData("text/plain", toTSV(blockOf(cells)));
  });

  async function copyTable(table, status) {
    const text = toTSV(blockOf(matrix(table)));
    let done = false;
    try {
      await navigator.clipboard.writeText(text);
      done = true;
    } catch (e) {
      const once = (event) => { event.clipboardData.setData("text/plain", text); event.preventDefault(); };
      document.addEventListener("copy", once, { capture: true, once: true });
      done = document.execCommand("copy");
    }
    status.textContent = done ? "Tabellen är kopierad. Klistra in den i Excel eller Word."
      : "Tabellen kunde inte kopieras.";
  }

  // --- keys -------------------------------------------------------------------------
  function caret(el) {
    try {
      if (typeof el.selectionStart === "number") {
        return { start: el.selectionStart, end: el.selectionEnd, length: el.value.length };
      }
    } catch (e) { /* a field without a caret */ }
    return null;
  }

  // Where a key moves (dr, dc), or null when it stays in the cell.
  function direction(event, el) {
    const tag = el.tagName;
    const at = caret(el);
    const atStart = !at || (at.start === 0 && (at.end === 0 || event.shiftKey));
    const atEnd = !at || at.end === at.length;
    switch (event.key) {
      case "Enter": return event.shiftKey ? [-1, 0] : [1, 0];
      case "ArrowUp":
        if (tag === "SELECT") { return null; }
        return tag === "TEXTAREA" && !(at && at.start === 0) ? null : [-1, 0];
      case "ArrowDown":
        if (tag === "SELECT") { return null; }
        return tag === "TEXTAREA" && !(at && at.start === at.length) ? null : [1, 0];
      case "ArrowLeft": return atStart ? [0, -1] : null;
      case "ArrowRight": return atEnd && (!at || at.start === at.end || event.shiftKey) ? [0, 1] : null;
      default: return null;
    }
  }

  function focusCell(table, r, c) {
    const control = controlOf((matrix(table)[r] || [])[c]);
    if (!control) { return false; }
    control.focus();
    if (control.select && control.tagName !== "SELECT") { control.select(); }
    return true;
  }

  document.addEventListener("keydown", (event) => {
    const el = event.target;
    if (!(el instanceof Element) || !el.matches(CONTROL)) { return; }
    const table = el.closest("table.grid");
    if (!table || !el.closest(".cell")) { return; }
    if (event.key === "Escape" && range) { setRange(table, position(table, el)); return; }
    if (event.key === "Enter" && event.altKey && el.tagName === "TEXTAREA") {
      event.preventDefault();
      el.setRangeText("\n", el.selectionStart, el.selectionEnd, "end");
      changed(el);
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    const dir = direction(event, el);
    if (!dir) { return; }
    const here = position(table, el);
    if (event.shiftKey && event.key.startsWith("Arrow")) {
      event.preventDefault();
      const base = range && range.table === table ? range : { a: here, b: here };
      const rows = matrix(table);
      const r = Math.min(Math.max(base.b.r + dir[0], 0), rows.length - 1);
      const c = Math.min(Math.max(base.b.c + dir[1], 0), rows[r].length - 1);
      setRange(table, base.a, { r, c });
      return;
    }
    event.preventDefault(); // Enter must not submit the form
    const rows = matrix(table);
    for (let r = here.r + dir[0], c = here.c + dir[1];
      r >= 0 && r < rows.length && c >= 0 && c < rows[r].length; r += dir[0], c += dir[1]) {
      if (focusCell(table, r, c)) { return; }
    }
  });

  // A click or Tab into a cell starts a new range there; Shift+click or a drag makes one.
  document.addEventListener("focusin", (event) => {
    const el = event.target;
    const table = el instanceof Element ? el.closest("table.grid") : null;
    if (table && el.closest(".cell") && !(range && range.dragging)) {
      if (!(range && range.table === table && range.keep)) { setRange(table, position(table, el)); }
      if (range) { range.keep = false; }
    }
  });

  document.addEventListener("mousedown", (event) => {
    const cell = event.target instanceof Element ? event.target.closest("table.grid .cell") : null;
    if (!cell) { return; }
    const table = cell.closest("table.grid");
    const at = position(table, cell);
    if (!at) { return; }
    if (event.shiftKey && range && range.table === table) {
      event.preventDefault(); // keeps the focus where the range began
      setRange(table, range.a, at);
      return;
    }
    setRange(table, at);
    range.dragging = true;
  });

  document.addEventListener("mouseover", (event) => {
    if (!range || !range.dragging || event.buttons !== 1) { return; }
    const cell = event.target instanceof Element ? event.target.closest("table.grid .cell") : null;
    if (!cell || cell.closest("table.grid") !== range.table) { return; }
    const at = position(range.table, cell);
    if (at && (at.r !== range.b.r || at.c !== range.b.c)) {
      range.b = at;
      showRange();
      if (window.getSelection) { window.getSelection().removeAllRanges(); }
    }
  });

  document.addEventListener("mouseup", () => {
    if (range && range.dragging) {
      range.dragging = false;
      const first = controlOf(rangeCells()[0] ? rangeCells()[0][0] : null);
      // After a drag the range's first cell holds the focus, so Ctrl+C copies the range.
      if (first && (range.a.r !== range.b.r || range.a.c !== range.b.c)) {
        range.keep = true;
        first.focus({ preventScroll: true });
      }
    }
  });

  // --- the buttons --------------------------------------------------------------------
  document.addEventListener("click", (event) => {
    const b = event.target instanceof Element ? event.target.closest(".grid-actions button.add") : null;
    if (!b) { return; }
    const box = b.closest(".grid-actions").previousElementSibling;
    const table = box ? box.querySelector("table.grid") : null;
    if (!table) { return; }
    let first = null;
    if (b.value === `add:${table.dataset.rows}`) {
      const tr = addRow(table);
      first = tr ? controlOf(cellsOf(tr)[0]) : null;
    } else if (table.dataset.columns && b.value === `add:${table.dataset.columns}`) {
      if (addColumn(table)) { first = controlOf(cellsOf(headRow(table)).pop()); }
    }
    if (!first) { return; } // the server adds it
    event.preventDefault();
    event.stopImmediatePropagation();
    first.focus();
    changed(first);
  }, true);

  function setUp(root) {
    root.querySelectorAll(".grid-actions").forEach((actions) => {
      if (actions.dataset.ready) { return; }
      actions.dataset.ready = "1";
      const box = actions.previousElementSibling;
      const table = box ? box.querySelector("table.grid") : null;
      if (!table) { return; }
      const copy = document.createElement("button");
      copy.type = "button";
      copy.className = "secondary grid-copy";
      copy.textContent = "Kopiera tabellen";
      const status = document.createElement("p");
      status.className = "grid-status";
      status.setAttribute("role", "status");
      copy.addEventListener("click", () => copyTable(table, status));
      actions.append(copy);
      actions.after(status);
    });
  }

  setUp(document);
  document.addEventListener("htmx:load", (event) => setUp(event.target));
})();
