// One llama.cpp runtime per process, created with the configured GPU choice, and the thread count every context uses.
import os from "node:os";
import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";

export interface RuntimeOptions {
  /** "auto": CUDA/Vulkan/Metal when node-llama-cpp finds one, else CPU. true: a GPU is required. false: CPU only. */
  gpu: "auto" | boolean;
}

const runtimes = new Map<string, Promise<Llama>>();

/** The shared llama.cpp runtime for a GPU choice; later calls reuse the first. */
export function llamaRuntime({ gpu }: RuntimeOptions): Promise<Llama> {
  const key = String(gpu);
  let runtime = runtimes.get(key);
  if (!runtime) {
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
