// A seeded synthetic corpus for the search-scale benchmark: unit vectors drawn around gaussian cluster centres (a
// stand-in for an embedder's output, which also clumps by topic) and text of real Chinese words plus pseudo-English
// ones, where each cluster favours its own topic words, so BM25 and the dense index agree about what is near what.
import { readCmrcPassages } from "./cmrc.js";
import { lexicalTerms } from "../../src/store/segment.js";

/** A small fast PRNG (mulberry32): the same seed always yields the same corpus. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal deviates by Box–Muller. */
function gaussian(random: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const u = Math.max(random(), 1e-12);
    const v = random();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

function normalise(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i] * v[i];
  const norm = Math.sqrt(sum) || 1;
  for (let i = 0; i < v.length; i++) v[i] /= norm;
  return v;
}

export interface SyntheticCorpusOptions {
  seed: number;
  /** Vector dimension. Default 384 (bge-small-zh's). */
  dimension?: number;
  /** Topic clusters. Default 1000. */
  clusters?: number;
  /**
   * Length of the noise added to a cluster centre (both unit length), before normalising. Default 1: a point's cosine
   * to its centre is about 0.7 and to its cluster mates about 0.5, so near neighbours are many and close together.
   */
  spread?: number;
}

export interface SyntheticChunk {
  cluster: number;
  text: string;
  vector: Float32Array;
}

export interface SyntheticQuery {
  cluster: number;
  text: string;
  vector: Float32Array;
}

/** Words by descending frequency: jieba words of the CMRC passages (Han only), read at run time. */
function chineseVocabulary(): string[] {
  const counts = new Map<string, number>();
  for (const p of readCmrcPassages())
    for (const w of lexicalTerms(p.context)) if (/^\p{Script=Han}+$/u.test(w)) counts.set(w, (counts.get(w) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([w]) => w);
}

/** Pronounceable nonsense words (a few per topic), so English-looking terms are in the mix too. */
function pseudoEnglish(random: () => number, count: number): string[] {
  const onsets = ["b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "st", "tr", "pl", "gr"];
  const vowels = ["a", "e", "i", "o", "u", "ai", "ou", "ea"];
  const codas = ["", "n", "r", "s", "t", "l", "m", "ng"];
  const pick = (xs: string[]) => xs[Math.floor(random() * xs.length)];
  const words = new Set<string>();
  while (words.size < count) {
    const syllables = 2 + Math.floor(random() * 2);
    let w = "";
    for (let s = 0; s < syllables; s++) w += pick(onsets) + pick(vowels) + pick(codas);
    words.add(w);
  }
  return [...words];
}

export class SyntheticCorpus {
  readonly dimension: number;
  readonly clusters: number;
  private readonly spread: number;
  private readonly centres: Float32Array[];
  private readonly topics: string[][];
  private readonly vocabulary: string[];
  /** Cumulative Zipf weights over `vocabulary`, for background words. */
  private readonly zipf: Float64Array;

  constructor(options: SyntheticCorpusOptions) {
    this.dimension = options.dimension ?? 384;
    this.clusters = options.clusters ?? 1000;
    this.spread = options.spread ?? 1;
    const random = seededRandom(options.seed);
    const normal = gaussian(random);
    this.centres = Array.from({ length: this.clusters }, () => normalise(Float32Array.from({ length: this.dimension }, normal)));
    this.vocabulary = chineseVocabulary();
    const english = pseudoEnglish(random, 2 * this.clusters);
    this.zipf = new Float64Array(this.vocabulary.length);
    let total = 0;
    for (let r = 0; r < this.vocabulary.length; r++) this.zipf[r] = total += 1 / (r + 1);
    // Topic words come from below the 300 most common words (which every topic uses anyway), plus two English words.
    const topicPool = this.vocabulary.slice(300);
    this.topics = this.centres.map((_, c) => [
      ...Array.from({ length: 30 }, () => topicPool[Math.floor(random() * topicPool.length)]),
      english[2 * c],
      english[2 * c + 1],
    ]);
  }

  /** A point of `cluster`: its centre plus noise of length `spread`, normalised. */
  private pointNear(cluster: number, normal: () => number): Float32Array {
    const centre = this.centres[cluster];
    const scale = this.spread / Math.sqrt(this.dimension);
    const v = new Float32Array(this.dimension);
    for (let i = 0; i < v.length; i++) v[i] = centre[i] + scale * normal();
    return normalise(v);
  }

  private backgroundWord(random: () => number): string {
    const x = random() * this.zipf[this.zipf.length - 1];
    let lo = 0;
    let hi = this.zipf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.zipf[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return this.vocabulary[lo];
  }

  /** Text of about `words` words: a third topic words, the rest background words by Zipf's law, with punctuation. */
  private textFor(cluster: number, words: number, random: () => number): string {
    const topic = this.topics[cluster];
    let text = "";
    for (let i = 0; i < words; i++) {
      const word = random() < 0.33 ? topic[Math.floor(random() * topic.length)] : this.backgroundWord(random);
      text += /^[a-z]/.test(word) ? ` ${word} ` : word;
      if (i % 14 === 13) text += random() < 0.5 ? "，" : "。";
    }
    return `${text.replace(/ {2,}/g, " ").trim()}。`;
  }

  /** Chunks in a fixed order for `seed`: the store gets exactly the same corpus every run. */
  *chunks(count: number, seed: number): Generator<SyntheticChunk> {
    const random = seededRandom(seed);
    const normal = gaussian(random);
    for (let i = 0; i < count; i++) {
      const cluster = Math.floor(random() * this.clusters);
      const words = 90 + Math.floor(random() * 60);
      yield { cluster, text: this.textFor(cluster, words, random), vector: this.pointNear(cluster, normal) };
    }
  }

  /** Questions: a point near a cluster and a few of its topic words with one common word, as a user might type. */
  queries(count: number, seed: number): SyntheticQuery[] {
    const random = seededRandom(seed);
    const normal = gaussian(random);
    return Array.from({ length: count }, () => {
      const cluster = Math.floor(random() * this.clusters);
      const topic = this.topics[cluster];
      const words = [0, 1, 2].map(() => topic[Math.floor(random() * 30)]);
      words.splice(Math.floor(random() * 4), 0, this.backgroundWord(random));
      return { cluster, text: `${words.join("")}是什么？`, vector: this.pointNear(cluster, normal) };
    });
  }
}
