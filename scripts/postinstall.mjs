#!/usr/bin/env node
// Applies patches/ (changes to node-llama-cpp: the draft fix, the context's lock given up between batches, and
// batches in sequence order) with patch-package, both in a checkout and when alpaca-rag is installed as a dependency.
// patch-package takes the nearest folder with a package.json as the app root and reads <root>/patches and
// <root>/node_modules/<pkg>; from a dependency's postinstall that root is node_modules/alpaca-rag, where node-llama-cpp
// usually is not (npm hoists it), so it would fail. Here the root is the folder whose node_modules holds the
// node-llama-cpp that alpaca-rag really loads, found by Node's own resolution, and patch-package runs there with
// --patch-dir pointing back at our patches.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const packageRoot = path.resolve(here, "..");
const patchesDir = path.join(packageRoot, "patches");

/** The folder of the installed package `name` as seen from ours (null when absent). */
function packageDirOf(name) {
  let file;
  try {
    file = fileURLToPath(import.meta.resolve(name));
  } catch {
    return null;
  }
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, "utf8")).name === name) return dir;
  }
  return null;
}

const target = packageDirOf("node-llama-cpp");
if (!target) {
  console.error("alpaca-rag postinstall: node-llama-cpp is not installed; nothing to patch");
  process.exit(0);
}
// <root>/node_modules/node-llama-cpp → <root>
const root = path.dirname(path.dirname(target));
const patchDir = path.relative(root, patchesDir).split(path.sep).join("/");
const patchPackage = createRequire(import.meta.url).resolve("patch-package/index.js");
const result = spawnSync(process.execPath, [patchPackage, "--patch-dir", patchDir], { cwd: root, stdio: "inherit" });
if (result.status !== 0) {
  console.error(`alpaca-rag postinstall: patch-package failed in ${root} (patches from ${patchesDir})`);
  process.exit(result.status ?? 1);
}
