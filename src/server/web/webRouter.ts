// The web page: plain HTML, CSS and JS from the package's web/ folder, found the same way from src/ (tsx) and dist/.
import path from "node:path";
import { fileURLToPath } from "node:url";
import express, { Router } from "express";

/** <package>/web: two folders up from src/server/web or dist/server/web, then web/. */
export const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "web");

export function webRouter(dir: string = webDir): Router {
  const router = Router();
  // The page's own files only, and nothing that would let a document's text run as script.
  router.use((_req, res, next) => {
    res.set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'");
    next();
  });
  router.use(express.static(dir, { index: "index.html", fallthrough: true, maxAge: 0, dotfiles: "ignore" }));
  return router;
}
