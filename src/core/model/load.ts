// Models are loaded lazily, on a service's first request: start-up reads only
// models/index.json (a few KB), never the 3 MB of full models.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ProtocolId, ServiceModel } from "./types.js";

// src/core/model -> repo root, and dist/core/model -> repo root: both three levels up.
export const MODELS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "models");

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
