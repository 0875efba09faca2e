// Turns a model setting (a GGUF path or an `hf:` URI) into a local file, downloading with node-llama-cpp's own
// downloader and progress bar when allowed; offline, the error names the missing file and the command that gets it.
import dns from "node:dns/promises";
import fs from "node:fs";
import path from "node:path";
import { resolveModelFile } from "node-llama-cpp";

export class ModelMissingError extends Error {
  override name = "ModelMissingError";
}

export interface ResolveModelOptions {
  /** Folder that holds downloaded models (the `modelsDir` setting). */
  modelsDir: string;
  /** The setting this value came from, named in errors (e.g. "embedding.model"). */
  settingKey: string;
  /** Try to download a missing `hf:`/URL model. Default true. */
  download?: boolean;
  /** Hugging Face endpoint (the `hfEndpoint` setting); default node-llama-cpp's (HF_ENDPOINT or huggingface.co). */
  hfEndpoint?: string;
  /** Show node-llama-cpp's progress bar while downloading. Default: when stderr is a terminal. */
  progress?: boolean;
  signal?: AbortSignal;
}

export function isRemoteModelUri(spec: string): boolean {
  return spec.startsWith("hf:") || /^https?:\/\//.test(spec);
}

/** The command a person runs to fetch `spec` into `modelsDir`. */
export function pullCommandFor(spec: string, modelsDir: string): string {
  const dir = path.relative(process.cwd(), modelsDir) || ".";
  return `npx alpaca-rag models pull ${spec} --models-dir ${dir}`;
}

/** Local path of an already-downloaded remote model, or null. Never touches the network. */
export async function findLocalModel(spec: string, modelsDir: string): Promise<string | null> {
  if (!isRemoteModelUri(spec)) return fs.existsSync(spec) ? path.resolve(spec) : null;
  if (!fs.existsSync(modelsDir)) return null;
  try {
    return await resolveModelFile(spec, { directory: modelsDir, download: false, cli: false });
  } catch {
    return null;
  }
}

export async function resolveModel(spec: string, options: ResolveModelOptions): Promise<string> {
  if (!isRemoteModelUri(spec)) {
    if (!fs.existsSync(spec)) throw new ModelMissingError(`${options.settingKey}: no model file at ${spec}`);
    if (!fs.statSync(spec).isFile()) throw new ModelMissingError(`${options.settingKey}: ${spec} is not a file`);
    return path.resolve(spec);
  }
  const local = await findLocalModel(spec, options.modelsDir);
  if (local) return local;
  const pull = pullCommandFor(spec, options.modelsDir);
  if (options.download === false)
    throw new ModelMissingError(`${options.settingKey}: ${spec} is not in ${options.modelsDir}. Get it with: ${pull}`);
  fs.mkdirSync(options.modelsDir, { recursive: true });
  try {
    // node-llama-cpp's downloader retries for minutes when offline; find out at once instead.
    await assertHostReachable(spec, options.hfEndpoint);
    return await resolveModelFile(spec, {
      directory: options.modelsDir,
      download: "auto",
      cli: options.progress ?? Boolean(process.stderr.isTTY),
      signal: options.signal,
      endpoints: options.hfEndpoint ? { huggingFace: options.hfEndpoint } : undefined,
    });
  } catch (e) {
    const reason = (e as Error).message?.split("\n")[0] ?? String(e);
    throw new ModelMissingError(
      `${options.settingKey}: ${spec} is not in ${options.modelsDir} and could not be downloaded (${reason}). ` +
        `Get it on a machine with internet access with: ${pull}`,
    );
  }
}

/** Resolves the model host's name within a few seconds, or throws "offline". */
async function assertHostReachable(spec: string, hfEndpoint: string | undefined): Promise<void> {
  // node-llama-cpp itself honours HF_ENDPOINT / MODEL_ENDPOINT, so the check looks where the download will.
  const hf = hfEndpoint ?? process.env.HF_ENDPOINT ?? process.env.MODEL_ENDPOINT ?? "https://huggingface.co";
  const host = new URL(spec.startsWith("hf:") ? hf : spec).hostname;
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`offline: ${host} did not resolve`)), 5000).unref());
  try {
    await Promise.race([dns.lookup(host), timeout]);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code ? `offline: cannot resolve ${host} (${code})` : (e as Error).message);
  }
}
