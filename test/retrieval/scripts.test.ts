import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Embedder } from "../../src/models/embedder.js";
import { retrieve } from "../../src/retrieval/hybrid.js";
import type { DocumentStore } from "../../src/store/contract.js";
import { ingestedStore, type IngestedStore } from "./fixtures.js";

// Made-up places, one document in each script. Each has a distractor in the other script that shares the question's
// words as written (县, 全长, 米 / 青嵐山, 寺, 鐘), so only script folding can put the right document first.
const traditionalBridge =
  "雲溪縣的望鶴橋建於嘉慶年間，全長八十六米，由當地石匠用青石砌成。橋身共有七個拱洞，每逢春汛，溪水從拱洞下奔流而過。";
const simplifiedTemple =
  "青岚山上的听松寺始建于南宋，寺内保存着一口重达三吨的铜钟。每年腊月初八，寺僧会在山门前施粥，附近村民纷纷前来。";
const files = {
  "繁體/望鶴橋.txt": traditionalBridge,
  "简体/听松寺.txt": simplifiedTemple,
  "简体/公路桥.txt": "云溪县城东新修的公路桥采用钢筋混凝土结构，全长一百米，有三个桥墩，去年年底通车。",
  "繁體/廟會.txt": "青嵐山下的廟會每年正月舉行，寺廟門前擺滿了賣糖人和燈籠的攤子，鐘聲從山上傳來。",
  // Everyday texts, so that common words (的, 有) are common here too and BM25's IDF means something.
  "简体/公园.txt": "今天的天气很好，公园里有很多人在散步，湖边有几只白鹅。",
  "繁體/市場.txt": "早上的市場有很多攤販，賣菜的阿姨說今年的白菜比去年便宜。",
  "简体/学校.txt": "学校的操场上有一棵老槐树，夏天的时候树下是最凉快的地方。",
};

let fixture: IngestedStore;
let embedder: Embedder;
let store: DocumentStore;

beforeAll(async () => {
  fixture = await ingestedStore(files);
  expect(fixture.summary.added).toBe(7);
  ({ embedder, store } = fixture);
});

afterAll(async () => {
  await fixture?.close();
});

describe("simplified and traditional Chinese find each other", () => {
  it("a simplified question ranks the traditional document first, shown in traditional characters", async () => {
    const [top] = await retrieve({ kbs: ["default"], store, embedder, query: "云溪县的望鹤桥全长多少米？", k: 3, candidates: 10 });
    expect(top.source).toBe("繁體/望鶴橋.txt");
    expect(top.text).toBe(traditionalBridge);
    expect(top.text).not.toContain("望鹤桥");
  });

  it("a traditional question ranks the simplified document first, shown in simplified characters", async () => {
    const [top] = await retrieve({ kbs: ["default"], store, embedder, query: "青嵐山聽松寺的銅鐘有多重？", k: 3, candidates: 10 });
    expect(top.source).toBe("简体/听松寺.txt");
    expect(top.text).toBe(simplifiedTemple);
    expect(top.text).not.toContain("銅鐘");
  });

  it("works the same without an embedder", async () => {
    const bridge = await retrieve({ kbs: ["default"], store, embedder: null, query: "云溪县的望鹤桥全长多少米？", k: 3, candidates: 10 });
    const temple = await retrieve({ kbs: ["default"], store, embedder: null, query: "青嵐山聽松寺的銅鐘有多重？", k: 3, candidates: 10 });
    expect([bridge[0].source, temple[0].source]).toEqual(["繁體/望鶴橋.txt", "简体/听松寺.txt"]);
  });
});
