// Standby runtime processes (src/services/lambda/standby.ts): a cold start adopts an interpreter
// that booted before the invocation, and that process then behaves exactly like a fresh worker
// (the function's environment, task root, arguments, layers on the paths). Spares are bounded,
// idle (blocked, no CPU), replaced after use, reaped like idle workers, and can be disabled.
// Processes are observed through /proc, as they really run.
import { CreateFunctionCommand, InvokeCommand, LambdaClient, PublishLayerVersionCommand } from "@aws-sdk/client-lambda";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { zip } from "./zip-writer.js";

/** The waiting standby processes of one Nimbus (their bootstrap lives under its data dir), with their /proc state. */
function spares(dataDir: string): { pid: number; family: string; state: string }[] {
  const out: { pid: number; family: string; state: string }[] = [];
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const argv = readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0");
      if (!argv.includes("--standby") || !argv.some((a) => a.startsWith(dataDir))) continue;
      // An adopted spare is a worker: node retitles itself (no --standby), python swaps its
      // stdin (the socket pair it waited on) for /dev/null.
      if (!/^(pipe|socket):/.test(readlinkSync(`/proc/${p}/fd/0`))) continue;
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      out.push({ pid: Number(p), family: argv.some((a) => a.endsWith(".py")) ? "python" : "node", state: stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) });
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/** Waits for a condition the test cannot otherwise await (processes starting or ending); no timing asserted. */
async function until<T>(get: () => T | undefined): Promise<T> {
  for (let i = 0; i < 1500; i++) {
    const v = get();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("condition never held");
}

const NODE = `exports.handler = async (e) => ({
  pid: process.pid, cwd: process.cwd(), argv: process.argv.slice(1), root: process.env.LAMBDA_TASK_ROOT,
  name: process.env.AWS_LAMBDA_FUNCTION_NAME, color: process.env.COLOR ?? null, ca: process.env.NODE_EXTRA_CA_CERTS ?? null,
  noDeprecation: process.noDeprecation === true, echo: e,
});`;
const PY = `import os, sys, time
def handler(e, c):
    return {"pid": os.getpid(), "cwd": os.getcwd(), "argv": sys.argv, "root": os.environ["LAMBDA_TASK_ROOT"],
            "name": c.function_name, "color": os.environ.get("COLOR"), "tz": time.strftime("%Z"), "echo": e}
`;

describe("Lambda standby processes", () => {
  let n: TestNimbus;
  beforeAll(async () => {
    n = await startNimbus();
  });
  afterAll(async () => {
    await n.stop();
  });

  it("a node cold start adopts the waiting standby process, which runs as a fresh worker; a new one replaces it", async () => {
    const account = freshAccount();
    const lambda = new LambdaClient(sdkConfig(n.endpoint, { accountId: account }));
    await lambda.send(new CreateFunctionCommand({ FunctionName: "n1", Runtime: "nodejs20.x", Role: `arn:aws:iam::${account}:role/r`, Handler: "index.handler", Environment: { Variables: { COLOR: "teal" } }, Code: { ZipFile: zip({ "index.js": NODE }) } }));
    // CreateFunction started one spare of the family; it waits blocked (state S: no CPU).
    const spare = await until(() => spares(n.dataDir).find((s) => s.family === "node"));
    expect(spares(n.dataDir).filter((s) => s.family === "node")).toHaveLength(1);
    await until(() => (spares(n.dataDir).find((s) => s.pid === spare.pid)?.state === "S" ? true : undefined));

    const out = await lambda.send(new InvokeCommand({ FunctionName: "n1", Payload: Buffer.from('{"k":1}') }));
    expect(out.FunctionError).toBeUndefined();
    const r = JSON.parse(Buffer.from(out.Payload!).toString());
    expect(r.pid).toBe(spare.pid);
    expect(r.cwd).toBe(r.root);
    expect(r.argv).toHaveLength(1);
    expect(r.argv[0]).toMatch(/bootstrap\.mjs$/);
    expect(r).toMatchObject({ name: "n1", color: "teal", ca: null, noDeprecation: false, echo: { k: 1 } });
    // The adopted process is a worker now, not a spare; a replacement of the family waits.
    const next = await until(() => spares(n.dataDir).find((s) => s.family === "node" && s.pid !== spare.pid));
    expect(spares(n.dataDir).map((s) => s.pid)).not.toContain(spare.pid);
    expect(next.pid).not.toBe(spare.pid);

    // A second function's cold start takes the replacement.
    await lambda.send(new CreateFunctionCommand({ FunctionName: "n2", Runtime: "nodejs22.x", Role: `arn:aws:iam::${account}:role/r`, Handler: "index.handler", Code: { ZipFile: zip({ "index.js": NODE }) } }));
    const r2 = JSON.parse(Buffer.from((await lambda.send(new InvokeCommand({ FunctionName: "n2" }))).Payload!).toString());
    expect(r2).toMatchObject({ pid: next.pid, name: "n2", color: null, echo: {} });
  });

  it("a function setting a variable the interpreter reads at start (NODE_OPTIONS) gets a fresh process", async () => {
    const account = freshAccount();
    const lambda = new LambdaClient(sdkConfig(n.endpoint, { accountId: account }));
    await lambda.send(new CreateFunctionCommand({ FunctionName: "opts", Runtime: "nodejs20.x", Role: `arn:aws:iam::${account}:role/r`, Handler: "index.handler", Environment: { Variables: { NODE_OPTIONS: "--no-deprecation" } }, Code: { ZipFile: zip({ "index.js": NODE }) } }));
    const spare = await until(() => spares(n.dataDir).find((s) => s.family === "node"));
    const r = JSON.parse(Buffer.from((await lambda.send(new InvokeCommand({ FunctionName: "opts" }))).Payload!).toString());
    expect(r.noDeprecation).toBe(true);
    expect(r.pid).not.toBe(spare.pid);
    expect(spares(n.dataDir).map((s) => s.pid)).toContain(spare.pid);
  });

  it("a python cold start adopts its standby process, with the function's environment, task root and layers", async () => {
    const account = freshAccount();
    const lambda = new LambdaClient(sdkConfig(n.endpoint, { accountId: account }));
    const layer = await lambda.send(new PublishLayerVersionCommand({ LayerName: "greet", Content: { ZipFile: zip({ "python/greet.py": "def greet(n):\n    return 'hi ' + n\n" }) } }));
    const code = `from greet import greet\n${PY.replace('"echo": e}', '"echo": e, "greet": greet("py")}')}`;
    await lambda.send(new CreateFunctionCommand({ FunctionName: "p1", Runtime: "python3.12", Role: `arn:aws:iam::${account}:role/r`, Handler: "app.handler", Layers: [layer.LayerVersionArn!], Environment: { Variables: { COLOR: "plum" } }, Code: { ZipFile: zip({ "app.py": code }) } }));
    const spare = await until(() => spares(n.dataDir).find((s) => s.family === "python" && s.state === "S"));
    const out = await lambda.send(new InvokeCommand({ FunctionName: "p1", Payload: Buffer.from('{"k":2}') }));
    expect(out.FunctionError).toBeUndefined();
    const r = JSON.parse(Buffer.from(out.Payload!).toString());
    expect(r.pid).toBe(spare.pid);
    expect(r.cwd).toBe(r.root);
    expect(r.argv).toHaveLength(1);
    expect(r).toMatchObject({ name: "p1", color: "plum", tz: "UTC", echo: { k: 2 }, greet: "hi py" });
    await until(() => spares(n.dataDir).find((s) => s.family === "python" && s.pid !== spare.pid));
  });
});

describe("Lambda standby limits", () => {
  it("reaps spares idle for NIMBUS_LAMBDA_IDLE_MS, and ends them when Nimbus closes", async () => {
    // Lambda starts on its first request and reads its limits then.
    process.env.NIMBUS_LAMBDA_IDLE_MS = "1000";
    const other = await startNimbus();
    try {
      const account = freshAccount();
      const lambda = new LambdaClient(sdkConfig(other.endpoint, { accountId: account }));
      await lambda.send(new CreateFunctionCommand({ FunctionName: "r", Runtime: "nodejs20.x", Role: `arn:aws:iam::${account}:role/r`, Handler: "index.handler", Code: { ZipFile: zip({ "index.js": NODE }) } }));
      delete process.env.NIMBUS_LAMBDA_IDLE_MS;
      const spare = await until(() => spares(other.dataDir)[0]);
      await until(() => (spares(other.dataDir).some((s) => s.pid === spare.pid) ? undefined : true));
      expect(spares(other.dataDir)).toEqual([]);
      // The next cold start spawns afresh, and its end of init starts a new spare, which close() ends.
      const r = JSON.parse(Buffer.from((await lambda.send(new InvokeCommand({ FunctionName: "r" }))).Payload!).toString());
      expect(r.pid).not.toBe(spare.pid);
      await until(() => spares(other.dataDir)[0]);
    } finally {
      delete process.env.NIMBUS_LAMBDA_IDLE_MS;
      await other.stop();
    }
    await until(() => (spares(other.dataDir).length === 0 ? true : undefined));
  });

  it("NIMBUS_LAMBDA_STANDBY=0 starts no spare; functions still run", async () => {
    process.env.NIMBUS_LAMBDA_STANDBY = "0";
    const other = await startNimbus();
    try {
      const account = freshAccount();
      const lambda = new LambdaClient(sdkConfig(other.endpoint, { accountId: account }));
      await lambda.send(new CreateFunctionCommand({ FunctionName: "z", Runtime: "python3.12", Role: `arn:aws:iam::${account}:role/r`, Handler: "app.handler", Code: { ZipFile: zip({ "app.py": PY }) } }));
      delete process.env.NIMBUS_LAMBDA_STANDBY;
      const out = await lambda.send(new InvokeCommand({ FunctionName: "z", Payload: Buffer.from('{"k":3}') }));
      expect(JSON.parse(Buffer.from(out.Payload!).toString())).toMatchObject({ name: "z", echo: { k: 3 } });
      expect(spares(other.dataDir)).toEqual([]);
    } finally {
      delete process.env.NIMBUS_LAMBDA_STANDBY;
      await other.stop();
    }
  });
});
