// The web page: plain HTML, CSS and JS from the package's web/ folder, found the same way from src/ (tsx) and dist/,
// and pdf.js (the pdfjs-dist package, for the citation preview) under /vendor/pdfjs/, served by us: no CDN.
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import express, { Router } from "express";

/** <package>/web: two folders up from src/server/web or dist/server/web, then web/. */
export const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "web");

/** The installed pdfjs-dist package's folder. */
export const pdfjsDir = path.dirname(createRequire(import.meta.url).resolve("pdfjs-dist/package.json"));

/** What the page loads from pdfjs-dist: the module build with its worker, CMaps and fonts for CJK text, decoders. */
const pdfjsFolders = ["build", "cmaps", "standard_fonts", "wasm"];

/** Script, workers and connections from this server only; no inline script or style; never framed. */
export const pageContentSecurityPolicy =
  "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; worker-src 'self'; connect-src 'self'; frame-ancestors 'none'";

export function webRouter(dir: string = webDir): Router {
  const router = Router();
  // The page's own files only, and nothing that would let a document's text run as script.
  router.use((_req, res, next) => {
    res.set("Content-Security-Policy", pageContentSecurityPolicy);
    next();
  });
  router.use(express.static(dir, { index: "index.html", fallthrough: true, maxAge: 0, dotfiles: "ignore" }));
  for (const folder of pdfjsFolders)
    router.use(`/vendor/pdfjs/${folder}`, express.static(path.join(pdfjsDir, folder), { fallthrough: true, maxAge: "1d", dotfiles: "ignore", index: false }));
  return router;
}
