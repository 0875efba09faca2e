// Upload names: whatever a client sends becomes one plain, visible name inside the inbox, and a name in use is never
// overwritten (numbered variants instead), even for names the multipart parser would pass through untouched.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { numberedName, placeFile, safeFileName } from "../../../src/server/documents/fileNames.js";
import { tempDir } from "../../helpers.js";

describe("safeFileName", () => {
  it.each([
    ["../evil.txt", "evil.txt"],
    ["..\\x.txt", "x.txt"],
    ["../../../../etc/passwd.md", "passwd.md"],
    ["/abs/path/notes.txt", "notes.txt"],
    ["C:\\Windows\\System32\\report.PDF", "report.pdf"],
    [".hidden.txt", "hidden.txt"],
    // Office owner files are never ingested: an upload of that name must still be.
    ["~$report.docx", "report.docx"],
    [".~$~$x.txt", "x.txt"],
    ["...txt.md", "txt.md"],
    ["trailing. .txt", "trailing.txt"],
    ["a<b>c:d\"e|f?g*h.txt", "a_b_c_d_e_f_g_h.txt"],
    ["tab\tnew\nline\u0000.txt", "tabnewline.txt"],
    ["..", "upload"],
    ["/", "upload"],
    [".txt", "txt"],
    ["nul.txt", "_nul.txt"],
    ["澜溪镇 望月桥.md", "澜溪镇 望月桥.md"],
  ])("%j → %j", (input, expected) => {
    expect(safeFileName(input)).toBe(expected);
  });

  it("keeps names within 180 bytes, extension included, without splitting a character", () => {
    const name = safeFileName(`${"桥".repeat(200)}.txt`);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(180);
    expect(name.endsWith(".txt")).toBe(true);
    expect(name).not.toMatch(/\uFFFD/);
  });
});

describe("placeFile", () => {
  it("moves a staged file in under its name, or the first free numbered one, and never overwrites", () => {
    const dir = tempDir();
    const inbox = path.join(dir, "inbox");
    fs.mkdirSync(inbox);
    fs.writeFileSync(path.join(inbox, "a.txt"), "original");
    const stage = (content: string) => {
      const p = path.join(dir, `${Math.random()}.part`);
      fs.writeFileSync(p, content);
      return p;
    };
    const first = stage("first");
    expect(placeFile(first, inbox, "b.txt")).toBe("b.txt");
    expect(fs.existsSync(first)).toBe(false);
    expect(placeFile(stage("second"), inbox, "a.txt")).toBe("a-2.txt");
    expect(placeFile(stage("third"), inbox, "a.txt")).toBe("a-3.txt");
    expect(fs.readFileSync(path.join(inbox, "a.txt"), "utf8")).toBe("original");
    expect(fs.readFileSync(path.join(inbox, "a-3.txt"), "utf8")).toBe("third");
    expect(() => placeFile(stage("x"), inbox, "../escape.txt")).toThrow(/unsafe/);
    expect(fs.existsSync(path.join(dir, "escape.txt"))).toBe(false);
    expect(numberedName("x.tar.md", 4)).toBe("x.tar-4.md");
  });
});
