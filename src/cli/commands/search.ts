// `alpaca-rag search QUERY`: the ranked chunks with source, page, score and text; no generation.
import type { Command } from "commander";
import { openEngine } from "../../qa/engine.js";
import { placeLabel } from "../../qa/citations.js";
import { searchChunks } from "../../qa/search.js";
import { kbsFromFlag, withKbFlag } from "../kbFlags.js";
import { kbPrefix } from "./ask.js";
import { settingsFromFlags, withSettingsFlags, type CommonFlags } from "../settings.js";

interface SearchFlags extends CommonFlags {
  kb?: string[];
  k?: string;
  json?: boolean;
}

export function registerSearchCommand(program: Command): void {
  withKbFlag(withSettingsFlags(program.command("search").argument("<query...>", "what to look for").description("show the chunks that best match a query")), true)
    .option("-k <n>", "results to show (settings key: retrieval.k)")
    .option("--json", "print JSON")
    .action(async (words: string[], flags: SearchFlags) => {
      const settings = settingsFromFlags(flags, { "retrieval.k": flags.k === undefined ? undefined : Number(flags.k) });
      const kbs = await kbsFromFlag(settings, flags.kb, true);
      const engine = await openEngine(settings, { generator: false });
      try {
        const query = words.join(" ");
        const result = await searchChunks(engine, query, kbs, settings.retrieval.k);
        const results = result.results;
        if (flags.json) {
          process.stdout.write(`${JSON.stringify({ query, mode: result.mode, results, timings: result.timings })}\n`);
          return;
        }
        if (results.length === 0) process.stdout.write("no matching chunks\n");
        for (const r of results) {
          // The section is shown once: as the location itself, or after the page.
          const section = r.section && r.section !== r.location?.section && r.section !== r.location?.title ? ` § ${r.section}` : "";
          process.stdout.write(`[${r.rank}] ${kbPrefix(r.kb)}${r.source}${placeLabel(r)}${section}  (score ${r.score.toFixed(4)})\n`);
          process.stdout.write(`${r.text.trim()}\n\n`);
        }
        process.stderr.write(`${result.mode} retrieval in ${result.timings.totalMs.toFixed(1)} ms\n`);
      } finally {
        await engine.close();
      }
    });
}
