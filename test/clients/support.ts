// Shared setup for the client tests: find the aws CLI and a python3 with boto3 (preferring the
// Debian binaries in /usr/bin: awscli 2.9 and python3-boto3 1.26, which speak the old query
// protocol), and run them hermetically (an empty HOME, so no ~/.aws config, alias or cache is
// read) as the root of a given account. Suites skip with describe.skipIf(!AWS) / (!PYTHON).
import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";

function findAws(): string | undefined {
  for (const bin of ["/usr/bin/aws", "aws"]) {
    if (spawnSync(bin, ["--version"], { encoding: "utf8" }).status === 0) return bin;
  }
  return undefined;
}

function findBoto3Python(): string | undefined {
  for (const bin of ["/usr/bin/python3", "python3"]) {
    if (!bin.startsWith("/") || existsSync(bin)) {
      if (spawnSync(bin, ["-c", "import boto3"], { encoding: "utf8" }).status === 0) return bin;
    }
  }
  return undefined;
}

/** The aws CLI to drive, or undefined when none is installed. */
export const AWS = findAws();
/** A python3 that imports boto3, or undefined when none is installed. */
export const PYTHON = findBoto3Python();

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The JSON a successful run printed ({} when it printed nothing); throws with stderr on a non-zero exit. */
export function ok(r: CliResult): Record<string, any> {
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
  return r.stdout.trim() ? (JSON.parse(r.stdout) as Record<string, any>) : {};
}

/** The stderr of a failed run; throws when the run succeeded. */
export function failed(r: CliResult): string {
  if (r.code === 0) throw new Error(`expected a non-zero exit, got 0 with: ${r.stdout}`);
  return r.stderr;
}

export interface Clients {
  /** The environment a client runs in: root of `account`, default region us-east-1. */
  env(account: string, opts?: { region?: string }): NodeJS.ProcessEnv;
  /** `aws --endpoint-url <endpoint> --output json <args>`; never throws on a non-zero exit. */
  aws(account: string, ...args: string[]): Promise<CliResult>;
  /** `python3 -c <script> <args>`; never throws on a non-zero exit. */
  python(account: string, script: string, ...args: string[]): Promise<CliResult>;
}

function exec(bin: string, args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(bin, args, { env, timeout: 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
      resolve({ code, stdout, stderr: err && code === -1 ? `${stderr}${err.message}` : stderr });
    });
  });
}

/**
 * Registers beforeAll/afterAll for a temp HOME and returns runners against `endpoint()` (read at
 * call time, so it may name a server started in the file's own beforeAll).
 */
export function useClients(endpoint: () => string): Clients {
  let home: string;
  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), "nimbus-cli-home-"));
    mkdirSync(join(home, ".aws"), { recursive: true });
  });
  afterAll(() => {
    if (home) rmSync(home, { recursive: true, force: true });
  });
  const env = (account: string, opts: { region?: string } = {}): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    HOME: home,
    AWS_ACCESS_KEY_ID: account,
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_DEFAULT_REGION: opts.region ?? "us-east-1",
    AWS_CONFIG_FILE: join(home, ".aws", "config"),
    AWS_SHARED_CREDENTIALS_FILE: join(home, ".aws", "credentials"),
    AWS_PAGER: "",
    AWS_EC2_METADATA_DISABLED: "true",
  });
  return {
    env,
    aws: (account, ...args) => exec(AWS!, ["--endpoint-url", endpoint(), "--output", "json", ...args], env(account)),
    python: (account, script, ...args) => exec(PYTHON!, ["-c", script, ...args], env(account)),
  };
}
