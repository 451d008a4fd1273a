// Standby runtime processes: a small set of generic node / python workers that have already
// started the interpreter and loaded our bootstrap, and wait (blocked on stdin, no CPU) to be
// given a function. A cold start that adopts one only pays for the handler's import: the
// interpreter start (50-150 ms for node, more for python with its site-packages' .pth hooks)
// happened before the invocation arrived.
//
// The assignment is one JSON line on the spare's stdin: {"env": {...}, "cwd": "..."}; the
// bootstrap (runtimes/*-bootstrap.ts, `--standby`) applies it, then runs like a fresh worker.
// Bounded: NIMBUS_LAMBDA_STANDBY spares per runtime family (default 1, 0 disables). Spares are
// started lazily (the first function of a family created or started), replaced after one is
// taken once its worker finished its init (so the refill does not compete with that cold
// start), and reaped after NIMBUS_LAMBDA_IDLE_MS unused, like idle workers.
import { spawn, type ChildProcess } from "node:child_process";
import type { RuntimeSpec } from "./runtimes.js";

/**
 * The environment every worker starts from, before AWS's and the function's variables: nothing
 * of Nimbus's own environment leaks except PATH (so interpreters find their tools). In particular
 * not NODE_EXTRA_CA_CERTS, which costs every node start ~110 ms loading the CA bundle.
 */
export function baseEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin", LANG: "en_US.UTF-8", TZ: ":UTC" };
}

/**
 * Variables an interpreter reads only when it starts: a function that sets one (or a different
 * LANG) needs a fresh process. NODE_PATH / PYTHONPATH are applied by the bootstraps themselves.
 */
const START_ONLY = /^(NODE_(?!PATH$)|PYTHON(?!PATH$)|LC_|LANG$|UV_|MALLOC_)/;

export function needsFreshProcess(env: Record<string, string>): boolean {
  const base = baseEnv();
  return Object.keys(env).some((k) => START_ONLY.test(k) && env[k] !== base[k]);
}

export interface Spare {
  proc: ChildProcess;
  /** Anything the spare printed before it was adopted (normally nothing). */
  output: Buffer[];
}

interface Held extends Spare {
  timer: NodeJS.Timeout;
  collect: (c: Buffer) => void;
}

export class Standby {
  private readonly spares = new Map<string, Held[]>();
  private closed = false;

  constructor(
    private readonly bootstraps: { node: string; python: string },
    private readonly size: number,
    private readonly idleMs: number,
  ) {}

  private key(rt: RuntimeSpec): string {
    return `${rt.family}\0${rt.command}`;
  }

  /** Starts spares for a runtime family until `size` wait (no-op for custom runtimes or size 0). */
  fill(rt: RuntimeSpec): void {
    if (this.closed || rt.family === "provided" || this.size <= 0) return;
    const key = this.key(rt);
    const list = this.spares.get(key) ?? [];
    this.spares.set(key, list);
    while (list.length < this.size) list.push(this.start(rt, key));
  }

  /** Hands over a waiting spare of the family (maybe still booting: it is ahead of a fresh spawn anyway). */
  take(rt: RuntimeSpec): Spare | undefined {
    const list = this.spares.get(this.key(rt));
    let held = list?.shift();
    // One that has just ended (its exit not handled yet) is no use.
    while (held && (held.proc.exitCode !== null || held.proc.signalCode !== null)) {
      clearTimeout(held.timer);
      held = list?.shift();
    }
    if (!held) return undefined;
    clearTimeout(held.timer);
    held.proc.stdout!.off("data", held.collect);
    held.proc.stderr!.off("data", held.collect);
    held.proc.removeAllListeners("exit");
    return { proc: held.proc, output: held.output };
  }

  private start(rt: RuntimeSpec, key: string): Held {
    const file = rt.family === "node" ? this.bootstraps.node : this.bootstraps.python;
    const args = rt.family === "python" ? ["-u", file, "--standby"] : [file, "--standby"];
    const proc = spawn(rt.command, args, { env: baseEnv(), stdio: ["pipe", "pipe", "pipe"] });
    const output: Buffer[] = [];
    const collect = (c: Buffer) => void output.push(c);
    proc.stdout!.on("data", collect);
    proc.stderr!.on("data", collect);
    proc.stdin!.on("error", () => {});
    const held: Held = { proc, output, collect, timer: setTimeout(() => this.drop(key, held), this.idleMs) };
    held.timer.unref();
    proc.on("error", () => this.drop(key, held));
    proc.on("exit", () => this.drop(key, held));
    return held;
  }

  /** Ends a spare (reaped when idle too long, or it exited on its own). */
  private drop(key: string, held: Held): void {
    clearTimeout(held.timer);
    const list = this.spares.get(key);
    const i = list?.indexOf(held) ?? -1;
    if (i >= 0) list!.splice(i, 1);
    held.proc.kill("SIGKILL");
  }

  /** How many spares wait now (tests and /_nimbus diagnostics). */
  count(): number {
    let n = 0;
    for (const l of this.spares.values()) n += l.length;
    return n;
  }

  /** The spares' process ids (tests check they are reaped and cost nothing). */
  pids(): number[] {
    return [...this.spares.values()].flat().map((h) => h.proc.pid!).filter(Boolean);
  }

  close(): void {
    this.closed = true;
    for (const [key, list] of this.spares) for (const h of [...list]) this.drop(key, h);
    this.spares.clear();
  }
}
