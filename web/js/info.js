// How this server answers, said plainly (GET /v1/info): which model writes the answers, or that they are extracted
// sentences with the one command that pulls a model; which embedder the search uses. Also what the key may do: the
// picker's "new base" button (bases.js) only for a key that may create bases.
import { api } from "./api.js";
import { onLanguage, t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
let info = null;

function part(label, value, extra = []) {
  const span = document.createElement("span");
  span.className = "mode-part";
  const strong = document.createElement("strong");
  strong.textContent = `${label}${t("colon")}`;
  span.append(strong, value, ...extra);
  return span;
}

function showInfo() {
  if (!info) return;
  const line = $("mode");
  const answers = info.answers;
  const parts = [];
  if (answers.mode === "generated") parts.push(part(t("answerModel"), answers.model));
  else {
    const extra = [];
    // The reason in the page's language; the server's own note (English) only for a reason this page does not know.
    const reason = answers.reason ? t(`extractive_${answers.reason.replace("-", "_")}`) : answers.note;
    if (reason) extra.push(` (${reason})`);
    if (answers.pullCommand) {
      const code = document.createElement("code");
      code.textContent = answers.pullCommand;
      extra.push(" · ", t("pullHint"), " ", code);
    }
    parts.push(part(t("answerModel"), t("answerExtractive"), extra));
  }
  parts.push(part(t("embedderLabel"), info.search.embedder ?? t("embedderNone")));
  line.replaceChildren(parts[0], " · ", parts[1]);
  line.hidden = false;
  $("new-base").hidden = !info.access?.createKbs;
}

export async function loadInfo() {
  try {
    info = await (await api("/v1/info")).json();
    showInfo();
  } catch {
    // No key yet: shown once the key is given.
  }
}

export function initInfo() {
  onLanguage(showInfo);
}
