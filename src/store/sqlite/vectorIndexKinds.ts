// Which vector index implementation keeps a store's vectors, by the store's vector precision, and the file each uses.
import { checkHnswFile, HnswVectorIndex } from "./hnswVectorIndex.js";
import { UsearchVectorIndex } from "./usearchVectorIndex.js";
import type { IndexFileCheck, VectorIndex, VectorIndexOptions, VectorPrecision } from "./vectorIndex.js";

export interface VectorIndexKind {
  /** The index file in the store's folder. */
  fileName: string;
  create(options: VectorIndexOptions): VectorIndex;
  load(file: string, options: VectorIndexOptions): { index: VectorIndex; problem: string | null };
  check(file: string, dimension: number, live: ReadonlySet<number>, vectorOf: (id: number) => Float32Array): IndexFileCheck;
}

export const vectorIndexKinds: Record<VectorPrecision, VectorIndexKind> = {
  float32: {
    fileName: "vectors.hnsw",
    create: (options) => HnswVectorIndex.create(options),
    load: (file, options) => HnswVectorIndex.load(file, options),
    check: checkHnswFile,
  },
  float16: {
    fileName: "vectors.usearch",
    create: (options) => UsearchVectorIndex.create(options),
    load: (file, options) => UsearchVectorIndex.load(file, options),
    check: (file, dimension, live, vectorOf) => UsearchVectorIndex.check(file, dimension, live, vectorOf),
  },
};
