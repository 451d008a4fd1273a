// Every Nimbus setting in one typed place, with its default and its environment variable.
// Precedence: CLI flag > environment > default.
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mkdtempSync } from "node:fs";
import { NimbusError } from "../core/errors.js";

export interface NimbusConfig {
  /** NIMBUS_PORT / --port, default 4566; 0 picks a free port. */
  port: number;
  /** NIMBUS_HOST / --host, default 127.0.0.1. */
  host: string;
  /** NIMBUS_DATA_DIR / --data-dir, default ./.nimbus. */
  dataDir: string;
  /** --ephemeral: a temp data dir removed at exit. */
  ephemeral: boolean;
  /** NIMBUS_BASE_DOMAINS: host names that are Nimbus; `<bucket>.<domain>` is S3 virtual-host addressing. */
  baseDomains: string[];
  /** NIMBUS_IAM=enforce|audit|off. */
  iam: "enforce" | "audit" | "off";
  /** NIMBUS_LOG=silent|error|info|debug (info prints one line per request at debug only). */
  log: "silent" | "error" | "info" | "debug";
  /** NIMBUS_DEFAULT_REGION: region for unsigned requests. */
  defaultRegion: string;
  /** Largest non-streaming request body accepted, bytes. */
  maxBodyBytes: number;
}

export type ConfigInput = Partial<Record<keyof NimbusConfig, unknown>> & Record<string, unknown>;

function int(name: string, v: unknown, min: number, max: number): number {
  const n = typeof v === "number" ? v : Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new NimbusError("ERR_CONFIG", `${name} must be an integer from ${min} to ${max}, got "${String(v)}"; fix the flag or environment variable`);
  }
  return n;
}

function oneOf<T extends string>(name: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v === "string" && (allowed as readonly string[]).includes(v)) return v as T;
  throw new NimbusError("ERR_CONFIG", `${name} must be one of ${allowed.join(", ")}, got "${String(v)}"`);
}

export function resolveConfig(input: ConfigInput = {}, env: NodeJS.ProcessEnv = process.env): NimbusConfig {
  const ephemeral = input.ephemeral === true || env.NIMBUS_EPHEMERAL === "1";
  let dataDir = (input.dataDir as string | undefined) ?? env.NIMBUS_DATA_DIR ?? ".nimbus";
  if (ephemeral && input.dataDir === undefined) dataDir = mkdtempSync(join(tmpdir(), "nimbus-"));
  const domains = String(input.baseDomains ?? env.NIMBUS_BASE_DOMAINS ?? "")
    .split(",")
    .map((d) => d.trim().toLowerCase())
    .filter(Boolean);
  return {
    port: int("--port / NIMBUS_PORT", input.port ?? env.NIMBUS_PORT ?? 4566, 0, 65535),
    host: String(input.host ?? env.NIMBUS_HOST ?? "127.0.0.1"),
    dataDir,
    ephemeral,
    baseDomains: [...new Set(["localhost", "localhost.localstack.cloud", ...domains])],
    iam: oneOf("NIMBUS_IAM", input.iam ?? env.NIMBUS_IAM ?? "enforce", ["enforce", "audit", "off"] as const),
    log: oneOf("NIMBUS_LOG", input.log ?? env.NIMBUS_LOG ?? "error", ["silent", "error", "info", "debug"] as const),
    defaultRegion: String(input.defaultRegion ?? env.NIMBUS_DEFAULT_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1"),
    maxBodyBytes: int("NIMBUS_MAX_BODY_BYTES", input.maxBodyBytes ?? env.NIMBUS_MAX_BODY_BYTES ?? 64 * 1024 * 1024, 1024, 2 ** 31),
  };
}
