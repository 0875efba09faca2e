// Minimal GGUF v3 reading (metadata pairs as raw bytes, so they can be copied verbatim) and writing (header + tensors).
import fs from "node:fs";

/** GGUF metadata value types (gguf.h: enum gguf_type). */
export const GgufType = {
  uint8: 0, int8: 1, uint16: 2, int16: 3, uint32: 4, int32: 5, float32: 6, bool: 7,
  string: 8, array: 9, uint64: 10, int64: 11, float64: 12,
} as const;
export type GgufTypeId = (typeof GgufType)[keyof typeof GgufType];

/** ggml tensor types this file writes (ggml.h: enum ggml_type). */
export const GgmlType = { F32: 0, F16: 1 } as const;
export type GgmlTypeId = (typeof GgmlType)[keyof typeof GgmlType];
export const ggmlTypeBytes: Record<GgmlTypeId, number> = { 0: 4, 1: 2 };

const MAGIC = 0x46554747; // "GGUF" read as a little-endian uint32
const SCALAR_BYTES: Partial<Record<number, number>> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

/** One metadata pair exactly as stored: `raw` is the whole encoded pair (key, type, value). */
export interface RawKv {
  key: string;
  type: number;
  raw: Buffer;
}

/** Reads the metadata pairs of a GGUF file (v2/v3) without decoding their values. */
export function readRawKvs(path: string): RawKv[] {
  const buf = fs.readFileSync(path);
  if (buf.readUInt32LE(0) !== MAGIC) throw new Error(`${path}: not a GGUF file`);
  const version = buf.readUInt32LE(4);
  if (version < 2) throw new Error(`${path}: GGUF v${version} is not supported`);
  const kvCount = Number(buf.readBigUInt64LE(16));
  let pos = 24;
  const readString = (): string => {
    const len = Number(buf.readBigUInt64LE(pos));
    const s = buf.toString("utf8", pos + 8, pos + 8 + len);
    pos += 8 + len;
    return s;
  };
  const skipValue = (type: number): void => {
    if (type === GgufType.string) {
      pos += 8 + Number(buf.readBigUInt64LE(pos));
    } else if (type === GgufType.array) {
      const elemType = buf.readUInt32LE(pos);
      const count = Number(buf.readBigUInt64LE(pos + 4));
      pos += 12;
      const width = SCALAR_BYTES[elemType];
      if (width !== undefined) pos += width * count;
      else for (let i = 0; i < count; i++) skipValue(elemType);
    } else {
      const width = SCALAR_BYTES[type];
      if (width === undefined) throw new Error(`${path}: unknown GGUF value type ${type}`);
      pos += width;
    }
  };
  const kvs: RawKv[] = [];
  for (let i = 0; i < kvCount; i++) {
    const start = pos;
    const key = readString();
    const type = buf.readUInt32LE(pos);
    pos += 4;
    skipValue(type);
    kvs.push({ key, type, raw: Buffer.from(buf.subarray(start, pos)) });
  }
  return kvs;
}

/** One metadata pair, encoded: `encodePair((e) => e.kvU32("llama.block_count", 6))`. */
export function encodePair(fill: (e: GgufEncoder) => void): Buffer {
  const e = new GgufEncoder();
  fill(e);
  return e.toBuffer();
}

/** Every tokenizer.* pair of a GGUF file, byte for byte (to give a synthetic model a real tokenizer), and its vocabulary size. */
export function tokenizerPairs(path: string): { pairs: Buffer[]; vocab: number } {
  const source = readRawKvs(path).filter((kv) => kv.key.startsWith("tokenizer."));
  const tokens = source.find((kv) => kv.key === "tokenizer.ggml.tokens");
  if (!tokens) throw new Error(`${path} has no tokenizer.ggml.tokens`);
  // Encoded pair: key length (u64), key, value type (u32), element type (u32), element count (u64).
  const vocab = Number(tokens.raw.readBigUInt64LE(8 + Buffer.byteLength(tokens.key) + 8));
  return { pairs: source.map((kv) => kv.raw), vocab };
}

/** Appends little-endian GGUF primitives to a growing list of buffers. */
export class GgufEncoder {
  private readonly parts: Buffer[] = [];
  private length = 0;

  get byteLength(): number {
    return this.length;
  }
  bytes(b: Buffer): this {
    this.parts.push(b);
    this.length += b.length;
    return this;
  }
  u32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    return this.bytes(b);
  }
  u64(v: number | bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    return this.bytes(b);
  }
  f32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    return this.bytes(b);
  }
  string(s: string): this {
    const b = Buffer.from(s, "utf8");
    return this.u64(b.length).bytes(b);
  }
  kvString(key: string, value: string): this {
    return this.string(key).u32(GgufType.string).string(value);
  }
  kvU32(key: string, value: number): this {
    return this.string(key).u32(GgufType.uint32).u32(value);
  }
  kvF32(key: string, value: number): this {
    return this.string(key).u32(GgufType.float32).f32(value);
  }
  kvStringArray(key: string, values: readonly string[]): this {
    this.string(key).u32(GgufType.array).u32(GgufType.string).u64(values.length);
    for (const v of values) this.string(v);
    return this;
  }
  /** Zero bytes up to the next multiple of `alignment`. */
  pad(alignment: number): this {
    const rest = this.length % alignment;
    return rest === 0 ? this : this.bytes(Buffer.alloc(alignment - rest));
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.parts, this.length);
  }
}

/** A tensor to write. `dims` are in GGUF order: innermost (row length) first. */
export interface TensorSpec {
  name: string;
  dims: number[];
  type: GgmlTypeId;
}

/** One llama block's tensors (RMSNorm weights in F32, matrices in F16), width `d`, SwiGLU width `ffn`. */
export function llamaBlockTensors(layer: number, d: number, ffn: number): TensorSpec[] {
  const b = `blk.${layer}`;
  return [
    { name: `${b}.attn_norm.weight`, dims: [d], type: GgmlType.F32 },
    { name: `${b}.attn_q.weight`, dims: [d, d], type: GgmlType.F16 },
    { name: `${b}.attn_k.weight`, dims: [d, d], type: GgmlType.F16 },
    { name: `${b}.attn_v.weight`, dims: [d, d], type: GgmlType.F16 },
    { name: `${b}.attn_output.weight`, dims: [d, d], type: GgmlType.F16 },
    { name: `${b}.ffn_norm.weight`, dims: [d], type: GgmlType.F32 },
    { name: `${b}.ffn_gate.weight`, dims: [d, ffn], type: GgmlType.F16 },
    { name: `${b}.ffn_up.weight`, dims: [d, ffn], type: GgmlType.F16 },
    { name: `${b}.ffn_down.weight`, dims: [ffn, d], type: GgmlType.F16 },
  ];
}

/** Where a tensor goes in the file. */
export interface TensorLayout extends TensorSpec {
  /** Offset from the start of the data section (aligned). */
  offset: number;
  byteLength: number;
}

/** Lays out tensors back to back in the data section, each starting on `alignment`. */
export function layoutTensors(
  specs: TensorSpec[],
  alignment: number,
): { tensors: TensorLayout[]; dataBytes: number } {
  let offset = 0;
  const tensors = specs.map((spec) => {
    offset = Math.ceil(offset / alignment) * alignment;
    const byteLength = spec.dims.reduce((a, b) => a * b, 1) * ggmlTypeBytes[spec.type];
    const t = { ...spec, offset, byteLength };
    offset += byteLength;
    return t;
  });
  return { tensors, dataBytes: offset };
}

/** Header (magic … tensor infos, padded to `alignment`); the data section follows it directly. */
export function encodeHeader(kvs: Buffer[], tensors: TensorLayout[], alignment: number): Buffer {
  const enc = new GgufEncoder().u32(MAGIC).u32(3).u64(tensors.length).u64(kvs.length);
  for (const kv of kvs) enc.bytes(kv);
  for (const t of tensors) {
    enc.string(t.name).u32(t.dims.length);
    for (const d of t.dims) enc.u64(d);
    enc.u32(t.type).u64(t.offset);
  }
  return enc.pad(alignment).toBuffer();
}
