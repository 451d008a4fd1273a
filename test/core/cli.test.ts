// The CLI as a newcomer runs it: `nimbus start` prints one ready line, stops cleanly on
// SIGTERM, and explains a busy port in one line.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";

function start(args: string[]): { child: ChildProcess; ready: Promise<string>; exited: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn(process.execPath, ["bin/nimbus.js", "start", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (d) => {
      stdout += d;
      const line = stdout.split("\n").find((l) => l.startsWith("Nimbus ready"));
      if (line) resolve(line);
    });
    child.once("exit", () => reject(new Error(`exited before ready: ${stderr}`)));
  });
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => child.once("exit", (code) => resolve({ code, stderr })));
  return { child, ready, exited };
}

describe("nimbus CLI", () => {
  it("starts, prints the endpoint, serves, and stops on SIGTERM", async () => {
    const { child, ready, exited } = start(["--port", "0", "--ephemeral"]);
    const line = await ready;
    const m = /^Nimbus ready on (http:\/\/127\.0\.0\.1:(\d+)) in \d+ ms/.exec(line);
    expect(m).not.toBeNull();
    const health = await (await fetch(`${m![1]}/_nimbus/health`)).json();
    expect(health.status).toBe("running");
    child.kill("SIGTERM");
    expect((await exited).code).toBe(0);
  });

  it("a busy port is one line with a stable code and the fix", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const { exited, ready } = start(["--port", String(port), "--ephemeral"]);
      ready.catch(() => {});
      const { code, stderr } = await exited;
      expect(code).toBe(1);
      expect(stderr.trim()).toBe(`nimbus: ERR_PORT_IN_USE: port ${port} on 127.0.0.1 is already in use; stop the other process or start with --port <free port>`);
    } finally {
      blocker.close();
    }
  });

  it("rejects a bad option with the fix", async () => {
    const { exited, ready } = start(["--port", "99999"]);
    ready.catch(() => {});
    const { code, stderr } = await exited;
    expect(code).toBe(1);
    expect(stderr).toContain("ERR_CONFIG");
  });
});
