// alpaca-rag's web page: wires the parts together (language, API key form, knowledge-base picker, conversation,
// documents, citation preview, server info). No build step: plain ES modules served as they are.
import { initBases, loadBases } from "./bases.js";
import { initChat } from "./chat.js";
import { initDocuments, loadDocuments } from "./documents.js";
import { applyLanguage, toggleLanguage } from "./i18n.js";
import { initInfo, loadInfo } from "./info.js";
import { initPreview } from "./preview.js";

const $ = (id) => document.getElementById(id);

applyLanguage();
$("lang").addEventListener("click", toggleLanguage);
$("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  localStorage.setItem("apiKey", $("api-key").value.trim());
  $("key-form").hidden = true;
  void loadAll();
});

/** Everything read from the server: the bases first, so the document list asks a base this key may see. */
async function loadAll() {
  await loadBases();
  void loadDocuments();
  void loadInfo();
}

initBases();
initPreview();
initChat();
initDocuments();
initInfo();
void loadAll();
