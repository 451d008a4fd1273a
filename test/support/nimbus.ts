// Start a real Nimbus on port 0 with a temp data dir, and SDK client settings for it.
// Each test file gets its own server (tests run in parallel); isolate tests inside a file
// with freshAccount(): an unknown 12-digit access key is the root of that account.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomInt } from "node:crypto";
import { createNimbus, type Nimbus } from "../../src/core/server/nimbus.js";

export interface TestNimbus {
  endpoint: string;
  port: number;
  dataDir: string;
  nimbus: Nimbus;
  /** Stop the server; pass keepData to restart on the same data dir. */
  stop(opts?: { keepData?: boolean }): Promise<void>;
}

export async function startNimbus(opts: { dataDir?: string; env?: Record<string, string> } = {}): Promise<TestNimbus> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "nimbus-test-"));
  const nimbus = await createNimbus({ port: 0, host: "127.0.0.1", dataDir, log: "silent", ...opts.env });
  const { port } = await nimbus.listen();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    port,
    dataDir,
    nimbus,
    async stop(o = {}) {
      await nimbus.close();
      if (!o.keepData && !opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A random account id; use it as the access key id to get a fresh root principal. */
export function freshAccount(): string {
  return String(randomInt(100_000_000_000, 999_999_999_999));
}

/** Client config for any @aws-sdk/client-* against this Nimbus. */
export function sdkConfig(endpoint: string, opts: { accountId?: string; region?: string; secretAccessKey?: string; sessionToken?: string } = {}) {
  return {
    endpoint,
    region: opts.region ?? "us-east-1",
    credentials: {
      accessKeyId: opts.accountId ?? "test",
      secretAccessKey: opts.secretAccessKey ?? "test",
      ...(opts.sessionToken ? { sessionToken: opts.sessionToken } : {}),
    },
    forcePathStyle: true,
    maxAttempts: 1,
  };
}

/** Advance the Nimbus clock by an ISO-8601 duration ("PT5M", "P30D") through /_nimbus/clock. */
export async function advanceClock(n: { endpoint: string }, duration: string): Promise<void> {
  const r = await fetch(`${n.endpoint}/_nimbus/clock`, { method: "POST", body: JSON.stringify({ advance: duration }) });
  if (r.status !== 200) throw new Error(`clock advance by ${duration} failed: ${r.status} ${await r.text()}`);
}
