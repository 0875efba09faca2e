// A second process for the lock tests: opens the PostgreSQL store at argv[2] as a writer (purpose argv[3]), says
// "holding" on stdout, and keeps the lock until it is killed.
import { openStore } from "../../../src/store/open.js";

const store = await openStore(process.argv[2], { write: true, purpose: process.argv[3] ?? "ingest" });
process.stdout.write(`holding ${store.location}\n`);
setInterval(() => {}, 60_000);
