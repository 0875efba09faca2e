// The page's words in Chinese and English, the current language (saved in localStorage), and t() to fill them in.
// Every string the page shows comes from here; switching language fires "languagechange" so each part re-renders.

const messages = {
  zh: {
    title: "文档问答", questionLabel: "问题", ask: "提问", sources: "来源", documents: "文档", upload: "上传",
    file: "文件", pages: "页数", chunks: "片段", ingestedAt: "收录时间", delete: "删除", apiKey: "API 密钥", save: "保存",
    thinking: "正在检索和生成…", done: "完成，用时 {s} 秒", failed: "出错了：{m}", page: "第 {p} 页", pages_range: "第 {p}–{q} 页",
    noPage: "（无页码）", confirmDelete: "从收件箱和索引中删除“{f}”？", uploading: "正在上传并收录…",
    uploaded: "已收录：{ok}；失败：{bad}", deleted: "已删除：{f}", noDocuments: "还没有文档。", needKey: "请输入 API 密钥。", other: "English",
    ingesting: "正在收录（{trigger}）：{done}/{total} 个文件", lastIngest: "上次收录（{trigger}，{time}）：新增 {added}，更新 {updated}，删除 {removed}，失败 {failed}",
    ingestError: "上次收录（{trigger}，{time}）未完成：{m}", watching: "正在监视收件箱", notWatching: "未监视收件箱", watchingElsewhere: "另一台服务器在监视收件箱",
    trigger_watch: "收件箱有变化", trigger_upload: "上传", trigger_request: "重新扫描", trigger_startup: "启动",
   
   
    answerModel: "回答模型", answerExtractive: "摘录原文，未用模型", extractive_disabled: "已设置不用模型", extractive_not_downloaded: "尚未下载回答模型", pullHint: "下载模型：", embedderLabel: "嵌入模型", embedderNone: "无（仅关键词检索）",
    conversations: "对话", newConversation: "新对话", noConversations: "还没有对话。", untitled: "新对话",
    deleteConversation: "删除对话“{c}”", confirmDeleteConversation: "删除对话“{c}”？", stop: "停止", stopped: "已停止",
    regenerate: "重新生成", copy: "复制", copied: "已复制", copyFailed: "无法复制", you: "问",
    enterHint: "Enter 发送，Shift+Enter 换行", base: "知识库", cancel: "取消", confirm: "确认", close: "关闭",
    preview: "引用预览", loadingPreview: "正在加载…", previewFailed: "无法显示预览：{m}", passageNotFound: "在本页找不到引用段落，只显示页面。",
    uploadWaiting: "等待上传", uploadProgress: "上传中 {p}%", uploadIngesting: "已上传，正在收录…",
    status_indexed: "已收录", status_duplicate: "重复文件（已有相同内容）", status_failed: "失败：{r}", uploadNone: "请先选择文件。",
    conversationsLabel: "已保存的对话", colon: "：", answerLabel: "回答", citationLabel: "打开引用 {n}：{f}",
    newBase: "新建知识库", newBaseName: "新知识库名称", create: "创建",
    newBaseHint: "字母、数字、- 和 _，以字母或数字开头", baseCreated: "已创建知识库“{name}”",
  },
  en: {
    title: "Document Q&A", questionLabel: "Question", ask: "Ask", sources: "Sources", documents: "Documents", upload: "Upload",
    file: "File", pages: "Pages", chunks: "Chunks", ingestedAt: "Ingested", delete: "Delete", apiKey: "API key", save: "Save",
    thinking: "Searching and writing…", done: "Done in {s} s", failed: "Failed: {m}", page: "page {p}", pages_range: "pages {p}–{q}",
    noPage: "(no pages)", confirmDelete: "Delete “{f}” from the inbox and the index?", uploading: "Uploading and ingesting…",
    uploaded: "Indexed: {ok}; failed: {bad}", deleted: "Deleted: {f}", noDocuments: "No documents yet.", needKey: "Enter the API key.", other: "中文",
    ingesting: "Ingesting ({trigger}): {done}/{total} files", lastIngest: "Last ingest ({trigger}, {time}): added {added}, updated {updated}, removed {removed}, failed {failed}",
    ingestError: "Last ingest ({trigger}, {time}) did not run: {m}", watching: "watching the inbox", notWatching: "not watching the inbox", watchingElsewhere: "another server watches the inbox",
    trigger_watch: "inbox changed", trigger_upload: "upload", trigger_request: "re-scan", trigger_startup: "start-up",
   
   
    answerModel: "Answer model", answerExtractive: "extractive, no model", extractive_disabled: "no model by setting", extractive_not_downloaded: "no answer model downloaded yet", pullHint: "Get a model:", embedderLabel: "Embedder", embedderNone: "none (keyword search only)",
    conversations: "Conversations", newConversation: "New conversation", noConversations: "No conversations yet.", untitled: "New conversation",
    deleteConversation: "Delete conversation “{c}”", confirmDeleteConversation: "Delete the conversation “{c}”?", stop: "Stop", stopped: "Stopped",
    regenerate: "Regenerate", copy: "Copy", copied: "Copied", copyFailed: "Could not copy", you: "Q",
    enterHint: "Enter sends, Shift+Enter starts a new line", base: "Knowledge base", cancel: "Cancel", confirm: "Confirm", close: "Close",
    preview: "Citation preview", loadingPreview: "Loading…", previewFailed: "Cannot show the preview: {m}", passageNotFound: "The cited passage was not found on this page; showing the page.",
    uploadWaiting: "waiting", uploadProgress: "uploading {p}%", uploadIngesting: "uploaded, ingesting…",
    status_indexed: "indexed", status_duplicate: "duplicate (same content already there)", status_failed: "failed: {r}", uploadNone: "Choose files first.",
    conversationsLabel: "Saved conversations", colon: ": ", answerLabel: "Answer", citationLabel: "Open citation {n}: {f}",
    newBase: "New base", newBaseName: "Name of the new base", create: "Create",
    newBaseHint: "letters, digits, - and _, starting with a letter or digit", baseCreated: "Knowledge base “{name}” created",
  },
};

let lang = localStorage.getItem("lang") || (navigator.language.toLowerCase().startsWith("zh") ? "zh" : "en");

/** The message `key` in the current language with {name} filled from `values`. */
export function t(key, values = {}) {
  const text = messages[lang][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

/** The locale for dates and times. */
export const locale = () => (lang === "zh" ? "zh-CN" : "en");

/** Sets the static texts: data-i18n (text), data-i18n-label (aria-label), data-i18n-title (title). */
export function applyLanguage() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-label]")) el.setAttribute("aria-label", t(el.dataset.i18nLabel));
  for (const el of document.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
  const button = document.getElementById("lang");
  button.textContent = t("other");
  button.lang = lang === "zh" ? "en" : "zh-CN";
}

/** Switches Chinese ↔ English, saves the choice, and tells every part of the page. */
export function toggleLanguage() {
  lang = lang === "zh" ? "en" : "zh";
  localStorage.setItem("lang", lang);
  applyLanguage();
  window.dispatchEvent(new Event("languagechange-page"));
}

/** Calls `render` now and after each language switch. */
export function onLanguage(render) {
  window.addEventListener("languagechange-page", render);
}

/** A citation's place: pages (PDFs, scans) in the page's language; slides, sheet rows, sections by their label. */
export function pageLabel(c) {
  if (c.page == null) return c.location ? c.location.label : t("noPage");
  return c.pageEnd != null && c.pageEnd !== c.page ? t("pages_range", { p: c.page, q: c.pageEnd }) : t("page", { p: c.page });
}
