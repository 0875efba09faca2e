// Known embedding models: where their GGUF lives and the prefixes they were trained with. "auto" picks the first one
// that is already downloaded.

export interface EmbeddingPreset {
  /** Name a user can put in `embedding.model`. */
  name: string;
  /** node-llama-cpp model URI of the published GGUF. */
  uri: string;
  /** Put before a question when embedding it. */
  queryPrefix: string;
  /** Put before a passage when embedding it. */
  passagePrefix: string;
  /** Vector size, for the README and `models list`. */
  dimension: number;
  description: string;
}

export const embeddingPresets: readonly EmbeddingPreset[] = [
  {
    name: "bge-small-zh-v1.5",
    uri: "hf:CompendiumLabs/bge-small-zh-v1.5-gguf/bge-small-zh-v1.5-q8_0.gguf",
    // BGE's published retrieval instruction for Chinese short-query → passage search.
    queryPrefix: "为这个句子生成表示以用于检索相关文章：",
    passagePrefix: "",
    dimension: 512,
    description: "BAAI bge-small-zh v1.5, 24M parameters, Chinese (default)",
  },
  {
    name: "bge-base-zh-v1.5",
    uri: "hf:CompendiumLabs/bge-base-zh-v1.5-gguf/bge-base-zh-v1.5-q8_0.gguf",
    queryPrefix: "为这个句子生成表示以用于检索相关文章：",
    passagePrefix: "",
    dimension: 768,
    description: "BAAI bge-base-zh v1.5, 102M parameters, Chinese",
  },
  {
    name: "bge-m3",
    uri: "hf:CompendiumLabs/bge-m3-gguf/bge-m3-q8_0.gguf",
    queryPrefix: "",
    passagePrefix: "",
    dimension: 1024,
    description: "BAAI bge-m3, 568M parameters, multilingual, 8K context",
  },
];

export const defaultEmbeddingPreset = embeddingPresets[0];

export function findEmbeddingPreset(nameOrUri: string): EmbeddingPreset | undefined {
  return embeddingPresets.find((p) => p.name === nameOrUri || p.uri === nameOrUri);
}
