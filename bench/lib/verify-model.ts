// Checks a synthetic GGUF: tokenizer metadata identical to its source, loads in node-llama-cpp, gives finite,
// non-constant embeddings for Chinese and English, and prints embedding speed on 384-token inputs.
import assert from "node:assert/strict";
import { getLlama, LlamaLogLevel, readGgufFileInfo } from "node-llama-cpp";
import { cosine } from "../../src/store/sqlite/vectorIndex.js";
import { runRawEmbed } from "../raw-embed.js";
import { readCmrcPassages } from "./cmrc.js";

const samples = {
  zh: "本地文档问答：先把文件切成片段，再为每个片段计算向量，最后按相似度检索。",
  en: "Local document question answering: split files into chunks, embed each chunk, then search by similarity.",
};

export async function verifySyntheticModel(modelPath: string, tokenizerSourcePath: string): Promise<void> {
  const [made, source] = await Promise.all([
    readGgufFileInfo(modelPath, { readTensorInfo: false, logWarnings: false }),
    readGgufFileInfo(tokenizerSourcePath, { readTensorInfo: false, logWarnings: false }),
  ]);
  assert.deepEqual(made.metadata.tokenizer, source.metadata.tokenizer, "tokenizer metadata differs from its source");
  console.log(`tokenizer metadata equals ${tokenizerSourcePath}'s (${made.metadata.tokenizer.ggml.tokens.length} tokens)`);

  const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, progressLogs: false });
  const model = await llama.loadModel({ modelPath });
  const context = await model.createEmbeddingContext({ threads: 2, contextSize: 512 });
  const vectors: (readonly number[])[] = [];
  for (const [lang, text] of Object.entries(samples)) {
    const { vector } = await context.getEmbeddingFor(text);
    const mean = vector.reduce((a, b) => a + b, 0) / vector.length;
    const std = Math.sqrt(vector.reduce((a, v) => a + (v - mean) ** 2, 0) / vector.length);
    assert.ok(vector.every(Number.isFinite), `${lang}: embedding has non-finite values`);
    assert.ok(std > 1e-6, `${lang}: embedding is constant`);
    console.log(`${lang}: ${model.tokenize(text).length} tokens → ${vector.length} dims, mean ${mean.toFixed(4)}, std ${std.toFixed(4)}`);
    vectors.push(vector);
  }
  const similarity = cosine(vectors[0], vectors[1]);
  assert.ok(similarity < 0.9999, "Chinese and English texts embed to the same vector");
  console.log(`cosine(zh, en) = ${similarity.toFixed(4)}`);

  // 384-token windows cut from the CMRC passages, tokenized by this model.
  const tokens = model.tokenize(readCmrcPassages().map((p) => p.context).join("\n"));
  const windows: number[][] = [];
  for (let i = 0; i + 384 <= tokens.length && windows.length < 24; i += 384) windows.push(tokens.slice(i, i + 384));
  await context.dispose();
  await model.dispose();

  for (const threads of [2, 1]) {
    const r = await runRawEmbed({ modelPath, threads, chunks: windows, contextSize: 512 });
    assert.ok(r.vectorsOk, "non-finite or zero vectors in the speed run");
    console.log(
      `threads ${threads}: ${r.chunks} × 384-token inputs in ${r.seconds.toFixed(2)}s → ` +
        `${(r.tokens / r.seconds).toFixed(0)} tokens/s, ${(r.chunks / r.seconds).toFixed(2)} chunks/s ` +
        `(load ${r.loadSeconds.toFixed(2)}s)`,
    );
  }
}
