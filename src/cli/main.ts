// `nimbus start|status|help`: argv -> config -> createNimbus(). Speaks plainly; errors are
// one line with a stable ERR_* code and the fix.
import { NimbusError } from "../core/errors.js";

const HELP = `Usage: nimbus <command> [options]

Commands:
  start                 start Nimbus (one endpoint for every AWS service)
  status                ask a running Nimbus how it is
  help                  this text

Options for start:
  --port <n>            port to listen on (default 4566; NIMBUS_PORT)
  --host <addr>         address to listen on (default 127.0.0.1; NIMBUS_HOST)
  --data-dir <dir>      where state lives (default ./.nimbus; NIMBUS_DATA_DIR)
  --ephemeral           keep state in memory and a temp dir, gone at exit
  --base-domain <d>     extra host name for S3 virtual-host addressing (NIMBUS_BASE_DOMAINS)

Point any AWS client at it: AWS_ENDPOINT_URL=http://localhost:4566 with any access key.
`;

interface Args {
  command: string;
  flags: Record<string, string | true>;
}

function parseArgs(argv: string[]): Args {
  const [command = "help", ...rest] = argv;
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (!a.startsWith("--")) throw new NimbusError("ERR_ARGS", `unexpected argument "${a}"; run nimbus help`);
    const eq = a.indexOf("=");
    if (eq > 0) flags[a.slice(2, eq)] = a.slice(eq + 1);
    else if (a === "--ephemeral") flags.ephemeral = true;
    else {
      const v = rest[i + 1];
      if (v === undefined || v.startsWith("--")) throw new NimbusError("ERR_ARGS", `${a} needs a value; run nimbus help`);
      flags[a.slice(2)] = v;
      i++;
    }
  }
  return { command, flags };
}

async function start(flags: Record<string, string | true>): Promise<void> {
  const t0 = process.hrtime.bigint();
  const known = new Set(["port", "host", "data-dir", "ephemeral", "base-domain"]);
  for (const k of Object.keys(flags)) if (!known.has(k)) throw new NimbusError("ERR_ARGS", `unknown option --${k}; run nimbus help`);
  if (flags.ephemeral && flags["data-dir"]) throw new NimbusError("ERR_ARGS", "--ephemeral and --data-dir exclude each other; pick one");
  const { createNimbus } = await import("../core/server/nimbus.js");
  const nimbus = await createNimbus({
    ...(flags.port !== undefined ? { port: flags.port } : {}),
    ...(flags.host !== undefined ? { host: flags.host } : {}),
    ...(flags["data-dir"] !== undefined ? { dataDir: flags["data-dir"] } : {}),
    ...(flags.ephemeral ? { ephemeral: true } : {}),
    ...(flags["base-domain"] !== undefined ? { baseDomains: flags["base-domain"] } : {}),
  });
  let listening: { port: number; host: string };
  try {
    listening = await nimbus.listen();
  } catch (e) {
    await nimbus.close();
    throw e;
  }
  const { port, host } = listening;
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const shownHost = host === "0.0.0.0" || host === "::" ? "localhost" : host;
  console.log(`Nimbus ready on http://${shownHost}:${port} in ${ms.toFixed(0)} ms (${Object.keys(nimbus.registry).length} services, data in ${nimbus.config.ephemeral ? "a temp dir" : nimbus.config.dataDir})`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`Nimbus stopping (${signal})`);
    await nimbus.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

async function status(flags: Record<string, string | true>): Promise<void> {
  const port = flags.port ?? process.env.NIMBUS_PORT ?? "4566";
  const host = flags.host ?? process.env.NIMBUS_HOST ?? "127.0.0.1";
  const url = `http://${host}:${port}/_nimbus/health`;
  let res: Response;
  try {
    res = await fetch(url);
  } catch {
    throw new NimbusError("ERR_NOT_RUNNING", `no Nimbus answers at ${url}; start one with: npx nimbus start`);
  }
  const health = (await res.json()) as { status: string; services: Record<string, string> };
  const running = Object.entries(health.services).filter(([, s]) => s === "running").map(([n]) => n);
  console.log(`Nimbus at http://${host}:${port} is ${health.status}; services running: ${running.join(", ")}`);
}

export async function main(argv: string[]): Promise<void> {
  try {
    const { command, flags } = parseArgs(argv);
    if (command === "start") return await start(flags);
    if (command === "status") return await status(flags);
    if (command === "help" || command === "--help" || command === "-h") {
      console.log(HELP);
      return;
    }
    throw new NimbusError("ERR_ARGS", `unknown command "${command}"; run nimbus help`);
  } catch (e) {
    if (e instanceof NimbusError) {
      console.error(`nimbus: ${e.code}: ${e.message}`);
      process.exit(1);
    }
    throw e;
  }
}
