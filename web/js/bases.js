// The knowledge-base picker: the bases this key may see (GET /v1/kbs), the one chosen (kept in localStorage, `default`
// when nothing else was chosen), and a small "new base" form (its button shown by info.js to a key that may create
// bases: GET /v1/info's `access.createKbs`). Asking, the document list, uploads and deletes read currentBase(); the
// other parts of the page follow a switch through onBaseChange().
import { api } from "./api.js";
import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const storageKey = "kb";
const defaultBase = "default";
/** The bases last listed: [{name, documents, …}]; empty until the server answers. */
let bases = [];
let current = localStorage.getItem(storageKey) || defaultBase;
const listeners = [];

/** The chosen base's name. */
export function currentBase() {
  return current;
}

/** Calls `listener(name)` after each switch of base (by the picker, a conversation or a refreshed list). */
export function onBaseChange(listener) {
  listeners.push(listener);
}

/** Whether the key may see `name` (true until the list is known: the server refuses what it may not). */
export function isVisibleBase(name) {
  return bases.length === 0 || bases.some((b) => b.name === name);
}

/** Chooses base `name` (a known one), keeps the choice and tells the page; nothing happens when it is already chosen. */
export function chooseBase(name) {
  if (!isVisibleBase(name) || name === current) return;
  current = name;
  localStorage.setItem(storageKey, name);
  $("base").value = name;
  $("base-status").textContent = "";
  for (const listener of listeners) listener(name);
}

function renderPicker() {
  const select = $("base");
  select.replaceChildren(...bases.map((b) => new Option(b.name, b.name, false, b.name === current)));
  $("base-picker").hidden = bases.length === 0;
}

/**
 * Lists the bases again (after a key is given, a base is made, an ingest ends, or the window is focused again: bases
 * made, renamed or deleted elsewhere show up). A kept choice the key can no
 * longer see falls back to `default`, or to the first base the key sees.
 */
export async function loadBases() {
  try {
    bases = (await (await api("/v1/kbs")).json()).kbs;
  } catch {
    return; // no key yet: listed once it is given
  }
  renderPicker();
  if (bases.length && !bases.some((b) => b.name === current)) {
    const fallback = bases.some((b) => b.name === defaultBase) ? defaultBase : bases[0].name;
    current = ""; // so that chooseBase tells the page
    chooseBase(fallback);
  }
}

async function createBase(event) {
  event.preventDefault();
  const input = $("new-base-name");
  const status = $("base-status");
  const name = input.value.trim();
  if (!name) return;
  try {
    await api("/v1/kbs", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name }) });
    input.value = "";
    $("new-base-form").hidden = true;
    $("new-base").setAttribute("aria-expanded", "false");
    await loadBases();
    chooseBase(name);
    status.className = "";
    status.textContent = t("baseCreated", { name });
    $("base").focus();
  } catch (e) {
    status.className = "error";
    status.textContent = t("failed", { m: e.message });
    input.focus();
  }
}

function toggleForm() {
  const form = $("new-base-form");
  form.hidden = !form.hidden;
  $("new-base").setAttribute("aria-expanded", String(!form.hidden));
  if (!form.hidden) $("new-base-name").focus();
}

export function initBases() {
  $("base").addEventListener("change", (event) => chooseBase(event.target.value));
  $("new-base").addEventListener("click", toggleForm);
  $("new-base-form").addEventListener("submit", createBase);
  window.addEventListener("focus", () => void loadBases());
  $("new-base-form").addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      toggleForm();
      $("new-base").focus();
    }
  });
}
