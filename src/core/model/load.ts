// Models are loaded lazily, on a service's first request: start-up reads only
// models/index.json (a few KB), never the 3 MB of full models.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ProtocolId, ServiceModel } from "./types.js";

/** The nearest models/ above this module: src/core/model, dist/core/model and the dist/nimbus.cjs bundle all find the checkout's. */
function findModelsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "models");
    if (existsSync(join(candidate, "index.json"))) return candidate;
    dir = dirname(dir);
  }
  throw new Error("ERR_MODELS_MISSING: models/index.json not found above the Nimbus code; reinstall Nimbus or run npm run gen-models in the checkout");
}

export const MODELS_DIR = findModelsDir();

export interface ServiceIndexEntry {
  signingName: string;
  protocols: ProtocolId[];
  targetPrefix?: string;
  serviceTarget?: string;
  apiVersion: string;
  global?: boolean;
  addressing?: Record<string, unknown>;
  operations: number;
}

let index: Record<string, ServiceIndexEntry> | undefined;
const models = new Map<string, ServiceModel>();

export function loadIndex(): Record<string, ServiceIndexEntry> {
  index ??= JSON.parse(readFileSync(join(MODELS_DIR, "index.json"), "utf8")) as Record<string, ServiceIndexEntry>;
  return index;
}

export function loadModel(service: string): ServiceModel {
  let m = models.get(service);
  if (!m) {
    m = JSON.parse(readFileSync(join(MODELS_DIR, `${service}.json`), "utf8")) as ServiceModel;
    models.set(service, m);
  }
  return m;
}
