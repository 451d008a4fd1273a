// Shared by the event source mapping and Lambda logs tests: a collector HTTP server the test
// functions post their events to, a wait-until helper, and function creation from inline code.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CreateFunctionCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import { zip } from "./zip-writer.js";

export interface Collector {
  url: string;
  /** Every JSON body posted, by path ("/<key>"). */
  posts: Map<string, unknown[]>;
  close(): Promise<void>;
}

export async function collector(): Promise<Collector> {
  const posts = new Map<string, unknown[]>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const list = posts.get(req.url ?? "/") ?? [];
      list.push(JSON.parse(Buffer.concat(chunks).toString("utf8") || "null"));
      posts.set(req.url ?? "/", list);
      res.end("ok");
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    posts,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

/** Polls `fn` until it returns a value other than undefined (or fails the test after `ms`). */
export async function until<T>(fn: () => Promise<T | undefined> | T | undefined, what: string, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const ROLE = (account: string) => `arn:aws:iam::${account}:role/esm-role`;

export async function createFunction(lambda: LambdaClient, account: string, name: string, runtime: string, handler: string, files: Record<string, string>, env: Record<string, string> = {}) {
  return lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: runtime as never, Role: ROLE(account), Handler: handler, Code: { ZipFile: zip(files) }, Timeout: 10, Environment: { Variables: env } }));
}
