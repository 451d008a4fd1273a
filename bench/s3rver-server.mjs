// s3rver (npm), the comparator of bench/s3.mjs, in its own process so its CPU is read from /proc.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";

const directory = mkdtempSync(join(tmpdir(), "s3rver-bench-"));
const server = new S3rver({ port: 0, address: "127.0.0.1", silent: true, directory, configureBuckets: [{ name: "bench" }] });
const { port } = await server.run();
console.log(`s3rver ready on http://127.0.0.1:${port}`);
const stop = () => {
  rmSync(directory, { recursive: true, force: true });
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
