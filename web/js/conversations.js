// Conversations kept in the browser (localStorage): each is {id, title, kb, updatedAt, turns: [{question, answer, mode,
// citations, answerSpan, status}]}; `kb` is the knowledge base it asks (kept from before bases: "default"). The newest 50 are kept; a turn's citations keep their text for the preview.

const storageKey = "conversations";
const currentKey = "currentConversation";
const maxConversations = 50;

function readAll() {
  try {
    const list = JSON.parse(localStorage.getItem(storageKey) || "[]");
    return Array.isArray(list) ? list.filter((c) => c && typeof c.id === "string" && Array.isArray(c.turns)) : [];
  } catch {
    return []; // a damaged entry must not break the page
  }
}

function writeAll(list) {
  const kept = list.slice().sort((a, b) => b.updatedAt - a.updatedAt).slice(0, maxConversations);
  try {
    localStorage.setItem(storageKey, JSON.stringify(kept));
  } catch {
    // Storage full: drop the oldest half and try once more.
    localStorage.setItem(storageKey, JSON.stringify(kept.slice(0, Math.ceil(kept.length / 2))));
  }
}

/** All conversations, newest first. */
export function listConversations() {
  return readAll().sort((a, b) => b.updatedAt - a.updatedAt);
}

/** A kept conversation; an answer the page was closed during reads as stopped. */
export function getConversation(id) {
  const found = readAll().find((c) => c.id === id) ?? null;
  for (const turn of found?.turns ?? []) if (turn.status === "pending") turn.status = "stopped";
  return found;
}

/** Saves (adds or replaces) a conversation and, unless told otherwise, makes it the current one. */
export function saveConversation(conversation, makeCurrent = true) {
  conversation.updatedAt = Date.now();
  writeAll([conversation, ...readAll().filter((c) => c.id !== conversation.id)]);
  if (makeCurrent) localStorage.setItem(currentKey, conversation.id);
}

export function deleteConversation(id) {
  writeAll(readAll().filter((c) => c.id !== id));
  if (localStorage.getItem(currentKey) === id) localStorage.removeItem(currentKey);
}

/** The conversation last worked in, if it is still kept. */
export function currentConversationId() {
  const id = localStorage.getItem(currentKey);
  return id && getConversation(id) ? id : null;
}

export function setCurrentConversation(id) {
  if (id) localStorage.setItem(currentKey, id);
  else localStorage.removeItem(currentKey);
}

/** A new, empty conversation asking base `kb` (not saved until its first question). */
export function newConversation(kb) {
  return { id: `c${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`, title: "", kb, updatedAt: Date.now(), turns: [] };
}

/** The knowledge base a conversation asks; one kept from before bases asks the default base. */
export function baseOf(conversation) {
  return typeof conversation.kb === "string" && conversation.kb ? conversation.kb : "default";
}

/**
 * The history /v1/ask takes: earlier finished turns as {user, assistant}, the last 20, each cut to `maxChars` (the
 * server refuses longer texts).
 */
export function historyOf(turns, maxChars = 4000) {
  return turns
    .filter((turn) => turn.status === "done" && turn.answer)
    .slice(-20)
    .map((turn) => ({ user: turn.question.slice(0, maxChars), assistant: turn.answer.slice(0, maxChars) }));
}
