// Talking to the server: fetch with the saved API key (a 401 shows the key form), Server-Sent Events read from a
// fetch body (an EventSource cannot send the key or a POST body), and uploads through XMLHttpRequest, whose upload
// events give per-file progress that fetch does not.
import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);

function authHeaders(headers = {}) {
  const h = new Headers(headers);
  const key = localStorage.getItem("apiKey");
  if (key) h.set("Authorization", `Bearer ${key}`);
  return h;
}

function needKey() {
  $("key-form").hidden = false;
  return new Error(t("needKey"));
}

/** fetch with the saved API key; throws with the server's message on an error status. */
export async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: authHeaders(options.headers) });
  if (response.status === 401) throw needKey();
  if (!response.ok) {
    let message = `${response.status}`;
    try {
      message = (await response.json()).error.message;
    } catch {}
    throw new Error(message);
  }
  return response;
}

/** Reads a text/event-stream body, calling onEvent(name, data) for each event. */
export async function readEvents(response, onEvent) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end;
    while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, "");
      let name = "message";
      const data = [];
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length) onEvent(name, JSON.parse(data.join("\n")));
    }
  }
}

/**
 * Uploads one file (field "files") into knowledge base `kb` (POST /v1/documents?kb=); onProgress(fraction) as its bytes leave, onUploaded() when
 * they all have (the server is ingesting then). Resolves to the server's JSON: {files: [{name, savedAs, status, reason?}], ingest}.
 */
export function uploadFile(file, kb, { onProgress, onUploaded }) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/v1/documents?kb=${encodeURIComponent(kb)}`);
    for (const [name, value] of authHeaders()) xhr.setRequestHeader(name, value);
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", (e) => e.lengthComputable && onProgress(e.loaded / e.total));
    xhr.upload.addEventListener("load", () => onUploaded());
    xhr.addEventListener("error", () => reject(new Error("network error")));
    xhr.addEventListener("load", () => {
      if (xhr.status === 401) return reject(needKey());
      if (xhr.status < 200 || xhr.status >= 300) return reject(new Error(xhr.response?.error?.message ?? String(xhr.status)));
      resolve(xhr.response);
    });
    const form = new FormData();
    form.append("files", file, file.name);
    xhr.send(form);
  });
}
