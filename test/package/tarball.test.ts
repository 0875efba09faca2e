// alpaca-rag as a user gets it: the package `npm pack` makes, installed into a fresh project, imported from a plain
// Node ESM script (no tsx) and from TypeScript through its declarations, answering a question over a tiny inbox with
// extractive answers and the small shared embedder; the node-llama-cpp patch applied by our postinstall.
//
// The tarball holds exactly the files `npm pack` in the checkout selects ("files" in package.json), with dist/ freshly
// compiled from src/ into a staging folder, so the test never rewrites the checkout's dist/ under other tests.
//
// The install is `npm install --prefer-offline`: a fresh project has no lockfile, and npm must read each package's
// registry metadata to resolve it, which `npm ci` (lockfile installs) never caches, so `--offline` cannot work; with
// --prefer-offline the metadata comes from the registry, which CI reaches anyway for its own `npm ci`, and tarballs
// come from the cache that `npm ci` filled. better-sqlite3 and hnswlib-node publish no binaries in their npm packages
// (better-sqlite3's prebuild-install downloads them from GitHub, out of reach here; hnswlib-node has none) and would be
// compiled again, about two minutes on two cores: the project denies their install scripts (allowScripts) and takes
// the addons the checkout's `npm ci` built, after checking the versions and Node ABI are the same.
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { projectRoot, storiesModel, tempDir, writeFiles } from "../helpers.js";

const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const town = "青石镇的钟楼建于1887年，高二十三米，是镇上最老的建筑。钟楼每天正午敲十二下。";
const river = "镇东的白沙河每年五月涨水，渡口在涨水时停航三天。";

interface PackedFile {
  path: string;
}

let work: string;
let app: string;
let tarball: string;
let packedFiles: string[];
let installSeconds: number;
let installWarnings: string;

function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): string {
  return execFileSync(command, args, { cwd, encoding: "utf8", env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });
}

/** npm's own file selection for the checkout, as `npm pack` would take it. */
function selectedFiles(): string[] {
  const out = run(npm, ["pack", "--dry-run", "--json", "--ignore-scripts"], projectRoot);
  return (JSON.parse(out) as Array<{ files: PackedFile[] }>)[0].files.map((f) => f.path);
}

function copyAddon(name: string, file: string): void {
  const from = path.join(projectRoot, "node_modules", name);
  const to = path.join(app, "node_modules", name);
  const version = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).version as string;
  expect(version(to), `${name} installed in the project is the checkout's version`).toBe(version(from));
  fs.mkdirSync(path.join(to, "build", "Release"), { recursive: true });
  fs.copyFileSync(path.join(from, "build", "Release", file), path.join(to, "build", "Release", file));
}

beforeAll(async () => {
  work = tempDir("alpaca-rag-pack-");
  const staging = path.join(work, "staging");
  const selected = selectedFiles();
  for (const file of selected.filter((f) => !f.startsWith("dist/"))) {
    fs.mkdirSync(path.dirname(path.join(staging, file)), { recursive: true });
    fs.copyFileSync(path.join(projectRoot, file), path.join(staging, file));
  }
  run(process.execPath, [path.join(projectRoot, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json", "--outDir", path.join(staging, "dist")], projectRoot);
  const packed = JSON.parse(run(npm, ["pack", "--json", "--ignore-scripts", "--pack-destination", work], staging)) as Array<{ filename: string; files: PackedFile[] }>;
  tarball = path.join(work, packed[0].filename);
  packedFiles = packed[0].files.map((f) => f.path);

  app = path.join(work, "app");
  const spec = `file:${path.relative(app, tarball)}`;
  writeFiles(app, {
    "package.json": JSON.stringify(
      {
        name: "alpaca-rag-user",
        private: true,
        type: "module",
        dependencies: { "alpaca-rag": spec },
        // npm 11's install-script policy, as the README tells users to write it (a tarball is keyed by its absolute
        // file: spec, as `npm install-scripts approve alpaca-rag` writes it).
        allowScripts: {
          [`file:${tarball}`]: true,
          "node-llama-cpp": true,
          "@node-rs/jieba": true,
          "onnxruntime-node": false,
          sharp: false,
          // Its prebuilt binaries are in its npm package; the install script would only look for them.
          usearch: false,
          // Compiled from source on install; taken from the checkout below (see the top of this file).
          "better-sqlite3": false,
          "hnswlib-node": false,
        },
      },
      null,
      2,
    ),
  });
  const started = performance.now();
  const install = spawnSync(npm, ["install", "--prefer-offline", "--no-audit", "--no-fund"], { cwd: app, encoding: "utf8" });
  expect(install.status, install.stderr).toBe(0);
  installWarnings = install.stderr;
  installSeconds = (performance.now() - started) / 1000;
  copyAddon("better-sqlite3", "better_sqlite3.node");
  copyAddon("hnswlib-node", "addon.node");
}, 600_000);

describe("the packed package", () => {
  it("holds the built entry with its declarations, the CLI, prompts, page, patch and postinstall, and no sources or tests", () => {
    for (const file of ["dist/index.js", "dist/index.d.ts", "dist/cli/main.js", "bin/alpaca-rag.js", "patches/node-llama-cpp+3.21.1.patch", "scripts/postinstall.mjs", "package.json", "README.md"])
      expect(packedFiles).toContain(file);
    expect(packedFiles.some((f) => f.startsWith("prompts/"))).toBe(true);
    expect(packedFiles.some((f) => f.startsWith("web/"))).toBe(true);
    expect(packedFiles.filter((f) => /^(src|test|bench)\//.test(f))).toEqual([]);
  });

  it("installs without compiling anything and with node-llama-cpp patched by our postinstall", () => {
    console.log(`npm install of the tarball: ${installSeconds.toFixed(1)} s`);
    // Every install script was reviewed by the project's policy: ours ran because it was allowed.
    expect(installWarnings).not.toContain("not yet covered by allowScripts");
    for (const addon of ["better-sqlite3", "hnswlib-node"]) expect(fs.existsSync(path.join(app, "node_modules", addon, "build", "Release", "obj.target")), `${addon} compiled`).toBe(false);
    const context = fs.readFileSync(path.join(app, "node_modules/node-llama-cpp/dist/evaluator/LlamaContext/LlamaContext.js"), "utf8");
    expect(context).toContain("validatedTokens.push([evalTokens[i], resultToken]);");
    expect(context).toContain("if (shouldHaveAnotherLoop && this._totalSequences > 1)");
    expect(context).toContain("batchItems = batchItems.slice().sort((a, b) => a.queuedDecode.sequenceId - b.queuedDecode.sequenceId);");
    // npm hoisted it beside alpaca-rag, where patch-package on its own would not have looked.
    expect(fs.existsSync(path.join(app, "node_modules/alpaca-rag/node_modules/node-llama-cpp"))).toBe(false);
    // The benchmarks' LangChain packages stay out of a user's install; langchain itself comes in.
    expect(fs.existsSync(path.join(app, "node_modules/@langchain/community"))).toBe(false);
    expect(fs.existsSync(path.join(app, "node_modules/langchain/package.json"))).toBe(true);
  });

  it("answers a question from a plain Node ESM script, cited, with extractive answers and the LangChain tool", () => {
    const inbox = path.join(app, "inbox");
    writeFiles(inbox, { "town.txt": town, "notes/river.md": `# 白沙河\n\n${river}\n` });
    writeFiles(app, {
      "answer.mjs": `
import { loadSettings, ingestFolder, openEngine, answerQuestion, searchChunks, createAnswerTool, AlpacaRagRetriever } from "alpaca-rag";
const settings = loadSettings({
  env: {},
  overrides: { store: "store", inbox: "inbox", threads: 1, gpu: false, "generator.model": "none", "embedding.model": process.argv[2], "ocr.engine": "none" },
});
const summary = await ingestFolder({ settings });
const engine = await openEngine(settings);
try {
  const answer = await answerQuestion(engine, { question: "青石镇的钟楼是哪一年建成的？" });
  const search = await searchChunks(engine, "白沙河 涨水");
  const tool = await createAnswerTool(engine).invoke({ question: "渡口在涨水时停航几天？" });
  const docs = await new AlpacaRagRetriever({ engine, k: 1 }).invoke("钟楼");
  console.log(JSON.stringify({ added: summary.added, failed: summary.failed, answer, top: search.results[0].source, tool, retrieved: docs.map((d) => d.metadata.source) }));
} finally {
  await engine.close();
}
`,
    });
    const out = JSON.parse(run(process.execPath, ["answer.mjs", storiesModel], app).trim().split("\n").at(-1)!);
    expect(out.added).toBe(2);
    expect(out.failed).toEqual([]);
    expect(out.answer.mode).toBe("extractive");
    expect(out.answer.answer).toContain("1887");
    expect(out.answer.answer).toMatch(/\[1\]/);
    expect(out.answer.citations[0]).toMatchObject({ n: 1, source: "town.txt", cited: true });
    expect(out.top).toBe("notes/river.md");
    expect(out.tool).toContain("三天");
    expect(out.tool).toMatch(/Sources:\n\[\d\] notes\/river\.md/);
    expect(out.retrieved).toEqual(["town.txt"]);
  });

  it("keeps its internals private and its CLI working", () => {
    const script = `import("alpaca-rag/dist/qa/engine.js").then(() => console.log("open"), (e) => console.log(e.code))`;
    expect(run(process.execPath, ["--input-type=module", "-e", script], app).trim()).toBe("ERR_PACKAGE_PATH_NOT_EXPORTED");
    const models = JSON.parse(run(path.join(app, "node_modules", ".bin", "alpaca-rag"), ["models", "list", "--json"], app));
    expect(JSON.stringify(models)).toContain("chinese-alpaca-2-7b");
  });

  it("type-checks a TypeScript program against the shipped declarations", () => {
    writeFiles(app, {
      "typed.mts": `
import { loadSettings, openEngine, answerQuestion, createAnswerTool, type Answer, type Settings } from "alpaca-rag";
const settings: Settings = loadSettings({ overrides: { "generator.model": "none" } });
const engine = await openEngine(settings);
const answer: Answer = await answerQuestion(engine, { question: "?" });
const n: number = answer.citations[0].n;
const tool = createAnswerTool(engine, { k: 3 });
// @ts-expect-error the tool takes a question, not a query
await tool.invoke({ query: "?" });
console.log(n, tool.name);
`,
      "tsconfig.json": JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ["typed.mts"] }),
    });
    run(process.execPath, [path.join(projectRoot, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], app);
  });
});
