// Runs in every test file's process. Registered before the file's own hooks, so under vitest's default "stack" order
// this afterAll runs after theirs: servers, browsers and child processes are closed before their folders go.
import { afterAll } from "vitest";
import { removeTempDirs } from "./helpers.js";

afterAll(() => removeTempDirs());
