// Saved web pages: the article without page chrome, scripts or styles; headings as sections; the charset from the
// BOM, the meta tag or detection (GBK pages); deep pages walked without readability, absurdly deep ones refused.
import iconv from "iconv-lite";
import { describe, expect, it } from "vitest";
import { chunkDocument } from "../../../src/ingest/chunk.js";
import { measureHtml, maxHtmlDepth } from "../../../src/ingest/loaders/html.js";
import { loadDocument } from "../../../src/ingest/loaders/index.js";
import { EstimatingTokenizer } from "../../../src/models/tokenizer.js";

const body = (paragraphs: string[]) => paragraphs.map((p) => `<p>${p}</p>`).join("\n");
const history = Array.from({ length: 6 }, (_, i) => `望月桥建于一八八八年，是县里最古老的石拱桥之一，第${i + 1}段记录了它的故事。`);
const repairs = Array.from({ length: 6 }, (_, i) => `二零零二年县里出资重修了桥面，工匠们用了${i + 3}个月才完工。`);

function newsPage(charsetMeta: string): string {
  return `<!doctype html><html><head>${charsetMeta}<title>望月桥的历史 - 县城新闻网</title>
<style>.ad { color: red } body { font: 14px sans-serif }</style>
<script>window.tracker = "广告追踪脚本";</script></head>
<body>
<nav><a href="/">首页</a> | <a href="/news">新闻</a> | <a href="/about">关于我们</a></nav>
<header><div class="logo">县城新闻网</div></header>
<article>
<h1>望月桥的历史</h1>
${body(history)}
<h2>修缮经过</h2>
${body(repairs)}
<table><tr><th>年份</th><th>事件</th></tr><tr><td>1888</td><td>建成</td></tr><tr><td>2002</td><td>重修</td></tr></table>
</article>
<aside class="ad">广告：城东新楼盘火热销售中</aside>
<footer>版权所有 © 县城新闻网 联系电话 123456</footer>
<script>document.write("更多脚本")</script>
</body></html>`;
}

describe("web pages", () => {
  it("keeps the article and its headings, and leaves navigation, scripts, styles, ads and footers out", async () => {
    const doc = await loadDocument("news.html", Buffer.from(newsPage('<meta charset="utf-8">')));
    expect(doc.kind).toBe("html");
    expect(doc.encoding).toBe("UTF-8");
    for (const p of [...history, ...repairs]) expect(doc.text).toContain(p);
    for (const junk of ["首页", "关于我们", "广告追踪脚本", "更多脚本", "font:", "新楼盘", "版权所有"]) expect(doc.text).not.toContain(junk);
    expect(doc.text).toContain("年份 | 事件\n1888 | 建成\n2002 | 重修");
    expect(doc.sections.map((s) => s.title)).toContain("修缮经过");
    const chunks = chunkDocument(doc, { tokenizer: new EstimatingTokenizer(), chunkSize: 60, chunkOverlap: 0 });
    const repair = chunks.find((c) => c.text.includes(repairs[2]));
    expect(repair?.location).toEqual({ kind: "section", section: "修缮经过", label: "§ 修缮经过" });
  });

  it("decodes GBK pages by their meta tag, by http-equiv, and without either by detection", async () => {
    for (const meta of ['<meta charset="gb2312">', '<meta http-equiv="Content-Type" content="text/html; charset=GBK">', ""]) {
      const doc = await loadDocument("gbk.htm", iconv.encode(newsPage(meta), "gbk"));
      expect(doc.text, meta).toContain(history[3]);
      expect(doc.text, meta).toContain(repairs[4]);
      expect(doc.encoding, meta).toMatch(/GB18030|GBK/i);
    }
  });

  it("reads a UTF-8 page with a BOM and a short page with no article (the body without chrome)", async () => {
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(newsPage(""))]);
    expect((await loadDocument("bom.html", bom)).text).toContain(history[0]);
    const short = await loadDocument("short.html", Buffer.from("<html><head><title>便条</title></head><body><nav>菜单</nav><p>明天上午九点在桥头集合。</p></body></html>"));
    expect(short.text).toContain("明天上午九点在桥头集合。");
    expect(short.text).not.toContain("菜单");
  });

  it("measures nesting in one linear pass, ignoring void and loosely closed elements", () => {
    expect(measureHtml("<div><p>a<p>b<br><img src=x><span>c</span></div>")).toEqual({ depth: 2, elements: 6 });
    expect(measureHtml("<div>".repeat(10_000)).depth).toBe(10_000);
    expect(measureHtml("<a<a<a<a" + "<b".repeat(100_000)).elements).toBe(0);
  });

  it("walks a deep page without readability, and refuses one nested deeper than any real page", async () => {
    const deep = `<html><body>${"<div>".repeat(400)}<p>藏在四百层之下的一句话。</p>${"</div>".repeat(400)}</body></html>`;
    expect((await loadDocument("deep.html", Buffer.from(deep))).text).toBe("藏在四百层之下的一句话。");
    const absurd = Buffer.from(`<html><body>${"<div>".repeat(maxHtmlDepth + 1)}text`);
    await expect(loadDocument("absurd.html", absurd)).rejects.toThrow(new RegExp(`^too large to read safely: HTML nested \\d+ levels deep \\(limit ${maxHtmlDepth}\\)$`));
  });
});
