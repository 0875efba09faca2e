// A/B: llama-server vs node-llama-cpp on one prompt, alternating, under the same load.
import { getLlama, LlamaLogLevel, LlamaCompletion } from "node-llama-cpp";
import { startLlamaServer } from "../bench/lib/llama-server.js";
const modelPath = process.argv[2];
const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, progressLogs: false });
const model = await llama.loadModel({ modelPath });
const variants: Record<string, any> = {
  base: { batchSize: 512 },
  fa: { batchSize: 512, flashAttention: true },
  b2048: { batchSize: 2048 },
};
const ctxs: Record<string, any> = {};
for (const [k, v] of Object.entries(variants)) ctxs[k] = await model.createContext({ contextSize: 2048, sequences: 1, threads: 2, ...v });
const words = "the quick brown fox jumps over the lazy dog and then some more words follow here in order to make a long prompt ";
let text = ""; while (model.tokenize(text).length < 300) text += words;
const tokens = model.tokenize(text).slice(0, 280);
const server = await startLlamaServer({ model: modelPath, parallel: 1, contextPerSlot: 2048, threads: 2 });
const base = server.url.replace(/\/v1$/, "");
const res: Record<string, number[]> = {};
const push = (k: string, v: number) => (res[k] ??= []).push(v);
for (let r = 0; r < 4; r++) {
  const t0 = performance.now();
  const j: any = await (await fetch(`${base}/completion`, { method: "POST", body: JSON.stringify({ prompt: [model.tokens.bos, ...tokens], n_predict: 48, temperature: 0, cache_prompt: false, ignore_eos: true }) })).json();
  push("server.prompt", j.timings.prompt_per_second); push("server.decode", j.timings.predicted_per_second);
  for (const k of Object.keys(variants)) {
    const seq = ctxs[k].getSequence();
    const t1 = performance.now();
    await seq.evaluateWithoutGeneratingNewTokens([model.tokens.bos, ...tokens]);
    const t2 = performance.now();
    let n = 0;
    for await (const _ of seq.evaluate([tokens[0]], { temperature: 0 })) { if (++n >= 48) break; }
    const t3 = performance.now();
    push(`${k}.prompt`, 281 / (t2 - t1) * 1000); push(`${k}.decode`, 48 / (t3 - t2) * 1000);
    await seq.dispose();
  }
}
for (const [k, v] of Object.entries(res)) console.log(k, v.map((x) => x.toFixed(0)).join(" "), "median", [...v].sort((a, b) => a - b)[v.length >> 1].toFixed(0));
await server.kill();
