// Follow-ups on POST /v1/ask: with `history`, a short or referring question is searched for together with the
// questions before it (as `chat` does), so retrieval finds the subject the user left out; `condense: false` opts out.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { retrievalQueryFor } from "../../../src/server/ask/askService.js";
import type { AskAnswer } from "../../../src/server/ask/askService.js";
import { postJson, startTestServer, type TestServer } from "../serverFixture.js";

let t: TestServer;
const files = {
  "lighthouse.txt": "The Gull Point lighthouse stands on a rock at the mouth of the bay. It was built in 1871.",
  "shed.txt": "The garden shed was built in 1990. The fence was built in 1991 and the gate was built in 1992.",
};

beforeAll(async () => {
  t = await startTestServer({ generator: "none", embedding: "none", files });
});

afterAll(async () => {
  await t?.close();
});

const ask = async (body: object) => (await (await postJson(`${t.url}v1/ask`, { k: 1, ...body })).json()) as AskAnswer;

describe("follow-up questions", () => {
  it("joins a short follow-up to the questions before it", () => {
    expect(retrievalQueryFor("When was it built?", [{ user: "Tell me about the Gull Point lighthouse", assistant: "…" }])).toBe(
      "Tell me about the Gull Point lighthouse\nWhen was it built?",
    );
    expect(retrievalQueryFor("When was it built?", [])).toBe("When was it built?");
    expect(retrievalQueryFor("When was it built?", [{ user: "Tell me about the lighthouse", assistant: "…" }], false)).toBe("When was it built?");
    expect(retrievalQueryFor("How many apple trees grow in the school orchard?", [{ user: "lighthouse", assistant: "…" }])).toBe(
      "How many apple trees grow in the school orchard?",
    );
  });

  it("retrieves the earlier subject for a follow-up; alone, or with condense off, the question finds another file", async () => {
    const history = [{ user: "Tell me about the Gull Point lighthouse", assistant: "It stands on a rock at the mouth of the bay [1]." }];
    const alone = await ask({ question: "When was it built?" });
    expect(alone.citations[0].source).toBe("shed.txt");
    expect(alone.retrievalQuery).toBe("When was it built?");

    const followUp = await ask({ question: "When was it built?", history });
    expect(followUp.retrievalQuery).toBe("Tell me about the Gull Point lighthouse\nWhen was it built?");
    expect(followUp.citations[0].source).toBe("lighthouse.txt");
    expect(followUp.question).toBe("When was it built?");
    expect(followUp.answer).toContain("1871");

    const off = await ask({ question: "When was it built?", history, condense: false });
    expect(off.citations[0].source).toBe("shed.txt");
  });

  it("refuses malformed history with a message naming the field", async () => {
    const res = await postJson(`${t.url}v1/ask`, { question: "When?", history: [{ question: "a", answer: "b" }] });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toMatch(/history/);
  });
});
