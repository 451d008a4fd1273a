#!/usr/bin/env node
// Entry point: runs the CLI bundled into one CommonJS file, dist/nimbus.cjs (npm install builds
// it with esbuild), through node:vm with a V8 code cache beside it. Compiling the ~1.5 MB bundle
// was most of start-up; with the cache V8 deserializes the bytecode of every function the
// start-up and a first request ran instead (docs/architecture.md, "Build and start-up").
//
// The cache is keyed by the bundle's size and mtime and by the Node version, so a rebuilt
// bundle or another Node never runs stale bytecode. `npm run build` writes it through
// `node bin/nimbus.js --code-cache` (a warm-up run: start, one request, stop); a start that
// finds none (or one V8 rejects) writes a fresh one a moment after it is ready.
import { readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

const bundle = fileURLToPath(new URL("../dist/nimbus.cjs", import.meta.url));
const dist = dirname(bundle);
let stat;
try {
  stat = statSync(bundle);
} catch {
  console.error("nimbus: ERR_NOT_BUILT: dist/ is missing; run npm install (or npm run build) in the Nimbus checkout");
  process.exit(1);
}
const cacheName = `nimbus.cjs.${stat.size}-${Math.floor(stat.mtimeMs)}-${process.version}.cache`;
const cacheFile = join(dist, cacheName);
const warmUp = process.argv[2] === "--code-cache";

let cached;
if (!warmUp) {
  try {
    cached = readFileSync(cacheFile);
  } catch {}
}
// The CommonJS module wrapper, written out so the code cache covers the whole file.
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${readFileSync(bundle, "utf8")}\n})`, {
  filename: bundle,
  ...(cached ? { cachedData: cached } : {}),
});
const mod = { exports: {} };
script.runInThisContext().call(mod.exports, mod.exports, createRequire(bundle), mod, bundle, dist);
const { main } = mod.exports;

/** Writes the cache (atomically; a read-only install just goes without) and drops older ones. */
function writeCache() {
  try {
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(tmp, script.createCachedData());
    renameSync(tmp, cacheFile);
    for (const f of readdirSync(dist)) if (f.startsWith("nimbus.cjs.") && f.endsWith(".cache") && f !== cacheName) rmSync(join(dist, f), { force: true });
  } catch {}
}

if (warmUp) {
  // Start an ephemeral Nimbus, serve one request (STS GetCallerIdentity, the first request of
  // bench/startup.mjs), then cache what ran and stop.
  let ready;
  const url = new Promise((r) => (ready = r));
  console.log = (line, ...rest) => {
    const m = /ready on (http:\/\/\S+)/.exec(String(line));
    if (m) ready(m[1]);
  };
  await main(["start", "--port", "0", "--ephemeral"]);
  const date = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  await fetch(await url, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded; charset=utf-8",
      "x-amz-date": date,
      authorization: `AWS4-HMAC-SHA256 Credential=test/${date.slice(0, 8)}/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=${"0".repeat(64)}`,
    },
    body: "Action=GetCallerIdentity&Version=2011-06-15",
  }).then((r) => r.text());
  writeCache();
  process.kill(process.pid, "SIGTERM");
} else {
  if (!cached || script.cachedDataRejected) setTimeout(writeCache, 1000).unref();
  await main(process.argv.slice(2));
}
