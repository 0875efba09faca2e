// Citations point to where the passage is, through the real server: /v1/search results and /v1/ask citations carry a
// `location` beside page/pageEnd ("slide 2" for a deck, "§ title" for a Word section, "p. N" for a PDF), as ask --json does.
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Answer } from "../../../src/qa/answer.js";
import type { SearchResult } from "../../../src/server/search/searchService.js";
import { samplePdf, samplePdfPages } from "../../helpers.js";
import { makeDocx, makePptx } from "../../ingest/loaders/formatFixtures.js";
import { postJson, startTestServer, type TestServer } from "../serverFixture.js";

let t: TestServer;
const pdfPassage = (JSON.parse(fs.readFileSync(samplePdfPages, "utf8")) as { passages: Array<{ page: number; pageEnd: number; context: string }> }).passages.find(
  (p) => p.page === p.pageEnd && p.page > 1,
)!;

beforeAll(async () => {
  t = await startTestServer({
    generator: "none",
    embedding: "none",
    files: {
      "deck.pptx": await makePptx([
        { title: "开场", lines: ["欢迎各位来到茶园年会。"] },
        { title: "价格", lines: ["今年龙井的收购价是每斤八百元。"], notes: "价格比去年高一成。" },
      ]),
      "handbook.docx": await makeDocx({
        sections: [
          { heading: "入职须知", paragraphs: ["新员工第一天要到人事处领取工牌。"] },
          { heading: "请假制度", paragraphs: ["病假需要提前一天向主管提交申请。"] },
        ],
      }),
      "sample.pdf": fs.readFileSync(samplePdf),
    },
  });
}, 300_000);
afterAll(async () => t?.close());

describe("locations in answers from the server", () => {
  it("/v1/search gives each result its location: slide, section or page", async () => {
    const search = async (query: string) => ((await (await postJson(`${t.url}v1/search`, { query, k: 1 })).json()) as SearchResult).results[0];
    const slide = await search("龙井的收购价是多少");
    expect(slide).toMatchObject({ source: "deck.pptx", page: null, pageEnd: null, location: { kind: "slide", slide: 2, slideEnd: 2, label: "slide 2" } });
    expect(slide.text).toContain("价格比去年高一成。");
    const section = await search("病假需要提前几天申请");
    expect(section).toMatchObject({ source: "handbook.docx", location: { kind: "section", section: "请假制度", label: "§ 请假制度" } });
    const page = await search(pdfPassage.context.slice(0, 30));
    expect(page).toMatchObject({ source: "sample.pdf", page: pdfPassage.page, location: { kind: "page", page: pdfPassage.page, label: `p. ${pdfPassage.page}` } });
  });

  it("/v1/ask citations carry the same location, as ask --json prints them", async () => {
    const res = await postJson(`${t.url}v1/ask`, { question: "今年龙井的收购价是每斤多少元？", k: 2 });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as Answer;
    const cited = answer.citations.find((c) => c.source === "deck.pptx");
    expect(cited?.location).toEqual({ kind: "slide", slide: 2, slideEnd: 2, label: "slide 2" });
    expect(cited).toMatchObject({ page: null, pageEnd: null });
  });
});
