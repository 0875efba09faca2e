import { getLlama, LlamaLogLevel, LlamaCompletion } from "node-llama-cpp";
const modelPath = process.argv[2];
const mode = process.argv[3] ?? "completion";
const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, progressLogs: false });
const model = await llama.loadModel({ modelPath });
const fa = process.env.FA === "1";
const batch = Number(process.env.BATCH ?? 512);
const ctx = await model.createContext({ contextSize: Number(process.env.CTX ?? 2048), sequences: 1, threads: 2, batchSize: batch, flashAttention: fa });
const words = "the quick brown fox jumps over the lazy dog and then some more words follow here in order to make a long prompt ";
let text = ""; while (model.tokenize(text).length < 280) text += words;
const tokens = model.tokenize(text).slice(0, 280);
for (let r = 0; r < 3; r++) {
  const seq = ctx.getSequence();
  const t0 = performance.now();
  if (mode === "evaluate") {
    await seq.evaluateWithoutGeneratingNewTokens(tokens);
    const t1 = performance.now();
    let n = 0; const tg0 = performance.now();
    for await (const t of seq.evaluate([tokens[0]], { temperature: 0 })) { if (++n >= 48) break; }
    const t2 = performance.now();
    console.log(`evaluate fa=${fa} batch=${batch}: prompt ${(280 / (t1 - t0) * 1000).toFixed(0)} tok/s; decode ${(48 / (t2 - tg0) * 1000).toFixed(1)} tok/s`);
  } else {
    const c = new LlamaCompletion({ contextSequence: seq });
    let first = 0; let n = 0;
    await c.generateCompletion(tokens, { maxTokens: 48, temperature: 0, onToken: (t) => { if (!first) first = performance.now(); n += t.length; } });
    const t2 = performance.now();
    console.log(`completion fa=${fa} batch=${batch}: ttft ${(first - t0).toFixed(0)} ms (${(280 / (first - t0) * 1000).toFixed(0)} tok/s); decode ${((n - 1) / (t2 - first) * 1000).toFixed(1)} tok/s n=${n}`);
    c.dispose({ disposeSequence: false });
  }
  await seq.dispose();
}
console.log(JSON.stringify(llama.cpuMathCores));
