// One llama.cpp runtime per process, created with the configured GPU choice, and the thread count every context uses.
import os from "node:os";
import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";

export interface RuntimeOptions {
  /** "auto": CUDA/Vulkan/Metal when node-llama-cpp finds one, else CPU. true: a GPU is required. false: CPU only. */
  gpu: "auto" | boolean;
}

const runtimes = new Map<string, Promise<Llama>>();

/**
 * OpenMP's wait policy for llama.cpp's CPU threads, set before node-llama-cpp loads its binary (libgomp reads it once,
 * at load; only builds with OpenMP, such as scripts/llama-native.sh's, read it at all). node-llama-cpp runs each decode
 * on whichever libuv pool thread is free, and each such thread has its own OpenMP team; with more OpenMP threads than
 * cores libgomp's default lets a worker spin only briefly before it sleeps, so llama.cpp's workers fell asleep between
 * tokens: decoding ran at 73–80 tokens/s against llama-server's 99–118 (110M model, 2 threads, same build). ACTIVE gave
 * 102–114, and no CPU time is spent while idle (2–4 ms over the 3 s after a generation, as with the default). A policy
 * the user set is kept.
 */
export function preferActiveOpenMpWait(): void {
  if (process.env.OMP_WAIT_POLICY === undefined) process.env.OMP_WAIT_POLICY = "ACTIVE";
}

/** The shared llama.cpp runtime for a GPU choice; later calls reuse the first. */
export function llamaRuntime({ gpu }: RuntimeOptions): Promise<Llama> {
  const key = String(gpu);
  let runtime = runtimes.get(key);
  if (!runtime) {
    preferActiveOpenMpWait();
    runtime = getLlama({
      gpu: gpu === true ? "auto" : gpu,
      // llama.cpp's info lines are noise on a terminal; warnings and errors still show.
      logLevel: LlamaLogLevel.error,
      build: "never",
      progressLogs: false,
    }).then((llama) => {
      if (gpu === true && llama.gpu === false)
        throw new Error("gpu: true was configured but no CUDA, Vulkan or Metal device is usable; set gpu to \"auto\" or false");
      return llama;
    });
    runtimes.set(key, runtime);
  }
  return runtime;
}

/**
 * Which llama.cpp binary runs, in words for notes and benchmark reports: node-llama-cpp loads a build made for this
 * CPU (scripts/llama-native.sh) before its portable prebuilt one, which evaluates prompts about half as fast.
 */
export function describeLlamaBuild(llama: Llama): string {
  if (llama.buildType === "localBuild") return "llama.cpp built for this CPU";
  if (llama.gpu !== false) return `llama.cpp prebuilt for ${llama.gpu}`;
  return "llama.cpp portable prebuilt (scripts/llama-native.sh builds one for this CPU)";
}

/**
 * Threads for llama.cpp contexts: the configured number, else the physical core count.
 * node-llama-cpp's own default (4 or 6) oversubscribes small machines and slows inference by orders of magnitude.
 */
export function resolveThreads(configured: number | undefined, llama?: Llama): number {
  if (configured && configured > 0) return configured;
  if (llama && llama.cpuMathCores > 0) return llama.cpuMathCores;
  return Math.max(1, Math.floor(os.availableParallelism()));
}
