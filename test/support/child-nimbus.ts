// A Nimbus that runs as a child process (so a test can SIGKILL it and restart it on the same
// data directory): bundle this checkout's CLI once per test file, then start children from it.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");

export interface ChildNimbus {
  child: ChildProcess;
  endpoint: string;
}

export interface ChildNimbusFixture {
  /** A temp directory for the file's data directories, removed after the file. */
  readonly workDir: string;
  /** Starts a child Nimbus on port 0 over dataDir; resolves once it is ready. */
  start(dataDir: string): Promise<ChildNimbus>;
}

/**
 * Registers beforeAll/afterAll hooks that bundle the current sources' CLI (so the child runs
 * this checkout's code, built or not) and make a temp work directory; name tells the bundle
 * and work directory apart from other test files'.
 */
export function useChildNimbus(name: string): ChildNimbusFixture {
  let bundle = "";
  let workDir = "";
  beforeAll(async () => {
    const outDir = join(ROOT, "node_modules", ".cache", "nimbus-test");
    mkdirSync(outDir, { recursive: true });
    bundle = join(outDir, `${name}-${process.pid}.mjs`);
    await build({
      stdin: { contents: 'import { main } from "./src/cli/main.ts"; await main(process.argv.slice(2));', resolveDir: ROOT, loader: "ts" },
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      external: ["better-sqlite3"],
      outfile: bundle,
      logLevel: "warning",
    });
    workDir = mkdtempSync(join(tmpdir(), `nimbus-${name}-`));
  });
  afterAll(() => {
    rmSync(bundle, { force: true });
    rmSync(workDir, { recursive: true, force: true });
  });
  return {
    get workDir() {
      return workDir;
    },
    start: (dataDir) => startChild(bundle, dataDir),
  };
}

function startChild(bundle: string, dataDir: string): Promise<ChildNimbus> {
  const child = spawn(process.execPath, [bundle, "start", "--port", "0", "--data-dir", dataDir], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NIMBUS_LOG: "silent" } });
  let out = "";
  let err = "";
  child.stderr!.on("data", (d) => (err += d));
  return new Promise((resolveReady, reject) => {
    child.stdout!.on("data", (d) => {
      out += d;
      const m = /ready on (http:\/\/\S+)/.exec(out);
      if (m) resolveReady({ child, endpoint: m[1] });
    });
    child.once("exit", (code) => reject(new Error(`nimbus exited (${code}) before ready: ${err}`)));
  });
}
