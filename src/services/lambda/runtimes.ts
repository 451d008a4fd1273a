// Which interpreter on this machine runs which Lambda runtime identifier. Every nodejs runtime
// runs on the Node that runs Nimbus (process.execPath); every python runtime on `python3`;
// provided.al2 / provided.al2023 run the function's own `bootstrap` executable.
// See GAPS.md: the language version is the machine's, not the identifier's.
import { execFileSync } from "node:child_process";

export interface RuntimeSpec {
  /** provided: the function's own executable `bootstrap` (in the task root) is the runtime. */
  family: "node" | "python" | "provided";
  command: string;
}

const PROVIDED = ["provided.al2", "provided.al2023"];

const NODE = ["nodejs18.x", "nodejs20.x", "nodejs22.x"];
const PYTHON = ["python3.9", "python3.10", "python3.11", "python3.12", "python3.13"];

let python: string | null | undefined;
/**
 * The python3 on PATH, resolved to its real executable once: a version manager's shim (pyenv)
 * is a shell script that costs a few hundred milliseconds on every worker start.
 */
export function findPython(): string | null {
  if (python !== undefined) return python;
  try {
    const exe = execFileSync("python3", ["-c", "import sys; assert sys.version_info >= (3, 8); print(sys.executable)"], { encoding: "utf8", timeout: 10_000 }).trim();
    python = exe || "python3";
  } catch {
    python = null;
  }
  return python;
}

/** All identifiers AWS accepts today (the model's enum is longer, with deprecated ones). */
export const KNOWN_RUNTIMES = [...NODE, ...PYTHON, "java17", "java21", "dotnet8", "ruby3.3", "provided.al2", "provided.al2023"];

/** The interpreter for a runtime, or undefined when this machine has none that fits. */
export function runtimeSpec(runtime: string | undefined): RuntimeSpec | undefined {
  if (runtime && NODE.includes(runtime)) return { family: "node", command: process.execPath };
  if (runtime && PROVIDED.includes(runtime)) return { family: "provided", command: "bootstrap" };
  if (runtime && PYTHON.includes(runtime)) {
    const cmd = findPython();
    return cmd ? { family: "python", command: cmd } : undefined;
  }
  return undefined;
}
