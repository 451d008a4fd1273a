#!/usr/bin/env node
// Entry point: runs the compiled CLI (npm install builds it into dist/).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const main = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error("nimbus: ERR_NOT_BUILT: dist/ is missing; run npm install (or npm run build) in the Nimbus checkout");
  process.exit(1);
}
// Node 20 prints an ExperimentalWarning for nothing we use; keep the CLI quiet.
const { main: run } = await import(main.href);
await run(process.argv.slice(2));
