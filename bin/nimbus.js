#!/usr/bin/env node
// Entry point: runs the CLI bundled into one file (npm install builds dist/nimbus.mjs with
// esbuild; one file loads in a fraction of the time of ~100 ES modules).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const main = new URL("../dist/nimbus.mjs", import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error("nimbus: ERR_NOT_BUILT: dist/ is missing; run npm install (or npm run build) in the Nimbus checkout");
  process.exit(1);
}
// Node 20 prints an ExperimentalWarning for nothing we use; keep the CLI quiet.
const { main: run } = await import(main.href);
await run(process.argv.slice(2));
