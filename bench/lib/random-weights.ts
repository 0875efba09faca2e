// Deterministic random weights: a seeded integer PRNG and an integer-only near-normal draw, so the bytes never
// depend on the platform's Math.log/Math.cos (bit-identical files on every machine and Node version).

/** mulberry32: a tiny 32-bit PRNG; plenty for random weights. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** FNV-1a hash of a string, used to give every tensor its own seed (changing one tensor leaves the rest alone). */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, "utf8")) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return h;
}

/** float32 → IEEE half bits, round to nearest even (Node 20 has no Float16Array). */
export function floatToHalfBits(value: number): number {
  const f32 = new Float32Array([value]);
  const x = new Uint32Array(f32.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // inf / NaN
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow → inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow → ±0
    mant |= 0x800000; // subnormal half: shift the implicit 1 in
    const shift = 14 - e;
    const half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && (half & 1)) ? 1 : 0));
  }
  const half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // Rounding may carry into the exponent, which is still the right half value.
  return sign | (half + (rest > 0x1000 || (rest === 0x1000 && (half & 1)) ? 1 : 0));
}

// Sum of the four bytes of a uniform uint32: mean 510, variance 4·(256²−1)/12 — an Irwin–Hall near-normal.
const BYTE_SUM_MEAN = 510;
const BYTE_SUM_STD = Math.sqrt((4 * (256 * 256 - 1)) / 12);

/**
 * `count` draws of ≈N(0, std²) as F16 bytes. Each draw is one of 1021 levels, so each level's half value is
 * computed once.
 */
export function normalF16(count: number, std: number, seed: number): Buffer {
  const next = mulberry32(seed);
  const levels = new Uint16Array(1021);
  for (let s = 0; s < levels.length; s++) levels[s] = floatToHalfBits(((s - BYTE_SUM_MEAN) * std) / BYTE_SUM_STD);
  const out = new Uint16Array(count);
  for (let i = 0; i < count; i++) {
    const r = next();
    out[i] = levels[(r & 0xff) + ((r >>> 8) & 0xff) + ((r >>> 16) & 0xff) + (r >>> 24)];
  }
  return littleEndian(out);
}

/** `count` copies of `value` as F32 bytes (norm weights). */
export function constantF32(count: number, value: number): Buffer {
  const b = Buffer.alloc(count * 4);
  for (let i = 0; i < count; i++) b.writeFloatLE(value, i * 4);
  return b;
}

function littleEndian(words: Uint16Array): Buffer {
  const b = Buffer.from(words.buffer, words.byteOffset, words.byteLength);
  // Typed arrays use the host's byte order; GGUF is little-endian.
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) b.swap16();
  return b;
}
