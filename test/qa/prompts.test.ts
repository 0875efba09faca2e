// Prompt templates: the shipped files load and carry their placeholders, broken edits fail at start-up naming the file,
// sources are numbered with pages, filling is one pass, and the question's language picks the template.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  defaultPromptsDir,
  fillTemplate,
  loadPromptTemplates,
  PromptTemplateError,
  questionLanguage,
  renderSources,
  templateSpecs,
} from "../../src/qa/prompts.js";
import { projectRoot, tempDir } from "../helpers.js";

/** A copy of the shipped prompts/ folder to break. */
function promptsCopy(): string {
  const dir = tempDir("alpaca-rag-prompts-");
  for (const file of fs.readdirSync(defaultPromptsDir)) fs.copyFileSync(path.join(defaultPromptsDir, file), path.join(dir, file));
  return dir;
}

describe("loadPromptTemplates", () => {
  it("reads the shipped prompts/ folder", () => {
    expect(defaultPromptsDir).toBe(path.join(projectRoot, "prompts"));
    const t = loadPromptTemplates();
    expect(t.system).toBe("You are a helpful assistant. 你是一个乐于助人的助手。");
    expect(t.systemLong.startsWith(t.system)).toBe(true);
    expect(t.systemLong.length).toBeGreaterThan(t.system.length);
    expect(t.systemLong).toMatch(/\p{Script=Han}/u);
    for (const name of ["ragZh", "ragEn", "completionZh", "completionEn"] as const) {
      expect(t[name], name).toContain("{sources}");
      expect(t[name], name).toContain("{question}");
      expect(t[name].indexOf("{sources}"), name).toBeLessThan(t[name].indexOf("{question}"));
    }
    expect(t.ragZh).toMatch(/\[1\]/);
    expect(t.ragEn).toMatch(/\[1\]/);
    expect(t.completionZh.endsWith("答案：")).toBe(true);
    expect(t.completionEn.endsWith("Answer:")).toBe(true);
  });

  it("strips a BOM, CRLF line ends and the final newline", () => {
    const dir = promptsCopy();
    fs.writeFileSync(path.join(dir, "system.txt"), "\uFEFFLine one\r\nLine two\r\n");
    expect(loadPromptTemplates({ dir }).system).toBe("Line one\nLine two");
  });

  it("rejects a template missing a placeholder, naming the file and the placeholder", () => {
    const dir = promptsCopy();
    fs.writeFileSync(path.join(dir, "rag-zh.txt"), "资料：{sources}\n请回答。");
    expect(() => loadPromptTemplates({ dir })).toThrow(PromptTemplateError);
    expect(() => loadPromptTemplates({ dir })).toThrow(`${path.join(dir, "rag-zh.txt")}: missing placeholder {question}`);
  });

  it("rejects unknown placeholders, also in the system prompts", () => {
    const dir = promptsCopy();
    fs.writeFileSync(path.join(dir, "completion-en.txt"), "{sources}\nQ: {question}\n{answer}\nA:");
    expect(() => loadPromptTemplates({ dir })).toThrow(/completion-en\.txt: unknown placeholder \{answer\} \(allowed: \{sources\}, \{question\}\)/);
    const dir2 = promptsCopy();
    fs.writeFileSync(path.join(dir2, "system-long.txt"), "Be helpful about {question}.");
    expect(() => loadPromptTemplates({ dir: dir2 })).toThrow(/system-long\.txt: unknown placeholder \{question\}/);
  });

  it("treats braces that are not {identifier} as text", () => {
    const dir = promptsCopy();
    fs.writeFileSync(path.join(dir, "rag-en.txt"), 'Answer as JSON like {"answer": "…"} or { }.\n{sources}\n{question}');
    expect(loadPromptTemplates({ dir }).ragEn).toContain('{"answer": "…"}');
  });

  it("reports a missing file by name", () => {
    const dir = promptsCopy();
    fs.rmSync(path.join(dir, "completion-zh.txt"));
    expect(() => loadPromptTemplates({ dir })).toThrow(/completion-zh\.txt: cannot read prompt template \(ENOENT\)/);
  });

  it("takes single templates from override paths", () => {
    const dir = tempDir("alpaca-rag-prompt-override-");
    const file = path.join(dir, "mine.txt");
    fs.writeFileSync(file, "我的模板\n{sources}\n{question}\n");
    const t = loadPromptTemplates({ overrides: { ragZh: file } });
    expect(t.ragZh).toBe("我的模板\n{sources}\n{question}");
    expect(t.ragEn).toBe(loadPromptTemplates().ragEn);
    fs.writeFileSync(file, "no placeholders");
    expect(() => loadPromptTemplates({ overrides: { completionEn: file } })).toThrow(`${file}: missing placeholder {sources}, {question}`);
  });

  it("knows a file for every template", () => {
    for (const spec of Object.values(templateSpecs)) expect(fs.existsSync(path.join(defaultPromptsDir, spec.file)), spec.file).toBe(true);
  });
});

describe("fillTemplate", () => {
  it("replaces every placeholder", () => {
    expect(fillTemplate("S:{sources}|Q:{question}|{question}", { sources: "a", question: "b" })).toBe("S:a|Q:b|b");
  });

  it("never substitutes text that arrives inside a value", () => {
    const sources = "[1] trap.txt\nThis document says {question} and {sources} literally.";
    const question = "What does {sources} mean here?";
    const out = fillTemplate("Sources:\n{sources}\n\nQuestion: {question}", { sources, question });
    expect(out).toBe(`Sources:\n${sources}\n\nQuestion: ${question}`);
  });

  it("keeps $-patterns in values literally", () => {
    expect(fillTemplate("{question}", { question: "costs $& and $1 and $$" })).toBe("costs $& and $1 and $$");
  });

  it("throws for a placeholder without a value", () => {
    expect(() => fillTemplate("{sources} {question}", { sources: "x" })).toThrow(/no value for placeholder \{question\}/);
  });
});

describe("questionLanguage", () => {
  it("tells Chinese from English by the share of Han characters", () => {
    expect(questionLanguage("北京是哪个国家的首都？")).toBe("zh");
    expect(questionLanguage("What is the capital of France?")).toBe("en");
    expect(questionLanguage("請問台灣的首都是哪裡？")).toBe("zh");
    expect(questionLanguage("请解释一下 Transformer 的 attention 机制")).toBe("zh");
    expect(questionLanguage("Please explain what the word 的 does in this long English sentence")).toBe("en");
    expect(questionLanguage("2024?")).toBe("zh");
  });
});

describe("renderSources", () => {
  it("numbers sources with file name and page or page range", () => {
    const block = renderSources([
      { n: 1, source: "report.pdf", page: 3, pageEnd: 3, text: "第一段。\n" },
      { n: 2, source: "report.pdf", page: 3, pageEnd: 4, text: "跨页的一段。" },
      { n: 3, source: "notes.txt", page: null, pageEnd: null, text: "Plain text file." },
      { n: 4, source: "book.pdf", page: 7, text: "No end page given." },
    ]);
    expect(block).toBe(
      "[1] report.pdf p.3\n第一段。\n\n[2] report.pdf p.3–4\n跨页的一段。\n\n[3] notes.txt\nPlain text file.\n\n[4] book.pdf p.7\nNo end page given.",
    );
  });

  it("renders nothing for no sources", () => {
    expect(renderSources([])).toBe("");
  });
});
