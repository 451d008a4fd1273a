// Nimbus's own API, beside AWS's on the same port (DESIGN.md section 8):
//   GET  /_nimbus/health            per-service status
//   GET  /_nimbus/clock             Nimbus time; POST {"advance":"P30D"} moves it forward
//   POST /_nimbus/state/reset       clean slate for all services, or {"service":"sqs"}
//   POST /_nimbus/chaos             a fault a service injects, {"service":"ec2","action":...}
import type { GatewayRequest, GatewayResponse } from "./http-types.js";
import { parseDuration } from "../clock/clock.js";
import { serviceIndex } from "../routing/route.js";
import type { Nimbus } from "../server/nimbus.js";

const VERSION = "0.1.0";

export class InternalApi {
  constructor(private readonly nimbus: Nimbus) {}

  async handle(req: GatewayRequest, res: GatewayResponse, rawPath: string, _rawQuery: string): Promise<void> {
    const method = req.method ?? "GET";
    const body = method === "POST" ? await readJson(req) : undefined;
    if (body instanceof Error) return json(res, 400, { code: "ERR_BAD_JSON", message: body.message });
    const path = rawPath.replace(/\/+$/, "");

    if (path === "/_nimbus/health" && method === "GET") {
      const services: Record<string, string> = {};
      const details: Record<string, unknown> = {};
      // A service with a health hook is loaded to answer it; the others run once asked anything.
      await Promise.all(Object.entries(this.nimbus.registry).map(([name, e]) => (e.health ? this.nimbus.load(name) : undefined)));
      for (const name of Object.keys(serviceIndex())) {
        services[name] = this.nimbus.registry[name] ? "running" : "not implemented";
        const h = this.nimbus.services.get(name)?.health?.(this.nimbus.db);
        if (h) details[name] = h;
      }
      return json(res, 200, { status: "running", version: VERSION, dataDir: this.nimbus.config.dataDir, services, details });
    }
    if (path === "/_nimbus/clock") {
      if (method === "POST") {
        const advance = (body as { advance?: unknown } | undefined)?.advance;
        let ms: number;
        try {
          ms = typeof advance === "number" ? advance * 1000 : parseDuration(String(advance));
          this.nimbus.clock.advance(ms);
        } catch (e) {
          return json(res, 400, { code: "ERR_BAD_DURATION", message: `${(e as Error).message}; send {"advance":"P30D"} or {"advance":"PT90S"} or seconds` });
        }
      } else if (method !== "GET") return json(res, 405, { code: "ERR_METHOD", message: "use GET or POST" });
      const now = this.nimbus.clock.now();
      return json(res, 200, { now: new Date(now).toISOString(), epochMillis: now, offsetMillis: this.nimbus.clock.offset() });
    }
    if (path === "/_nimbus/state/reset" && method === "POST") {
      const service = (body as { service?: string } | undefined)?.service;
      if (service !== undefined && !this.nimbus.registry[service]) {
        return json(res, 400, { code: "ERR_UNKNOWN_SERVICE", message: `no running service named "${service}"; GET /_nimbus/health lists them` });
      }
      return json(res, 200, { reset: this.nimbus.reset(service) });
    }
    if (path === "/_nimbus/chaos" && method === "POST") {
      // Faults a service can inject on request (EC2: a spot interruption), {"service": ..., ...}.
      const b = (body ?? {}) as { service?: string };
      const def = b.service && this.nimbus.registry[b.service]?.chaos ? await this.nimbus.load(b.service) : undefined;
      if (!def?.chaos) return json(res, 400, { code: "ERR_NO_CHAOS", message: `no chaos for service "${b.service}"; services with chaos: ${Object.keys(this.nimbus.registry).filter((n) => this.nimbus.registry[n].chaos).join(", ")}` });
      try {
        return json(res, 200, await def.chaos(this.nimbus.db, b as Record<string, unknown>));
      } catch (e) {
        return json(res, 400, { code: "ERR_CHAOS", message: (e as Error).message });
      }
    }
    return json(res, 404, { code: "ERR_NOT_FOUND", message: `no Nimbus endpoint ${method} ${path}; see /_nimbus/health` });
  }
}

async function readJson(req: GatewayRequest): Promise<unknown> {
  let bytes: Buffer;
  if (req.bufferedBody !== undefined) bytes = req.bufferedBody;
  else {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    bytes = Buffer.concat(chunks);
  }
  const text = bytes.toString("utf8").trim();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return new Error("request body is not JSON");
  }
}

function json(res: GatewayResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}
