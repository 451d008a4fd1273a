// npm run build: bundles src/cli/main.ts and everything it imports into dist/nimbus.cjs, then
// writes the V8 code cache beside it (bin/nimbus.js --code-cache; docs/architecture.md, "Build
// and start-up").
//   - CommonJS, because Node 20 has no code cache for ES modules;
//   - better-sqlite3's JavaScript is bundled (requiring its eleven files cost ~15 ms of CPU at
//     every start) and only its native addon is loaded from node_modules, through
//     scripts/build/sqlite-bindings.cjs in place of the `bindings` package;
//   - services are dynamic imports (src/services/index.ts): esbuild keeps each one's module
//     initialisation behind a function run on first use.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { bundleOptions } from "./build/bundle-options.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));

await build(bundleOptions(root, "dist/nimbus.cjs"));

const cache = spawnSync(process.execPath, ["bin/nimbus.js", "--code-cache"], { cwd: root, stdio: "inherit" });
process.exit(cache.status ?? 1);
