// The documents of the chosen knowledge base: the list (GET /v1/documents?kb=), uploads into that base one file at a
// time with its progress and its ingest result, delete after the page's own confirm dialog, and the ingest status (GET /v1/ingest/status, polled: every second
// while an ingest runs, reloading the list as files are done, every two seconds otherwise).
import { api, uploadFile } from "./api.js";
import { currentBase, loadBases, onBaseChange } from "./bases.js";
import { confirmDialog } from "./dialogs.js";
import { locale, onLanguage, t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
let lastStatus = null;
let pollTimer = null;
let polling = false;
/** Counts list loads: a list that arrives after a newer load began (another base chosen meanwhile) is dropped. */
let listLoads = 0;

const kbQuery = (kb) => `kb=${encodeURIComponent(kb)}`;

export async function loadDocuments() {
  const body = $("documents").tBodies[0];
  const load = ++listLoads;
  try {
    const { documents, extensions } = await (await api(`/v1/documents?${kbQuery(currentBase())}`)).json();
    if (load !== listLoads) return;
    if (extensions) $("upload-input").accept = extensions.join(",");
    body.replaceChildren();
    for (const d of documents) {
      const row = body.insertRow();
      row.dataset.path = d.path;
      row.insertCell().textContent = d.path;
      const pages = row.insertCell();
      pages.className = "num";
      pages.textContent = d.pages ?? "—";
      const chunks = row.insertCell();
      chunks.className = "num";
      chunks.textContent = d.chunks;
      row.insertCell().textContent = new Date(d.ingestedAt).toLocaleString(locale());
      const button = document.createElement("button");
      button.type = "button";
      button.className = "delete";
      button.textContent = t("delete");
      button.setAttribute("aria-label", `${t("delete")} ${d.path}`);
      button.addEventListener("click", () => void deleteDocument(d));
      row.insertCell().append(button);
    }
    if (documents.length === 0) {
      const cell = body.insertRow().insertCell();
      cell.colSpan = 5;
      cell.textContent = t("noDocuments");
    }
  } catch (e) {
    $("documents-status").textContent = t("failed", { m: e.message });
  }
}

async function deleteDocument(d) {
  if (!(await confirmDialog(t("confirmDelete", { f: d.path })))) return;
  try {
    await api(`/v1/documents/${d.id}?${kbQuery(d.kb ?? currentBase())}`, { method: "DELETE" });
    $("documents-status").textContent = t("deleted", { f: d.path });
  } catch (e) {
    $("documents-status").textContent = t("failed", { m: e.message });
  }
  await loadDocuments();
  $("upload-input").focus();
}

function uploadRow(file) {
  const li = document.createElement("li");
  const name = document.createElement("span");
  name.className = "upload-name";
  name.textContent = file.name;
  const bar = document.createElement("progress");
  bar.max = 1;
  bar.value = 0;
  bar.setAttribute("aria-label", file.name);
  const state = document.createElement("span");
  state.className = "upload-state";
  state.textContent = t("uploadWaiting");
  li.append(name, bar, state);
  $("upload-list").append(li);
  return { li, bar, state };
}

async function upload(event) {
  event.preventDefault();
  const input = $("upload-input");
  const status = $("documents-status");
  if (!input.files.length) {
    status.textContent = t("uploadNone");
    return;
  }
  const files = [...input.files];
  // The base chosen when Upload was pressed: every file goes there, even if another is chosen meanwhile.
  const kb = currentBase();
  $("upload-list").replaceChildren();
  const rows = files.map(uploadRow);
  status.textContent = t("uploading");
  $("upload-button").disabled = true;
  const ok = [];
  const bad = [];
  // One request per file: each gets its own progress bar and its own ingest result.
  for (const [i, file] of files.entries()) {
    const row = rows[i];
    try {
      const result = await uploadFile(file, kb, {
        onProgress: (fraction) => {
          row.bar.value = fraction;
          row.state.textContent = t("uploadProgress", { p: Math.round(fraction * 100) });
        },
        onUploaded: () => {
          row.bar.value = 1;
          row.state.textContent = t("uploadIngesting");
          void followIngests();
        },
      });
      const f = result.files[0];
      row.li.dataset.status = f.status;
      row.state.textContent = `${f.savedAs} · ${t(`status_${f.status}`, { r: f.reason ?? "" })}`;
      (f.status === "failed" ? bad : ok).push(f.status === "failed" ? `${f.name} (${f.reason})` : f.savedAs);
    } catch (e) {
      row.li.dataset.status = "failed";
      row.state.textContent = t("failed", { m: e.message });
      bad.push(`${file.name} (${e.message})`);
    }
    await loadDocuments();
  }
  status.textContent = t("uploaded", { ok: ok.join(", ") || "—", bad: bad.join(", ") || "—" });
  input.value = "";
  $("upload-button").disabled = false;
}

function showIngestStatus(s) {
  const line = $("ingest-status");
  const failedList = $("ingest-failed");
  const watching = t(s.watching ? "watching" : s.watcher === "elsewhere" ? "watchingElsewhere" : "notWatching");
  const trigger = (name) => t(`trigger_${name}`);
  failedList.replaceChildren();
  if (s.running) {
    line.className = "running";
    const current = s.currentFile ? ` · ${s.currentFile}` : "";
    line.textContent = `${t("ingesting", { trigger: trigger(s.trigger), done: s.filesDone, total: s.filesTotal })}${current} · ${watching}`;
    return;
  }
  line.className = "";
  const last = s.last;
  if (!last) {
    line.textContent = watching;
    return;
  }
  const time = new Date(last.finishedAt).toLocaleTimeString(locale());
  line.textContent = `${last.error
    ? t("ingestError", { trigger: trigger(last.trigger), time, m: last.error })
    : t("lastIngest", { trigger: trigger(last.trigger), time, added: last.added, updated: last.updated, removed: last.removed, failed: last.failed.length })} · ${watching}`;
  for (const f of last.failed) {
    const li = document.createElement("li");
    li.textContent = `${f.path}: ${f.reason}`;
    failedList.append(li);
  }
}

/** Polls the ingest status; reloads the list when an ingest ends or, while one runs, whenever another file is done. */
async function followIngests() {
  // One poll at a time: an upload asks for one early, and the running loop must not split in two.
  if (polling) return;
  polling = true;
  clearTimeout(pollTimer);
  let delay = 2000;
  try {
    if (!document.hidden) {
      const status = await (await api("/v1/ingest/status")).json();
      const changed = lastStatus && (status.runs !== lastStatus.runs || (status.running && status.filesDone !== lastStatus.filesDone));
      if (changed) {
        void loadDocuments();
        if (status.runs !== lastStatus.runs) void loadBases();
      }
      lastStatus = status;
      showIngestStatus(status);
      if (status.running) delay = 1000;
    }
  } catch {
    // No key yet, or the server is restarting: look again later, quietly.
    delay = 10_000;
  } finally {
    polling = false;
  }
  pollTimer = setTimeout(followIngests, delay);
}

export function initDocuments() {
  $("upload-form").addEventListener("submit", upload);
  onBaseChange(() => {
    $("upload-list").replaceChildren();
    $("documents-status").textContent = "";
    void loadDocuments();
  });
  onLanguage(() => {
    void loadDocuments();
    if (lastStatus) showIngestStatus(lastStatus);
  });
  void followIngests();
}
