// node scripts/build-to.mjs <dir>: a private build of this checkout's sources into <dir>/bin and
// <dir>/dist (the same bundle and code cache as `npm run build`), so that two builds can run
// side by side in bench/ab.mjs while dist/ is rebuilt. ROOT=<another checkout or worktree>
// builds that tree's sources instead (node_modules and bin/nimbus.js come from this checkout).
import { copyFileSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { bundleOptions } from "./build/bundle-options.mjs";

const here = fileURLToPath(new URL("..", import.meta.url));
const out = resolve(process.argv[2] ?? "");
if (!process.argv[2]) {
  console.error("usage: node scripts/build-to.mjs <dir>  (ROOT=<checkout> to build another tree)");
  process.exit(2);
}
const root = resolve(process.env.ROOT ?? here);
mkdirSync(join(out, "bin"), { recursive: true });
mkdirSync(join(out, "dist"), { recursive: true });
copyFileSync(join(here, "bin/nimbus.js"), join(out, "bin/nimbus.js"));
await build(bundleOptions(root, join(out, "dist/nimbus.cjs"), [join(here, "node_modules")]));
const cache = spawnSync(process.execPath, [join(out, "bin/nimbus.js"), "--code-cache"], { stdio: "inherit" });
if (cache.status !== 0) process.exit(cache.status ?? 1);
console.log(`built ${root} into ${out}: run ${join(out, "bin/nimbus.js")}`);
