// esbuild's options for Nimbus's bundle (scripts/build.mjs; scripts/build-to.mjs for a private
// build beside it): src/cli/main.ts and everything it imports, as CommonJS, with
// better-sqlite3's `bindings` replaced by sqlite-bindings.cjs.
import { fileURLToPath } from "node:url";

const shim = fileURLToPath(new URL("./sqlite-bindings.cjs", import.meta.url));

/** The bundle of the sources under `root`, written to `outfile`; `nodePaths`: where else to find packages. */
export function bundleOptions(root, outfile, nodePaths = []) {
  return {
    absWorkingDir: root,
    entryPoints: ["src/cli/main.ts"],
    outfile,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    define: { "import.meta.url": "__nimbusModuleUrl" },
    banner: { js: "'use strict'; var __nimbusModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
    logLevel: "warning",
    nodePaths,
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
  };
}
