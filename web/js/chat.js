// The conversation: the thread of questions and answers (streamed from POST /v1/ask with the earlier turns as
// history), citation marks linked to the preview, stop / regenerate / copy, Enter to send, and the sidebar of saved
// conversations of the chosen knowledge base (new, open, delete). A conversation keeps its base: opening it chooses
// that base, and choosing another base opens that base's latest conversation (or a new one), so one base's answers
// never show under another. Every text from the server is set as text, never as HTML.
import { api, readEvents } from "./api.js";
import { chooseBase, currentBase, isVisibleBase, onBaseChange } from "./bases.js";
import { confirmDialog } from "./dialogs.js";
import { baseOf, currentConversationId, deleteConversation, getConversation, historyOf, listConversations, newConversation, saveConversation, setCurrentConversation } from "./conversations.js";
import { onLanguage, pageLabel, t } from "./i18n.js";
import { openPreview } from "./preview.js";

const $ = (id) => document.getElementById(id);
let conversation = newConversation(currentBase());
/** The answer being written: {controller, turn}; null when idle. */
let running = null;

function button(label, className, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = className;
  b.textContent = label;
  b.addEventListener("click", onClick);
  return b;
}

function citeLink(turn, turnIndex, c, text) {
  const a = document.createElement("a");
  a.href = `#source-${turnIndex}-${c.n}`;
  a.className = "cite";
  a.dataset.n = String(c.n);
  a.textContent = text ?? `[${c.n}]`;
  if (!text) a.setAttribute("aria-label", t("citationLabel", { n: c.n, f: c.source }));
  a.addEventListener("click", (event) => {
    event.preventDefault();
    void openPreview(c, turn.answerSpan);
  });
  return a;
}

/** The answer text with each [n] (or [1, 2], ［1］, 【1】) as a link to its source's preview. */
function answerNodes(turn, turnIndex, text, citations) {
  const byNumber = new Map(citations.map((c) => [c.n, c]));
  const nodes = [];
  const pattern = /[\[［【]\s*(\d{1,4}(?:\s*[,，、]\s*\d{1,4})*)\s*[\]］】]/g;
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    nodes.push(text.slice(last, m.index));
    for (const n of m[1].split(/[,，、]/).map((x) => Number(x.trim()))) nodes.push(byNumber.has(n) ? citeLink(turn, turnIndex, byNumber.get(n)) : `[${n}]`);
    last = m.index + m[0].length;
  }
  nodes.push(text.slice(last));
  return nodes;
}

async function copyText(turn, b) {
  try {
    await navigator.clipboard.writeText(turn.answer);
    b.textContent = t("copied");
  } catch {
    b.textContent = t("copyFailed");
  }
  setTimeout(() => (b.textContent = t("copy")), 1500);
}

function renderTurn(turn, i, isLast) {
  const li = document.createElement("li");
  li.className = "turn";
  const q = document.createElement("p");
  q.className = "question";
  const who = document.createElement("span");
  who.className = "who";
  who.textContent = t("you");
  q.append(who, turn.question);
  const answer = document.createElement("div");
  answer.className = "answer";
  answer.setAttribute("aria-label", t("answerLabel"));
  answer.append(...(turn.status === "pending" ? [turn.answer] : answerNodes(turn, i, turn.answer, turn.citations)));
  li.append(q, answer);
  if (turn.status === "stopped") {
    const note = document.createElement("p");
    note.className = "note";
    note.textContent = t("stopped");
    li.append(note);
  }
  if (turn.status !== "pending") {
    const actions = document.createElement("div");
    actions.className = "actions";
    if (turn.answer) {
      const copy = button(t("copy"), "copy", () => void copyText(turn, copy));
      actions.append(copy);
    }
    if (isLast) actions.append(button(t("regenerate"), "regenerate", () => void regenerate()));
    li.append(actions);
  }
  if (turn.citations.length) {
    const title = document.createElement("h3");
    title.className = "sources-title";
    title.textContent = t("sources");
    const list = document.createElement("ol");
    list.className = "sources";
    for (const c of turn.citations) {
      const item = document.createElement("li");
      item.id = `source-${i}-${c.n}`;
      item.value = c.n;
      if (c.cited) item.className = "cited";
      item.append(citeLink(turn, i, c, `${c.source} · ${pageLabel(c)}`), ` — ${c.snippet}`);
      list.append(item);
    }
    li.append(title, list);
  }
  return li;
}

function renderThread() {
  const turns = conversation.turns;
  $("thread").replaceChildren(...turns.map((turn, i) => renderTurn(turn, i, i === turns.length - 1)));
}

function renderSidebar() {
  const list = $("conversation-list");
  const all = listConversations().filter((c) => baseOf(c) === currentBase());
  list.replaceChildren();
  for (const c of all) {
    const li = document.createElement("li");
    const title = c.title || t("untitled");
    const open = button(title, "open-conversation", () => openConversation(c.id));
    if (c.id === conversation.id) open.setAttribute("aria-current", "true");
    const remove = button("×", "delete-conversation", () => void removeConversation(c));
    remove.setAttribute("aria-label", t("deleteConversation", { c: title }));
    li.append(open, remove);
    list.append(li);
  }
  $("no-conversations").hidden = all.length > 0;
}

/** The latest kept conversation of base `kb`, or null. */
function latestOf(kb) {
  return listConversations().find((c) => baseOf(c) === kb)?.id ?? null;
}

/** Shows conversation `id` (null: a new one); `focus`: move to the question box (not when the picker was used). */
function openConversation(id, focus = true) {
  if (running) running.controller.abort();
  conversation = (id && getConversation(id)) || newConversation(currentBase());
  setCurrentConversation(conversation.turns.length ? conversation.id : null);
  // Opening a conversation of another base (kept from before a switch) chooses its base again.
  if (baseOf(conversation) !== currentBase() && isVisibleBase(baseOf(conversation))) chooseBase(baseOf(conversation));
  $("ask-status").textContent = "";
  renderThread();
  renderSidebar();
  if (focus) $("question").focus();
}

async function removeConversation(c) {
  if (!(await confirmDialog(t("confirmDeleteConversation", { c: c.title || t("untitled") })))) return;
  deleteConversation(c.id);
  if (c.id === conversation.id) openConversation(null);
  else renderSidebar();
}

function startNewConversation() {
  openConversation(null);
}

/** Streams the answer to `turn` (already in the thread) with the turns before it as history. */
async function answerTurn(turn) {
  const status = $("ask-status");
  status.className = "";
  status.textContent = t("thinking");
  const controller = new AbortController();
  // The conversation this answer belongs to, even if the user opens another before it ends.
  const owner = conversation;
  running = { controller, turn };
  $("ask-button").disabled = true;
  $("stop-button").hidden = false;
  const index = conversation.turns.indexOf(turn);
  const history = historyOf(conversation.turns.slice(0, index));
  renderThread();
  const box = $("thread").lastElementChild.querySelector(".answer");
  try {
    const body = { question: turn.question, kb: baseOf(owner), stream: true, ...(history.length ? { history } : {}) };
    const response = await api("/v1/ask", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), signal: controller.signal });
    await readEvents(response, (name, data) => {
      if (name === "token") {
        turn.answer += data.text;
        box.textContent = turn.answer;
      } else if (name === "citations") turn.citations = data.citations;
      else if (name === "done") {
        Object.assign(turn, { answer: data.answer ?? turn.answer, mode: data.mode, answerSpan: data.answerSpan ?? null, status: "done" });
        status.textContent = t("done", { s: (data.timings.totalMs / 1000).toFixed(1) });
      } else if (name === "error") throw new Error(data.error.message);
    });
    if (turn.status === "pending") turn.status = "stopped";
  } catch (e) {
    if (controller.signal.aborted) {
      turn.status = "stopped";
      status.textContent = t("stopped");
    } else {
      turn.status = "failed";
      status.className = "error";
      status.textContent = t("failed", { m: e.message });
    }
  } finally {
    running = null;
    $("ask-button").disabled = false;
    $("stop-button").hidden = true;
    // Saved unless deleted meanwhile (a deleted conversation must not come back).
    if (getConversation(owner.id)) saveConversation(owner, owner === conversation);
    if (owner === conversation) renderThread();
    renderSidebar();
  }
}

async function ask(event) {
  event.preventDefault();
  const input = $("question");
  const question = input.value.trim();
  if (!question || running) return;
  input.value = "";
  if (!conversation.title) conversation.title = question.slice(0, 60);
  const turn = { question, answer: "", citations: [], mode: null, answerSpan: null, status: "pending" };
  conversation.turns.push(turn);
  saveConversation(conversation);
  renderSidebar();
  await answerTurn(turn);
}

/** Asks the last question again, in place of its answer. */
async function regenerate() {
  const last = conversation.turns.at(-1);
  if (!last || running) return;
  Object.assign(last, { answer: "", citations: [], mode: null, answerSpan: null, status: "pending" });
  await answerTurn(last);
}

export function initChat() {
  $("ask-form").addEventListener("submit", ask);
  $("question").addEventListener("keydown", (event) => {
    // Enter sends; Shift+Enter is a new line; Enter that confirms an input method's candidate does neither.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      $("ask-form").requestSubmit();
    }
  });
  $("stop-button").addEventListener("click", () => running?.controller.abort());
  $("new-conversation").addEventListener("click", startNewConversation);
  const id = currentConversationId();
  const kept = id && getConversation(id);
  if (kept && baseOf(kept) === currentBase()) conversation = kept;
  else {
    const latest = latestOf(currentBase());
    if (latest) conversation = getConversation(latest);
  }
  // Another base chosen (by the picker, or the list of bases on loading): that base's latest conversation, or a new one.
  onBaseChange((kb) => {
    if (baseOf(conversation) !== kb) openConversation(latestOf(kb), false);
    else renderSidebar();
  });
  renderThread();
  renderSidebar();
  onLanguage(() => {
    renderThread();
    renderSidebar();
  });
}
