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

const root = fileURLToPath(new URL("..", import.meta.url));
const shim = fileURLToPath(new URL("./build/sqlite-bindings.cjs", import.meta.url));

await build({
  absWorkingDir: root,
  entryPoints: ["src/cli/main.ts"],
  outfile: "dist/nimbus.cjs",
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  define: { "import.meta.url": "__nimbusModuleUrl" },
  banner: { js: "'use strict'; var __nimbusModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: "warning",
  plugins: [
    {
      name: "sqlite-bindings",
      setup(b) {
        // better-sqlite3's `bindings` becomes the shim; the shim's own fallback stays a runtime require.
        b.onResolve({ filter: /^bindings$/ }, (args) => (args.importer === shim ? { path: "bindings", external: true } : { path: shim }));
        b.onResolve({ filter: /^better-sqlite3\/package\.json$/ }, (args) => ({ path: args.path, external: true }));
      },
    },
  ],
});

const cache = spawnSync(process.execPath, ["bin/nimbus.js", "--code-cache"], { cwd: root, stdio: "inherit" });
process.exit(cache.status ?? 1);
